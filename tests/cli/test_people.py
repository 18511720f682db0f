"""Profiles (list, delete every trace) and the handout, without a browser."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import markupsafe
import pytest
from click.testing import CliRunner

from optout import people, schedule
from optout.cli import cli
from optout.credentials import AccountStore, Credential, entry_name
from optout.errors import KeyringUnavailable
from optout.flowfile.schema import Flow
from optout.history import RunRecorder
from optout.notify import KEYRING_SERVICE, entry_user, save_urls
from optout.paths import Profile
from optout.results import Result
from optout.sessions import SessionStore
from optout.states import EXPLANATIONS, State

SENTINEL_ALICE = "SENTINEL-alice-pw-7Hq2"
SENTINEL_BOB = "SENTINEL-bob-pw-K9s1"
SENTINEL_TOTP = "JBSWY3DPEHPK3PXP"
SENTINEL_COOKIE = "SENTINEL-cookie-33ab"
SENTINEL_URL = "ntfy://SENTINELTOKEN777@ntfy.example/alice"


@pytest.fixture
def fake_system(tmp_path, monkeypatch):
    """A systemd user session that records calls instead of running them; HOME in tmp."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    calls = []

    def run(cmd, input=None):
        import subprocess

        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(schedule, "_run", run)
    monkeypatch.setattr(schedule, "detect_system", lambda: "systemd")
    return calls


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def make_person(name: str, password: str, *, schedule_it: bool = False) -> Profile:
    """Everything optout can keep of one person: accounts, a session, history with evidence,
    notification addresses, a schedule, and an account known only to the history."""
    profile = Profile(name)
    store = AccountStore(profile)
    store.add("linkedin", Credential(f"{name}@example.org", password, SENTINEL_TOTP))
    store.add("x", Credential(f"{name}-x", password))
    sessions = SessionStore(profile)
    sessions.save(
        "linkedin",
        f"{name}@example.org",
        {
            "cookies": [
                {"name": "li_at", "value": SENTINEL_COOKIE, "domain": ".linkedin.com", "path": "/"}
            ],
            "origins": [],
        },
    )
    shot = profile.evidence / "linkedin" / f"{name}" / "generative-ai" / "before.png"
    shot.parent.mkdir(parents=True)
    shot.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    capture = profile.captures / "linkedin-generative-ai-20261202T130000000000Z.html"
    capture.parent.mkdir(parents=True)
    capture.write_text("<!-- optout-capture {} -->\n<!doctype html>")
    with RunRecorder(profile, "off") as rec:
        rec(
            Result(
                "linkedin",
                "generative-ai",
                State.OFF,
                changed=True,
                account=f"{name}@example.org",
                label="Use my data for training content creation AI models",
                evidence=[shot],
            )
        )
        rec(Result("linkedin", "generative-ai", State.ON, account=f"{name}-old"))
    # An account the index forgot (its line was lost) but the history remembers.
    AccountStore(profile).add("linkedin", Credential(f"{name}-old", password))
    index = json.loads(profile.accounts_file.read_text())
    profile.accounts_file.write_text(
        json.dumps([r for r in index if r["username"] != f"{name}-old"])
    )
    if schedule_it:  # keeps its notification addresses in the keyring
        schedule.install(
            schedule.ScheduleSpec(profile=name, optout_cmd=["optout"], notify=[SENTINEL_URL]),
            system="systemd",
        )
    else:
        save_urls(name, [SENTINEL_URL])
    return profile


def everything_under(folder):
    return [p for p in folder.rglob("*")] if folder.exists() else []


def test_profile_list_shows_accounts_sessions_and_last_run():
    make_person("alice", SENTINEL_ALICE)
    Profile("bob").ensure()
    result = invoke("--json", "profile", "list")
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["alice"]["accounts"] == 2 and rows["alice"]["sessions"] == 1
    assert rows["alice"]["last_run"] and rows["bob"]["last_run"] is None
    assert SENTINEL_ALICE not in result.output
    table = invoke("profile", "list")
    assert "alice" in table.stdout and "never" in table.stdout


