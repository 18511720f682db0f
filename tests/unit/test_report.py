"""Rendering: inert text, the rich table, stable JSON, the self-contained HTML report."""

from __future__ import annotations

import base64
import io
import json
import re
import struct
import zlib
from datetime import UTC, datetime, timedelta

import keyring
from rich.console import Console

from optout.history import History
from optout.paths import Profile
from optout.report import html_report, inert, results_json, results_table
from optout.results import Result
from optout.states import EXPLANATIONS, State

HOSTILE = "\x1b]0;pwned\x07\x1b[31mred\x1b[0m [bold]x[/bold]\r\x07\x9b2J\u202eevil\tok\nline"
SCRIPT = "<script>alert(1)</script>"
SENTINEL = "SENTINEL-SECRET-5f0c2a"


def png(width=2, height=2) -> bytes:
    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_inert_removes_escapes_and_controls():
    assert inert(HOSTILE) == "red [bold]x[/bold]evil\tok\nline"
    assert inert(None) == "" and inert("plain ünïcode") == "plain ünïcode"


def test_table_shows_page_text_literally():
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=True, color_system="truecolor")
    results_table(
        [
            Result(
                "linkedin",
                "train",
                State.ON,
                label=HOSTILE,
                detail="[red]d[/red]",
                account="a@example.org",
            )
        ],
        console,
    )
    text = out.getvalue()
    assert "[bold]x[/bold]" in text and "[red]d[/red]" in text  # markup shown, not applied
    assert "\x1b]0;" not in text and "\x9b" not in text and "\u202e" not in text
    assert "a@example.org" in text and "—" in text  # changed: no


def test_table_accepts_history_rows():
    out = io.StringIO()
    results_table(
        [
            {
                "platform": "x",
                "account": None,
                "setting": "grok",
                "label": "",
                "state": "off",
                "changed": True,
                "detail": "",
            }
        ],
        Console(file=out, width=120),
    )
    assert "grok" in out.getvalue() and "yes" in out.getvalue()


def test_json_is_stable_and_inert():
    at = datetime(2026, 11, 3, tzinfo=UTC)
    r = Result("linkedin", "train", State.OFF, label=HOSTILE, at=at)
    text = results_json([r], drift=[{"kind": "switched_on", "detail": "\x1b[2Jx"}])
    data = json.loads(text)
    assert data["results"][0]["label"] == inert(HOSTILE)
    assert data["drift"][0]["detail"] == "x"
    assert list(data["results"][0]) == sorted(data["results"][0])
    assert text == results_json([r], drift=[{"kind": "switched_on", "detail": "\x1b[2Jx"}])
    assert "\x1b" not in text


def fill_history(profile: Profile, label=SCRIPT):
    ev = profile.ensure().evidence
    ev.mkdir(exist_ok=True)
    before, after = ev / "before.png", ev / "after.png"
    before.write_bytes(png())
    after.write_bytes(png(3, 1))
    old = datetime.now(UTC) - timedelta(days=20)
    with History(profile) as h:
        first = h.start_run("check")
        h.record(
            first,
            Result(
                "linkedin",
                "train",
                State.ON,
                label=label,
                account="a@example.org",
                detail=f"page said {SCRIPT}",
                evidence=[before],
                at=old,
            ),
        )
        h.finish_run(first)
        second = h.start_run("off")
        h.record(
            second,
            Result(
                "linkedin",
                "train",
                State.OFF,
                changed=True,
                label=label,
                account="a@example.org",
                evidence=[before, after, ev / "gone.png", ev / "page.html"],
            ),
        )
        h.record(second, Result("x", "grok", State.BROKEN, label="Grok", evidence=[]))
        h.finish_run(second)
        third = h.start_run("check")
        h.record(third, Result("linkedin", "train", State.ON, label=label, account="a@example.org"))
        h.finish_run(third)
        h.drift(third)
    return before, after


def test_html_report_escapes_inlines_and_explains():
    profile = Profile()
    before, after = fill_history(profile)
    keyring.set_password("optout", "a@example.org", SENTINEL)
    (profile.sessions).mkdir(parents=True, exist_ok=True)
    (profile.sessions / "linkedin.json").write_text(json.dumps({"cookies": [{"value": SENTINEL}]}))
    page = html_report(profile)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    assert SENTINEL not in page
    assert base64.b64encode(before.read_bytes()).decode() in page
    assert base64.b64encode(after.read_bytes()).decode() in page
    assert "gone.png" in page and "file missing" in page
    assert "page.html" not in page  # only screenshots are shown
    assert EXPLANATIONS[State.ON] in page and EXPLANATIONS[State.BROKEN] in page
    assert "@media print" in page
    assert "Profile <strong>default</strong>" in page and "generated" in page
    assert "is on again" in page  # the drift of the third run
    assert "Content-Security-Policy" in page
    # the timeline shows the change points: on, off (changed), on again
    train = page[page.index("<h3>&lt;script") :]
    train = train[: train.index("</section>")]
    assert len(re.findall(r"<tr><td>", train)) == 3


def test_html_report_since_limits_the_timeline():
    profile = Profile()
    fill_history(profile, label="Training")
    page = html_report(profile, since=datetime.now(UTC) - timedelta(days=7))
    assert "changes since" in page
    train = page[page.index("<h3>Training") :]
    train = train[: train.index("</section>")]
    assert len(re.findall(r"<tr><td>", train)) == 2  # the 20-day-old reading is left out


def test_html_report_without_history():
    page = html_report(Profile("nobody"))
    assert "No results recorded yet" in page
