"""Captures: every file in tests/captures/ replays to the state it recorded, and a capture of every
replica's pages, taken while the page shows the person's name, e-mail and password (each holding
`&<>"' %/`), holds none of them in any encoding and replays to the state the live replica gave.

Run this file as a script to write the shipped captures again from the replicas:
    PYTHONPATH=. python tests/flows/test_captures.py
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote

import pytest

from optout import browser as browser_mod
from optout.capture import fileformat, replay
from optout.capture.hook import Capturer
from optout.credentials import Credential
from optout.engine import Account, RunOptions, run_in_context
from optout.flowfile.folders import Layers
from optout.flowfile.layers import load_flows
from optout.flowfile.load import load_flow
from optout.sandbox import SANDBOX_USERNAME, Sandbox, replica_classes

CAPTURES = Path(__file__).resolve().parent.parent / "captures"
SENTINEL_NAME = "Zoë Q7sentinel&<>\"' %/name"
SENTINEL_EMAIL = "q7sentinel&<>\"' %/mail@example.org"
SENTINEL_PASSWORD = "sentinel-pw-Q7&<>\"' %/cap"
ITEMS = {"substack": "demo-notes"}

#: Puts the person into every page the way real pages show them: a profile card with the name
#: (text, aria-label, alt, a data attribute), the e-mail (text, a link's path and query, a field's
#: value, inline JSON) and the password echoed back (text, a title, a field's value).
PLANT_JS = """(who) => {
  const plant = () => {
    if (!document.body || document.getElementById('q7-card')) return;
    const card = document.createElement('aside');
    card.id = 'q7-card';
    card.setAttribute('aria-label', who.name);
    card.setAttribute('data-owner', who.name);
    const name = document.createElement('span'); name.textContent = who.name;
    const mail = document.createElement('a');
    mail.href = 'https://' + location.hostname + '/people/' + encodeURIComponent(who.email) + '?m=' + encodeURIComponent(who.email);
    mail.textContent = who.email;
    const field = document.createElement('input'); field.name = 'q7-note'; field.value = who.email;
    const echo = document.createElement('span'); echo.title = who.password; echo.textContent = who.password;
    const kept = document.createElement('input'); kept.name = 'q7-kept'; kept.setAttribute('value', who.password);
    const img = document.createElement('img'); img.alt = who.name; img.src = '/p/' + encodeURIComponent(who.name) + '.png';
    const data = document.createElement('script'); data.type = 'application/json';
    data.textContent = JSON.stringify({email: who.email, name: who.name});
    card.append(name, mail, field, echo, kept, img, data);
    document.body.append(card);
  };
  document.addEventListener('DOMContentLoaded', plant);
  new MutationObserver(plant).observe(document, {childList: true, subtree: true});
}"""


def forms(secret: str) -> set[str]:
    """A secret as is, lower case, HTML-escaped, URL-encoded and JSON-escaped."""
    return {
        secret,
        secret.lower(),
        html.escape(secret),
        html.escape(secret, quote=False),
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }


def assert_holds_none(text: str, where: str) -> None:
    """None of the sentinels in `text`, nor in it once HTML entities and %-escapes are undone (a
    browser's encodeURIComponent leaves ' as is, so a list of encodings alone would miss it)."""
    decoded = {text, html.unescape(text), unquote(text), unquote(html.unescape(text))}
    for secret in (SENTINEL_NAME, SENTINEL_EMAIL, SENTINEL_PASSWORD):
        for form in forms(secret):
            assert not any(form in t for t in decoded), f"{secret!r} ({form!r}) found in {where}"
        assert secret.split("&")[0].lower() not in text.lower(), (
            f"part of {secret!r} found in {where}"
        )


async def capture_live(browser, platform: str, *misbehaviours: str, folder: Path):
    """Run a check on one replica with the sentinel person planted in its pages, capturing each
    setting's page; returns (results, the Capturer's notes)."""
    box = Sandbox()
    flow = load_flows(Layers.person())[platform]
    replica = box.configure(platform, *misbehaviours, password=SENTINEL_PASSWORD)
    if hasattr(replica, "own"):  # a per-item platform: one item, at a host its replica serves
        replica.own([ITEMS.get(platform, "alpha")])
    signs_in = bool(flow.login and flow.login.steps)
    session = None if signs_in else replica.storage_state()
    # The account is named by the sentinel e-mail (what the capture check watches); it signs in with
    # the replica's username, since an e-mail field refuses `&<>"' %/` before the form is sent.
    credential = Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD) if signs_in else None

    async def setup(context) -> None:
        await box.install(context)
        await context.add_init_script(
            f"({PLANT_JS})({json.dumps(dict(name=SENTINEL_NAME, email=SENTINEL_EMAIL, password=SENTINEL_PASSWORD))})"
        )

    capturer = Capturer(folder)
    options = RunOptions(
        mode="check", evidence_dir=folder.parent / "evidence", capture=capturer, find_timeout_s=10.0
    )
    context = await browser.new_context(session, setup_context=setup)
    try:
        results = await run_in_context(
            flow, Account(platform, SENTINEL_EMAIL, credential=credential), options, context
        )
    finally:
        await browser_mod.close_quietly(context)
    return results, capturer.notes


def shipped() -> list[Path]:
    return sorted(CAPTURES.glob("*.html"))


def test_there_are_shipped_captures():
    names = {p.name for p in shipped()}
    for wanted in (
        "linkedin-generative-ai-on",
        "linkedin-generative-ai-off",
        "x-grok",
        "facebook-ai-objection",
        "consent",
        "broken",
    ):
        assert any(wanted in n for n in names), f"no capture named *{wanted}* in {CAPTURES}"


@pytest.mark.parametrize("path", shipped(), ids=lambda p: p.stem)
async def test_shipped_capture_replays_to_its_state(path, browser_path):
    captured = fileformat.read(path)
    flow = load_flow(
        Path(__file__).resolve().parents[2] / "flows" / f"{captured.header['platform']}.yaml"
    )
    [done] = await replay.replay(flow, [captured], browser_path=browser_path)
    assert not done.problem, done.problem
    assert done.state == captured.header["state"], (done.state, done.detail)
    assert_holds_none(path.read_text(encoding="utf-8"), path.name)


async def test_a_capture_runs_no_code(tmp_path, browser_path):
    """A shared file holding a script that would untick the switch: the script never runs, so the
    page reads as its markup says (and as its header recorded)."""
    page = (CAPTURES / "linkedin-generative-ai-on.html").read_text(encoding="utf-8")
    hostile = page.replace(
        "</body>",
        "<script>document.querySelectorAll('input').forEach(i => {"
        "i.checked = false; i.setAttribute('aria-checked', 'false'); });</script></body>",
    )
    assert hostile != page
    flow = load_flows(Layers.person())["linkedin"]
    [done] = await replay.replay(flow, [fileformat.parse(hostile)], browser_path=browser_path)
    assert (done.problem, done.state) == ("", "on"), done.detail


async def test_sentinel_captures_hold_nothing_and_replay_alike(tmp_path, browser_path):
    """Every replica's setting pages, captured with the person planted in them: no file holds the
    name, e-mail or password in any form, and each replays to the state the replica gave. One
    browser, one check per platform."""
    folder = tmp_path / "captures"
    platforms = sorted(cls.platform for cls in replica_classes())
    assert {"linkedin", "x", "facebook", "instagram"} <= set(platforms)
    async with browser_mod.started(browser_path) as browser:
        for platform in platforms:
            results, notes = await capture_live(browser, platform, folder=folder)
            live = {r.setting: str(r.state) for r in results}
            written = [n for n in notes if n.path]
            assert written and not [n for n in notes if n.refused], (
                platform,
                [n.line() for n in notes],
                live,
            )
            flow = load_flows(Layers.person())[platform]
            for note in written:
                text = note.path.read_text(encoding="utf-8")
                # the planted card, its id now a stand-in: the person was on the page captured
                assert re.search(r'<aside aria-label="[▒ ]+" id="i\d+">', text), (
                    "the scan would prove nothing"
                )
                assert "q7-card" not in text
                assert_holds_none(text, f"{platform} {note.setting}")
                captured = fileformat.parse(text, note.path)
                assert captured.header["state"] == live[note.setting]
                done = await replay.replay_one(browser, flow, captured)
                assert (done.problem, done.state) == ("", live[note.setting]), (
                    platform,
                    note.setting,
                    done.detail,
                )


async def write_shipped(browser_path: str) -> None:
    """Write tests/captures/ again from the replicas (one capture per listed page)."""
    import shutil
    import tempfile

    wanted = [  # (platform, misbehaviours, setting, name)
        ("linkedin", (), "generative-ai", "linkedin-generative-ai-on"),
        ("linkedin", ("already_off",), "generative-ai", "linkedin-generative-ai-off"),
        ("linkedin", ("label_gone",), "generative-ai", "linkedin-generative-ai-broken"),
        ("linkedin", (), "ai-objection", "linkedin-ai-objection-form"),
        ("x", (), "training", "x-grok-training-on"),
        ("x", ("already_off",), "training", "x-grok-training-off"),
        ("facebook", (), "ai-objection", "facebook-ai-objection-form"),
        (
            "instagram",
            ("cookie_consent_accept_only",),
            None,
            "instagram-consent-accept-only-broken",
        ),
    ]
    CAPTURES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        async with browser_mod.started(browser_path) as browser:
            for platform, misbehaviours, setting, name in wanted:
                _, notes = await capture_live(
                    browser, platform, *misbehaviours, folder=Path(tmp) / name
                )
                note = next(
                    n for n in notes if n.path and (setting is None or n.setting == setting)
                )
                shutil.copy(note.path, CAPTURES / f"{name}.html")
                print(name, fileformat.read(note.path).header["state"])


if __name__ == "__main__":
    asyncio.run(write_shipped(sys.argv[1] if len(sys.argv) > 1 else "/usr/bin/chromium"))