def test_delete_removes_every_trace_and_says_what(
    optout_home, memory_keyring, fake_system, tmp_path
):
    make_person("alice", SENTINEL_ALICE, schedule_it=True)
    Profile("sandbox-alice").ensure()
    (Profile("sandbox-alice").base / "sandbox-state.json").write_text("{}")
    make_person("bob", SENTINEL_BOB)
    unit_dir = tmp_path / "home" / ".config" / "systemd" / "user"
    assert (unit_dir / "optout-alice.timer").exists()
    bob_before = {k: v for k, v in memory_keyring.data.items() if "bob" in k[1]}

    result = invoke("profile", "delete", "alice", "--yes")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for said in (
        entry_name(Profile("alice"), "linkedin/alice@example.org"),
        entry_name(Profile("alice"), "x/alice-x"),
        entry_name(Profile("alice"), "linkedin/alice-old"),
        entry_name(Profile("alice"), "session-key"),
        "notification addresses",
        "saved session",
        "evidence file",
        "page capture",
        "history file",
        "accounts index",
        "optout-alice.timer",
        "Profile sandbox-alice:",
    ):
        assert said in out, (said, out)
    for secret in (SENTINEL_ALICE, SENTINEL_URL, SENTINEL_COOKIE, SENTINEL_TOTP):
        assert secret not in out

    # Files: nothing under the data dir, nor among the schedule's files, names alice.
    left = everything_under(optout_home) + everything_under(unit_dir)
    assert not [p for p in left if "alice" in str(p)], left
    # Keyring: no entry of alice in either service; bob's are untouched.
    assert not [k for k in memory_keyring.data if k[1].startswith("alice") or k[1] == "alice"], (
        memory_keyring.data
    )
    assert {k: v for k, v in memory_keyring.data.items() if "bob" in k[1]} == bob_before
    assert (KEYRING_SERVICE, entry_user("bob")) in memory_keyring.data
    for path in left:
        if path.is_file():
            assert SENTINEL_ALICE.encode() not in path.read_bytes(), path
    assert ["systemctl", "--user", "disable", "--now", "optout-alice.timer"] in fake_system

    again = invoke("--json", "profile", "delete", "alice", "--yes")
    [removal] = json.loads(again.stdout)
    assert removal["keyring"] == [] and removal["files"] == [] and removal["folder"] is None


