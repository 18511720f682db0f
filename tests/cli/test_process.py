"""optout as a process: what a signal (Ctrl-C, SIGTERM, a closed terminal) does to a run and to
an assisted session, tested on real subprocesses with real signals. Each test waits on what the
process prints, never on a fixed time."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and process groups")


def start(args: list[str], tmp_path: Path, **env) -> subprocess.Popen:
    """A process in its own session and process group, as a terminal's foreground job is."""
    environ = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OPTOUT_SANDBOX_HOME": str(tmp_path / "sandbox-home"),
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    environ.pop("OPTOUT_RAISE_ERRORS", None)
    return subprocess.Popen(
        [sys.executable, *args],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_for(proc: subprocess.Popen, marker: str) -> str:
    """Read the process's output until a line holds `marker` (fails if it ends first)."""
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if marker in line:
            return "".join(seen)
    proc.wait(timeout=60)
    pytest.fail(
        f"the process ended (exit {proc.returncode}) before printing {marker!r}:\n{''.join(seen)[-3000:]}"
    )


def finish(proc: subprocess.Popen) -> str:
    try:
        out, _ = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"the process did not stop:\n{out[-3000:]}")
    return out


# --- 12.10: Ctrl-C in a terminal stops the run, says what finished, records nothing half-done ------


def test_ctrl_c_in_a_terminal_stops_the_demo_with_130_and_keeps_no_half_done_run(
    optout_home, tmp_path
):
    proc = start(["-m", "optout", "--sandbox", "demo"], tmp_path)
    wait_for(proc, "2. Switch off")
    os.killpg(
        proc.pid, signal.SIGINT
    )  # what the terminal does on Ctrl-C: the whole foreground group
    out = finish(proc)
    assert proc.returncode == 130, out[-3000:]
    assert "Aborted!" not in out
    assert "Stopped (Ctrl-C). Finished: 1. Check (read only). Not finished: 2. Switch off" in out, (
        out[-2000:]
    )
    assert "3. Check again" not in out.split("Stopped (Ctrl-C)")[0].split("2. Switch off")[-1]
    db = sqlite3.connect(optout_home / "profiles" / "sandbox-demo" / "history.sqlite3")
    runs = db.execute("SELECT id, kind, finished_at FROM runs").fetchall()
    assert [(kind, done is not None) for _, kind, done in runs] == [("check", True)], runs
    orphans = db.execute(
        "SELECT count(*) FROM results WHERE run_id NOT IN (SELECT id FROM runs)"
    ).fetchone()
    assert orphans == (0,)


def test_a_lone_sigint_to_optout_stops_it_with_130(tmp_path):
    proc = start(["-m", "optout", "--sandbox", "demo"], tmp_path)
    wait_for(proc, "1. Check")
    os.kill(proc.pid, signal.SIGINT)
    out = finish(proc)
    assert proc.returncode == 130, out[-3000:]
    assert "Aborted!" not in out and "Stopped (Ctrl-C)." in out
    assert "Not finished: 1. Check (read only); 2. Switch off" in out


# --- 12.7: assist stopped by SIGTERM or SIGHUP leaves nothing of the person behind ----------------

ASSIST = textwrap.dedent("""
    import asyncio, sys
    from pathlib import Path
    from optout import people, stopping
    from optout.sandbox import SANDBOX_USERNAME, SANDBOX_PASSWORD, Sandbox

    scratch = Path(sys.argv[1])
    sandbox = Sandbox()

    async def sign_in(page):
        await page.wait_for_selector("#username")
        await page.get_by_label("Email or phone").fill(SANDBOX_USERNAME)
        await page.get_by_label("Password").fill(SANDBOX_PASSWORD)
        await page.get_by_role("button", name="Sign in").click()

    async def confirm(flow, readings, to_switch):
        kept = sorted(str(p) for p in scratch.rglob("*.png"))
        print("ASKING", len(kept), flush=True)
        await asyncio.Event().wait()  # the person never answers

    try:
        stopping.run(people.assist(["linkedin"], confirm=confirm, headless=True, browser_path=sys.argv[2],
                                   setup_context=sandbox.install, on_ready=sign_in, tmp_root=scratch, wait_s=120))
    except stopping.Stopped as exc:
        sys.exit(exc.exit_code)
""")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_assist_stopped_by_a_signal_removes_the_screenshots(tmp_path, browser_path, signum):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = start(["-c", ASSIST, str(scratch), browser_path], tmp_path)
    asking = wait_for(proc, "ASKING")
    assert (
        int(asking.split("ASKING")[-1].split()[0]) > 0
    )  # the person's screenshots are in the scratch folder
    assert [p.name for p in scratch.iterdir() if p.name.startswith("optout-assist-")]
    os.kill(proc.pid, signum)
    out = finish(proc)
    assert proc.returncode == 128 + signum, out[-3000:]
    assert list(scratch.iterdir()) == [], out[-3000:]


