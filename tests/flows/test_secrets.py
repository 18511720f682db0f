"""One sentinel password and one TOTP secret go through every command and scenario: account add
(stdin), check with 2FA from the TOTP secret, off, a rejected password, a changed page, history,
report, demo; with -vv and JSON logs. Afterwards neither appears in anything optout printed or
wrote: stdout, stderr, logs, the history database, evidence (PNG and HTML bytes), reports, session
files, the accounts index: every file under OPTOUT_HOME.

The replicas play the platforms' servers and so hold their own copy of the TOTP secret (as a server
must); their state lives beside OPTOUT_HOME, never inside it (optout.sandbox.state_file), so the scan
below covers every file optout itself owns without exception."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from urllib.parse import quote

import keyring
import pytest
from click.testing import CliRunner

from optout.cli import cli
from optout.paths import Profile, home
from optout.sandbox import SANDBOX_USERNAME, Sandbox, state_file

SENTINEL_PASSWORD = "sentinel-pw-Sc9Vt4Xm"
SENTINEL_TOTP = "SENTINELTOTPQRSTUVWXYZ234567ABCD"


def forms(secret: str) -> list[bytes]:
    """The ways a secret could show up in bytes: as is, lower case, URL-encoded, UTF-16."""
    texts = {secret, secret.lower(), quote(secret, safe=""), json.dumps(secret)[1:-1]}
    return [t.encode() for t in texts] + [secret.encode("utf-16-le")]


def assert_absent(data: bytes, where: str) -> None:
    for secret in (SENTINEL_PASSWORD, SENTINEL_TOTP):
        for form in forms(secret):
            assert form not in data, f"{secret!r} found in {where}"


@pytest.fixture
def cli_run(browser_path):
    """Every command with debug logs as JSON lines; keeps everything it printed."""
    printed: list[tuple[str, str, str]] = []

    def _run(*args, input=None, expect=None):
        result = CliRunner().invoke(
            cli,
            ["-vv", "--log-format", "json", "--browser-path", browser_path, *args],
            input=input,
            catch_exceptions=False,
        )
        printed.append((" ".join(args), result.stdout, result.stderr))
        assert "Traceback" not in result.output, result.output
        if expect is not None:
            assert result.exit_code == expect, (args, result.output)
        return result

    _run.printed = printed
    return _run


def replica(*misbehaviours, reset=True):
    box = Sandbox.for_profile("default")
    box.configure(
        "linkedin",
        *misbehaviours,
        reset=reset,
        password=SENTINEL_PASSWORD,
        totp_secret=SENTINEL_TOTP,
    )
    return box.replica("linkedin")


def states(result) -> dict[str, str]:
    return {r["setting"]: r["state"] for r in json.loads(result.stdout)["results"]}


def test_secrets_never_leave_the_keyring(
    cli_run, optout_home, tmp_path, monkeypatch, memory_keyring
):
    monkeypatch.chdir(tmp_path)
    replica()
    sb = ("--sandbox",)

    cli_run(
        *sb,
        "account",
        "add",
        "linkedin",
        "--totp",
        input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n{SENTINEL_TOTP}\n",
        expect=0,
    )
    cli_run(*sb, "account", "list", expect=0)
    cli_run(*sb, "--json", "account", "list", expect=0)

    # 2FA answered from the stored TOTP secret, then read, switch off, read again (session reused).
    first = cli_run(*sb, "--json", "check", "linkedin", expect=3)
    assert states(first)["generative-ai"] == "on"
    assert [e["ok"] for e in Sandbox.for_profile("default").replica("linkedin").events("pin")] == [
        True
    ]
    assert states(cli_run(*sb, "--json", "off", "linkedin", expect=0))["generative-ai"] == "off"
    cli_run(*sb, "check", "linkedin", expect=0)

    # The platform rejects the password (the session has ended): one attempt, needs_login.
    replica("wrong_password", "session_expired", reset=False)
    assert set(states(cli_run(*sb, "--json", "check", "linkedin", expect=4)).values()) == {
        "needs_login"
    }
    # ...and no later run types it again until a new password is stored (a sign-in hold).
    held = json.loads(cli_run(*sb, "--json", "check", "linkedin", expect=4).stdout)["results"]
    assert all("did not type" in r["detail"] for r in held), held
    cli_run(
        *sb,
        "account",
        "add",
        "linkedin",
        "--totp",
        input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n{SENTINEL_TOTP}\n",
        expect=0,
    )

    # A changed page: broken, with a screenshot and the page's HTML kept as evidence.
    replica("label_gone")
    broken = cli_run(*sb, "--json", "off", "linkedin", expect=5)
    assert states(broken)["generative-ai"] == "broken"
    evidence = [Path(p) for r in json.loads(broken.stdout)["results"] for p in r["evidence"]]
    assert {p.suffix for p in evidence} >= {".png", ".html"} and all(p.exists() for p in evidence)

    cli_run(*sb, "history", expect=0)
    cli_run(*sb, "--json", "history", expect=0)
    cli_run(*sb, "report", "-o", str(tmp_path / "report.html"), expect=0)
    cli_run(*sb, "report", "-o", "-", expect=0)
    cli_run("demo", expect=0)

    # Logs were written (so their absence of secrets means something) and are JSON lines.
    stderr = "".join(err for _, _, err in cli_run.printed)
    events = [json.loads(line)["event"] for line in stderr.splitlines() if line.startswith("{")]
    assert "login.attempt" in events and "login.ok" in events, events
    for command, out, err in cli_run.printed:
        assert_absent(out.encode(), f"stdout of `{command}`")
        assert_absent(err.encode(), f"stderr of `{command}`")

    # Every file optout wrote, and the report next to it.
    files = [p for p in optout_home.rglob("*") if p.is_file()] + [tmp_path / "report.html"]
    kinds = {p.suffix for p in files}
    assert {".png", ".html", ".session", ".sqlite3", ".json"} <= kinds, kinds
    for path in files:
        assert_absent(path.read_bytes(), str(path))
    # The secret really is in the keyring (the scan would be vacuous otherwise).
    assert any(SENTINEL_PASSWORD in v and SENTINEL_TOTP in v for v in memory_keyring.data.values())
    # The replicas' own state (a server's copy of the TOTP secret) is not among optout's files.
    assert not state_file("default").resolve().is_relative_to(home().resolve())


def test_files_are_private(cli_run, optout_home, browser_path):
    replica()
    cli_run(
        "--sandbox",
        "account",
        "add",
        "linkedin",
        "--totp",
        input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n{SENTINEL_TOTP}\n",
        expect=0,
    )
    cli_run("--sandbox", "check", "linkedin", expect=3)
    profile = Profile("sandbox-default")
    dirs = [optout_home, *(p for p in optout_home.rglob("*") if p.is_dir())]
    for d in dirs:
        assert stat.S_IMODE(d.stat().st_mode) & 0o077 == 0, (
            f"{d} is {stat.S_IMODE(d.stat().st_mode):o}"
        )
    private = [
        *profile.sessions.glob("*.session"),
        profile.accounts_file,
        profile.history_db,
        *profile.evidence.rglob("*.png"),
    ]
    assert len(private) >= 4
    for f in private:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    for f in profile.sessions.glob("*.session"):
        assert f.read_bytes().startswith(b"gAAAAA")  # a Fernet token, not JSON cookies
        assert b"li_at" not in f.read_bytes()


def test_session_files_copied_to_another_machine_open_nothing(
    cli_run, optout_home, tmp_path, monkeypatch, memory_keyring
):
    """The whole data folder copied to another machine (another keyring): the saved session is
    unreadable there, so it signs nobody in; optout says why in its log and asks for a sign-in."""
    replica()
    cli_run(
        "--sandbox",
        "account",
        "add",
        "linkedin",
        "--totp",
        input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n{SENTINEL_TOTP}\n",
        expect=0,
    )
    cli_run("--sandbox", "check", "linkedin", expect=3)
    assert list(Profile("sandbox-default").sessions.glob("linkedin--*.session"))

    elsewhere = tmp_path / "other-machine"
    shutil.copytree(optout_home, elsewhere)
    monkeypatch.setenv("OPTOUT_HOME", str(elsewhere))
    monkeypatch.setenv("OPTOUT_SANDBOX_HOME", str(state_file("default").parent))
    keyring.set_keyring(type(memory_keyring)())  # the other machine's keyring: no key, no password
    result = cli_run("--sandbox", "--json", "check", "linkedin", expect=4)
    assert set(states(result).values()) == {"needs_login"}
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any(
        e["event"] == "session.unreadable" and e["platform"] == "linkedin" for e in logged
    ), logged