def test_delete_asks_first(memory_keyring):
    make_person("alice", SENTINEL_ALICE)
    result = invoke("profile", "delete", "alice", input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert Profile("alice").base.exists()
    assert any(k[1].startswith(entry_name(Profile("alice"), "")) for k in memory_keyring.data)


def test_delete_without_a_keyring_deletes_nothing(memory_keyring):
    import keyring
    import keyring.backends.fail

    make_person("alice", SENTINEL_ALICE)
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(KeyringUnavailable, match="Nothing was deleted"):
        people.delete_profile("alice")
    assert Profile("alice").accounts_file.exists() and Profile("alice").history_db.exists()
    result = invoke("profile", "delete", "alice", "--yes")
    assert result.exit_code == 1 and "Nothing was deleted" in result.output


def test_delete_refuses_names_that_are_paths():
    result = invoke("profile", "delete", "../etc", "--yes")
    assert result.exit_code == 2 and "not a usable profile name" in result.output  # a usage error


# -- handout --------------------------------------------------------------------------------------

GUIDE_FLOW = {
    "id": "slackish",
    "name": "Slackish",
    "version": 1,
    "checked": "2026-10-01",
    "domains": ["slackish.example"],
    "guide": {
        "summary": "Only the workspace owner can ask, by e-mail.",
        "steps": ["Find out who owns your workspace.", "Ask them to send the e-mail below."],
        "links": ["https://slackish.example/help/<b>policy"],
        "email_to": "feedback@slackish.example",
        "email_subject": "Global model opt-out request",
        "email_body": "Please opt our workspace out. <script>alert(1)</script>",
    },
}


def flow_data(pid: str, name: str, settings: list[dict]) -> dict:
    return {
        "id": pid,
        "name": name,
        "version": 1,
        "checked": "2026-10-01",
        "domains": [f"{pid}.example"],
        "login": {
            "url": f"https://{pid}.example/login",
            "credential_origins": [f"https://{pid}.example"],
            "signed_out": {"urls": ["/login"]},
            "signed_in": {"urls": ["/home"]},
            "steps": [{"fill": "username", "into": {"css": "#u"}}],
        },
        "settings": settings,
    }


FLOWS = {
    "linkedin": flow_data(
        "linkedin",
        "LinkedIn",
        [
            {
                "id": "generative-ai",
                "label": "Use my data for training content creation AI models",
                "description": "Lets it train AI on your posts.",
                "url": "https://linkedin.example/settings/ai",
                "control": {"kind": "switch", "role": "switch", "names": {"en": ["Use my data"]}},
            },
            {
                "id": "ai-objection",
                "label": "Data Processing Objection Form",
                "description": "Objects to other AI.",
                "url": "https://linkedin.example/help/object",
                "control": {
                    "kind": "form",
                    "form": {"role": "button", "name": ["Submit"]},
                    "submit": {"role": "button", "name": ["Submit"]},
                    "confirmation": {"texts": ["received"]},
                },
            },
        ],
    ),
    "x": flow_data(
        "x",
        "X",
        [
            {
                "id": s,
                "label": s.title(),
                "description": f"The {s} setting.",
                "url": f"https://x.example/settings/{s}",
                "control": {"kind": "switch", "role": "switch", "names": {"en": [s]}},
            }
            for s in ("grok-training", "personalization", "memory")
        ],
    ),
}


def flows_with_guide():
    flows = {pid: Flow.model_validate(data) for pid, data in FLOWS.items()}
    flows["slackish"] = Flow.model_validate(GUIDE_FLOW)
    return flows


def sample_results():
    at = datetime(2026, 11, 3, 10, tzinfo=UTC)
    return [
        Result(
            "linkedin",
            "generative-ai",
            State.OFF,
            changed=True,
            account="alice@example.org",
            label="Use my data for training content creation AI models",
            at=at,
        ),
        Result(
            "linkedin",
            "ai-objection",
            State.ON,
            account="alice@example.org",
            label="Data Processing Objection Form",
            at=at,
        ),
        Result(
            "x",
            "grok-training",
            State.NEEDS_HUMAN,
            account="alice-x",
            label="Grok training",
            at=at,
            detail="X asks for a check a person must answer:\n1. Open https://x.com/settings/grok_settings\n"
            "2. Answer the <script>alert('x')</script> puzzle\n- mail mailto:help@x.example?subject=Opt%20out",
        ),
        Result(
            "x",
            "personalization",
            State.BROKEN,
            account="alice-x",
            label="Personalization <img src=x onerror=alert(1)>",
            detail="the control '<script>steal()</script>' was not found; javascript:alert(1)",
            at=at,
        ),
        Result("x", "memory", State.UNAVAILABLE, account="alice-x", label="Memory", at=at),
        Result(
            "slackish",
            "guide",
            State.NEEDS_HUMAN,
            label="Slackish: what to do",
            detail="Only the workspace owner can ask, by e-mail.",
            at=at,
        ),
    ]


def test_handout_plain_language_sections():
    page = people.handout_html(
        sample_results(), flows=flows_with_guide(), recheck=["optout assist linkedin x"]
    )
    for section in (
        "What we found",
        "What we switched off",
        "What still needs you",
        "What to watch for",
        "How to check again",
    ):
        assert section in page
    for state in (State.OFF, State.ON, State.NEEDS_HUMAN, State.BROKEN, State.UNAVAILABLE):
        assert str(markupsafe.escape(EXPLANATIONS[state])) in page
    assert "switched off and checked again after reloading" in page and "2026-11-03" in page
    # The form: its link and a drafted objection to paste; a switch still on: where to switch it.
    assert 'href="https://linkedin.example/help/object"' in page
    assert "I object to LinkedIn using my personal data" in page
    assert "Lets it train AI on your posts." in page  # what the setting means, from the flow
    # Steps read from a needs_human detail, with its link and e-mail.
    assert "<li>Open https://x.com/settings/grok_settings</li>" in page
    assert (
        'href="https://x.com/settings/grok_settings"' in page
        and "help@x.example" in page
        and "Opt out" in page
    )
    # A guide (a platform with nothing to automate) appears as steps, a link and the e-mail to send.
    assert (
        "<li>Find out who owns your workspace.</li>" in page and "feedback@slackish.example" in page
    )
    assert "Global model opt-out request" in page and "Please opt our workspace out." in page
    assert 'href="https://slackish.example/help/&lt;b&gt;policy"' in page
    # Extra guides (e.g. from another source) are listed too, once per platform.
    extra = people.Guide("other", "Other: write to them", steps=["Write a letter."])
    assert "Write a letter." in people.handout_html(
        sample_results(), flows=flows_with_guide(), guides=[extra]
    )
    assert "optout assist linkedin x" in page
    assert "@media print" in page and "@page" in page


def test_handout_escapes_page_text_and_links():
    page = people.handout_html(sample_results(), flows=flows_with_guide())
    assert "<script" not in page and "<img" not in page
    assert (
        "&lt;script&gt;steal()&lt;/script&gt;" in page
        and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    )
    hrefs = [h.split('"')[0] for h in page.split('href="')[1:]]
    assert hrefs and all(h.startswith("https://") for h in hrefs), hrefs


def test_handout_names_only_what_the_volunteer_typed():
    page = people.handout_html(sample_results(), flows=flows_with_guide())
    # One account per platform: its username is not needed to tell accounts apart, so not shown.
    assert "alice@example.org" not in page and "alice-x" not in page
    assert "Prepared for" not in page
    named = people.handout_html(sample_results(), flows=flows_with_guide(), name="Ann <Smith>")
    assert "Prepared for <strong>Ann &lt;Smith&gt;</strong>" in named


def test_handout_command_from_history_has_no_secret(memory_keyring, fake_system):
    make_person("alice", SENTINEL_ALICE)
    result = invoke("handout", "--profile", "alice", "-o", "-", "--name", "Alice")
    assert result.exit_code == 0, result.output
    page = result.stdout
    assert "Prepared for <strong>Alice</strong>" in page
    assert "What we switched off" in page and "optout --profile alice check linkedin" in page
    assert "did not keep it" not in page  # this profile does keep a password (in the keyring)
    for secret in (
        SENTINEL_ALICE,
        SENTINEL_COOKIE,
        SENTINEL_TOTP,
        SENTINEL_URL,
        "SENTINELTOKEN777",
    ):
        assert secret not in page
    missing = invoke("handout", "--profile", "nobody")
    assert missing.exit_code == 1 and "Nothing recorded yet" in missing.output


def test_help_explains_every_state():
    for args in (["--help"], ["check", "--help"], ["assist", "--help"], ["handout", "--help"]):
        text = " ".join(invoke(*args).stdout.split())
        for state in State:
            assert " ".join(EXPLANATIONS[state].split()) in text, (args, state)


def test_delete_waits_for_no_run_and_deletes_nothing_during_one(memory_keyring, fake_system):
    from optout.errors import OptoutError
    from optout.runlock import run_lock

    profile = make_person("alice", SENTINEL_ALICE)
    before = dict(memory_keyring.data)
    with run_lock(profile):
        with pytest.raises(OptoutError, match="another optout run is in progress"):
            people.delete_profile("alice")
    assert memory_keyring.data == before and profile.history_db.exists()
    people.delete_profile("alice")
    assert not profile.base.exists()


def test_handout_drops_query_strings_from_page_addresses():
    leaky = Result(
        "x",
        "memory",
        State.BROKEN,
        label="Memory",
        detail="the control was not found on https://x.example/settings?token=SENTINEL-tok-1#k=SENTINEL-2",
    )
    hint = Result(
        "x",
        "grok-training",
        State.NEEDS_HUMAN,
        label="Grok training",
        detail="1. Open https://x.example/verify?code=SENTINEL-code-3 and answer",
    )
    page = people.handout_html([leaky, hint], flows=flows_with_guide())
    assert "https://x.example/settings" in page and "https://x.example/verify" in page
    assert "SENTINEL" not in page
