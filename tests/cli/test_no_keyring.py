"""A machine without a keyring (WSL, SSH, a container), as real processes: with no terminal and
with one (a pty). The way past is the file store the person chooses out loud; the sentinel
password is then in that 0600 file and nowhere else, and never in what optout prints."""

from __future__ import annotations

import json
import os
import pty
import select
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SENTINEL_PASSWORD = "sentinel-pw-&<>\"' %/-N0kr"


def optout(home: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    """optout in a process of its own, no terminal on any end, no keyring (the conftest's fail backend)."""
    env = {
        **os.environ,
        "OPTOUT_HOME": str(home),
        "COLUMNS": "80",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    return subprocess.run(
        [sys.executable, "-m", "optout", *args],
        cwd=REPO,
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=None if input else subprocess.DEVNULL,
    )


def in_pty(home: Path, args: list[str], answers: list[tuple[str, str]]) -> str:
    """optout on a terminal: answers each prompt (waited for by its text) and returns all it printed."""
    env = {
        **os.environ,
        "OPTOUT_HOME": str(home),
        "COLUMNS": "80",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    pid, fd = pty.fork()
    if pid == 0:  # the child: optout with the pty as its terminal
        os.chdir(REPO)
        os.execve(sys.executable, [sys.executable, "-m", "optout", *args], env)
    seen, pending, deadline = b"", list(answers), time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            if pending and pending[0][0].encode() in seen.rsplit(b"\n", 1)[-1]:
                os.write(fd, (pending.pop(0)[1] + "\n").encode())
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return seen.decode("utf-8", "replace") + f"\n[exit {os.waitstatus_to_exitcode(status)}]"


def files_holding(home: Path, secret: str) -> list[Path]:
    """Every file holding the secret as is or JSON-escaped (once, or twice as the store keeps it)."""
    once = json.dumps(secret)[1:-1]
    forms = {secret, once, json.dumps(once)[1:-1]}
    return [
        p
        for p in home.rglob("*")
        if p.is_file() and any(f.encode() in p.read_bytes() for f in forms)
    ]


def test_without_a_keyring_and_a_terminal_the_error_names_the_file_store_and_this_pip(tmp_path):
    done = optout(
        tmp_path / "home",
        "account",
        "add",
        "linkedin",
        input=f"alice@example.org\n{SENTINEL_PASSWORD}\n",
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    said = " ".join(done.stderr.split())
    assert "--insecure-storage" in said
    assert (
        f"{sys.executable} -m pip install keyrings.cryptfile" in said
    )  # the pip of optout's own Python
    assert SENTINEL_PASSWORD not in done.stdout + done.stderr
    assert files_holding(tmp_path / "home", SENTINEL_PASSWORD) == []


def test_file_store_chosen_without_a_terminal(tmp_path):
    home = tmp_path / "home"
    added = optout(
        home,
        "account",
        "add",
        "linkedin",
        "--insecure-storage",
        input=f"alice@example.org\n{SENTINEL_PASSWORD}\n",
    )
    assert added.returncode == 0, added.stderr
    said = " ".join(added.stderr.split())
    assert "not encrypted" in said and "secrets.json" in said  # named as the weaker choice
    assert "optout account move --to keyring" in said  # and the way out once a keyring works
    store = home / "profiles" / "default" / "secrets.json"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert files_holding(home, SENTINEL_PASSWORD) == [store]
    # Every later command of this profile uses it: no keyring needed to list, read or doctor.
    listed = optout(home, "account", "list")
    assert listed.returncode == 0 and "alice@example.org" in listed.stdout
    doctor = optout(home, "doctor")
    doctor_said = " ".join(doctor.stdout.split())
    assert "file store" in doctor_said and "weaker" in doctor_said
    for done in (listed, doctor):
        assert SENTINEL_PASSWORD not in done.stdout + done.stderr


def test_file_store_chosen_on_a_terminal(tmp_path):
    home = tmp_path / "home"
    printed = in_pty(
        home,
        ["account", "add", "linkedin", "--insecure-storage"],
        [("username", "alice@example.org"), ("password", SENTINEL_PASSWORD)],
    )
    assert "[exit 0]" in printed, printed
    assert SENTINEL_PASSWORD not in printed  # the password prompt does not echo
    assert "not encrypted" in " ".join(printed.split())
    assert files_holding(home, SENTINEL_PASSWORD) == [
        home / "profiles" / "default" / "secrets.json"
    ]


def test_without_a_keyring_on_a_terminal_nothing_is_asked_before_the_error(tmp_path):
    printed = in_pty(tmp_path / "home", ["account", "add", "linkedin"], [])
    assert "[exit 1]" in printed and "username" not in printed and "--insecure-storage" in printed
    assert "Traceback" not in printed


@pytest.mark.parametrize("platform", ["linkedin"])
def test_a_profile_with_keyring_accounts_does_not_silently_switch(
    tmp_path, platform, memory_keyring
):
    from click.testing import CliRunner

    from optout.cli import cli

    first = CliRunner().invoke(
        cli, ["account", "add", platform], input=f"bob\n{SENTINEL_PASSWORD}\n"
    )
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(
        cli,
        ["account", "add", platform, "--insecure-storage"],
        input=f"carol\n{SENTINEL_PASSWORD}\n",
    )
    assert second.exit_code == 1 and "already keeps its accounts in the keyring" in second.output