def test_assist_sweeps_scratch_folders_whose_process_is_gone(tmp_path):
    from optout.people.assist import SCRATCH_PREFIX, sweep_stale

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = tmp_path / f"{SCRATCH_PREFIX}{int(gone.stdout)}-abc_12"
    (dead / "evidence").mkdir(parents=True)
    (dead / "evidence" / "shot.png").write_bytes(b"png")
    alive = tmp_path / f"{SCRATCH_PREFIX}{os.getppid()}-def_34"
    alive.mkdir()
    other = tmp_path / "somebody-elses"
    other.mkdir()
    link = tmp_path / f"{SCRATCH_PREFIX}{int(gone.stdout)}-lnk"
    link.symlink_to(other)
    assert sweep_stale(tmp_path) == [dead]
    assert not dead.exists() and alive.is_dir() and other.is_dir() and link.is_symlink()


# --- 12.8: profile delete removes everything of the person, or says what it could not ------------


@pytest.fixture
def no_schedule(monkeypatch):
    from optout import schedule

    monkeypatch.setattr(schedule, "detect_system", lambda: "systemd")
    monkeypatch.setattr(
        schedule,
        "remove",
        lambda name, system=None: [f"no schedule was installed for profile {name}"],
    )


def delete(*args):
    from click.testing import CliRunner

    from optout.cli import cli

    return CliRunner().invoke(cli, ["profile", "delete", *args, "--yes"], catch_exceptions=False)


def a_person(name: str):
    from optout.credentials import AccountStore, Credential
    from optout.paths import Profile

    profile = Profile(name)
    AccountStore(profile).add("linkedin", Credential(f"{name}@example.org", "sentinel-pw-Del8"))
    shot = profile.evidence / "linkedin" / name / "generative-ai" / "before.png"
    shot.parent.mkdir(parents=True)
    shot.write_bytes(b"png")
    return profile


def test_delete_removes_the_sandbox_twins_replica_state(
    optout_home, tmp_path, no_schedule, monkeypatch
):
    from optout.sandbox import Sandbox, state_file

    monkeypatch.delenv("OPTOUT_SANDBOX_HOME", raising=False)
    a_person("carol")
    sandbox = Sandbox.for_profile("sandbox-carol")
    sandbox.configure("linkedin", username="carol@example.org")
    sandbox.save()
    twin = state_file("sandbox-carol")
    assert twin == optout_home.with_name(optout_home.name + "-sandbox") / "carol.json"
    assert "carol@example.org" in twin.read_text()
    result = delete("carol")
    assert result.exit_code == 0, result.output
    assert not twin.exists()
    assert f"deleted {twin} (the sandbox replicas' state" in result.output
    assert "Not tracked, so not deleted: handouts" in result.output


def test_delete_follows_a_linked_profile_folder_that_holds_only_optouts_files(
    optout_home, tmp_path, no_schedule
):
    target = tmp_path / "elsewhere" / "carol"
    target.mkdir(parents=True)
    (optout_home / "profiles").mkdir(parents=True)
    (optout_home / "profiles" / "carol").symlink_to(target)
    a_person("carol")
    assert (target / "accounts.json").exists()
    result = delete("carol")
    assert result.exit_code == 0, result.output
    assert list(target.iterdir()) == [] and not (optout_home / "profiles" / "carol").is_symlink()
    assert "0 files" not in result.output and "2 files" in result.output, result.output
    assert f"was a link to {target}" in result.output


def test_delete_refuses_a_linked_folder_holding_other_files_and_says_what_remains(
    optout_home, tmp_path, no_schedule
):
    target = tmp_path / "shared"
    target.mkdir()
    (target / "tax-return.pdf").write_bytes(b"not optout's")
    (optout_home / "profiles").mkdir(parents=True)
    link = optout_home / "profiles" / "carol"
    link.symlink_to(target)
    a_person("carol")
    result = delete("carol")
    assert result.exit_code == 1, result.output
    assert (
        "NOT DELETED:" in result.output
        and "tax-return.pdf" in result.output
        and str(target) in result.output
    )
    assert (
        (target / "tax-return.pdf").exists()
        and (target / "accounts.json").exists()
        and link.is_symlink()
    )


def test_after_assist_the_handout_is_named_as_what_remains(tmp_path):
    from optout.people import what_was_kept

    handout = tmp_path / "optout-handout-2026-12-02.html"
    said = what_was_kept(None, handout)
    assert str(handout) in said and "Nothing else of the person was kept" in said
    assert not said.startswith("Nothing of the person")
    assert what_was_kept(None, None) == "Nothing of the person was kept on this machine."


def test_a_session_waiting_at_a_question_stops_on_a_signal(tmp_path):
    """assist asks the person in a thread; a signal must not wait for someone to press Enter."""
    script = textwrap.dedent("""
        import sys
        from optout import stopping
        from optout.cli.people import ask_aside

        def ask():
            print("ASKING", flush=True)
            return sys.stdin.readline()

        try:
            stopping.run(ask_aside(ask))
        except stopping.Stopped as exc:
            sys.exit(exc.exit_code)
    """)
    environ = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        env=environ,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    wait_for(proc, "ASKING")
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=60)  # stdin stays open: nobody answers
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the process waited for an answer after SIGTERM")
    finally:
        proc.stdin.close()
    assert proc.returncode == 128 + signal.SIGTERM, proc.stdout.read()
