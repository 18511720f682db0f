"""Schedules: the entry for each system, installing/removing, systemd-analyze, the run lock."""

from __future__ import annotations

import os
import plistlib
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import optout
from optout import schedule
from optout.errors import OptoutError
from optout.notify import load_urls
from optout.paths import Profile
from optout.runlock import run_lock
from optout.schedule import CRONTAB, ScheduleSpec, install, remove, render, status


def child_env() -> dict:
    """The test's environment, with this checkout importable in a child Python."""
    src = str(Path(optout.__file__).resolve().parents[1])
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
    }


SECRET_URL = "ntfy://SENTINELTOKEN123@ntfy.example/optout"
PY = [sys.executable, "-m", "optout"]


@pytest.fixture(autouse=True)
def fake_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return home


class FakeSystem:
    """Stands in for systemctl, launchctl, schtasks and crontab; keeps the crontab in memory."""

    def __init__(self):
        self.calls: list[list[str]] = []
        self.crontab: str | None = None

    def __call__(self, cmd, input=None):
        self.calls.append(cmd)
        if cmd[:2] == ["crontab", "-l"]:
            if self.crontab is None:
                return subprocess.CompletedProcess(cmd, 1, "", "no crontab for user")
            return subprocess.CompletedProcess(cmd, 0, self.crontab, "")
        if cmd[:2] == ["crontab", "-"]:
            self.crontab = input
        return subprocess.CompletedProcess(cmd, 0, "", "")


@pytest.fixture
def fake(monkeypatch):
    system = FakeSystem()
    monkeypatch.setattr(schedule, "_run", system)
    return system


def spec(**kw):
    return ScheduleSpec(
        **{"every": "daily", "profile": "alice", "optout_cmd": PY, "notify": [SECRET_URL], **kw}
    )


def test_systemd_units(fake_home):
    files = render(spec(fix=False), "systemd")
    unit_dir = fake_home / ".config" / "systemd" / "user"
    service, timer = (
        files[unit_dir / "optout-alice.service"],
        files[unit_dir / "optout-alice.timer"],
    )
    assert f"ExecStart={sys.executable} -m optout --profile alice check --scheduled" in service
    assert "Type=oneshot" in service
    assert "OnCalendar=*-*-* 10:00:00" in timer and "Persistent=true" in timer
    assert "RandomizedDelaySec=" in timer and "WantedBy=timers.target" in timer
    weekly = render(spec(every="weekly", fix=True), "systemd")
    assert " off --scheduled" in weekly[unit_dir / "optout-alice.service"]
    assert "OnCalendar=Mon " in weekly[unit_dir / "optout-alice.timer"]


def test_systemd_quotes_odd_paths(monkeypatch):
    monkeypatch.setenv("OPTOUT_HOME", "/data/my files/100%")
    service = next(iter(render(spec(optout_cmd=["/opt/my apps/optout"]), "systemd").values()))
    assert 'ExecStart="/opt/my apps/optout" --profile alice' in service
    assert 'Environment="OPTOUT_HOME=/data/my files/100%%"' in service


def test_launchd_plist():
    [(path, text)] = render(spec(every="weekly"), "launchd").items()
    assert path.name == "org.optout.alice.plist" and path.parent.name == "LaunchAgents"
    plist = plistlib.loads(text.encode())
    assert plist["Label"] == "org.optout.alice"
    assert plist["ProgramArguments"] == [*PY, "--profile", "alice", "check", "--scheduled"]
    assert plist["StartCalendarInterval"] == {"Hour": 10, "Minute": 0, "Weekday": 1}
    assert plist["EnvironmentVariables"]["OPTOUT_HOME"] == os.environ["OPTOUT_HOME"]


def windows_action(text: str) -> tuple[str, dict[str, str], list[str]]:
    """What the task runs: its Command, and from PowerShell's -Command script the variables it sets
    and the command it starts (PowerShell's single-quote rules: nothing expanded, '' is ')."""
    import re
    import xml.etree.ElementTree as ET

    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    root = ET.fromstring(text.encode("utf-16"))
    command = root.find("t:Actions/t:Exec/t:Command", ns).text
    arguments = root.find("t:Actions/t:Exec/t:Arguments", ns).text
    head, script = arguments.split(" -Command ", 1)
    assert head == "-NoProfile -NonInteractive -WindowStyle Hidden"
    assert script[0] == script[-1] == '"' and '"' not in script[1:-1] and "%" not in script
    word = r"'((?:[^']|'')*)'"
    found = re.fullmatch(
        rf"((?:\$env:\w+ = {word}; )*)& ((?:{word} ?)+); exit \$LASTEXITCODE", script[1:-1]
    )
    assert found, script
    env = {
        k: v.replace("''", "'") for k, v in re.findall(rf"\$env:(\w+) = {word}; ", found.group(1))
    }
    argv = [v.replace("''", "'") for v in re.findall(word, found.group(3))]
    return command, env, argv


def test_windows_task_xml():
    optout_exe = r"C:\Program Files\optout\optout.exe"
    [(path, text)] = render(spec(optout_cmd=[optout_exe], fix=True), "windows").items()
    assert path.name == "optout-alice.task.xml"
    command, env, argv = windows_action(text)
    assert command == "powershell.exe"
    assert argv == [optout_exe, "--profile", "alice", "off", "--scheduled"]
    assert env["OPTOUT_PROFILE"] == "alice"
    assert (
        "<StartWhenAvailable>true</StartWhenAvailable>" in text
        and "<DaysInterval>1</DaysInterval>" in text
    )


def test_a_windows_task_carries_the_same_variables_as_the_other_entries(monkeypatch):
    """A scheduled task has no environment of its own: the action sets the allow-listed variables
    of the installing shell, as cron's line and the systemd unit do, and no secret."""
    monkeypatch.setenv("OPTOUT_HOME", r"C:\Users\O'Brien\AppData\Local\optout")
    monkeypatch.setenv("OPTOUT_BROWSER", r"C:\Program Files\Google\Chrome\Application\chrome.exe")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.Windows.WinVaultKeyring")
    monkeypatch.setenv("PATH", r"C:\Users\O'Brien\.local\bin;C:\Windows\system32")
    monkeypatch.setenv("KEYRING_CRYPTFILE_PASSWORD", "SENTINELKEYRINGPW")
    s = spec(optout_cmd=[r"C:\Users\O'Brien\.local\bin\optout.exe"])
    [text] = [
        t for t in install(s, dry_run=True, system="windows") if t.startswith("# ") and "<Task" in t
    ]
    command, env, argv = windows_action(text.split("\n", 1)[1])
    assert env == s.env and set(env) >= {
        "OPTOUT_HOME",
        "OPTOUT_PROFILE",
        "OPTOUT_BROWSER",
        "PYTHON_KEYRING_BACKEND",
        "PATH",
    }
    assert env["OPTOUT_HOME"] == r"C:\Users\O'Brien\AppData\Local\optout"
    assert argv == [*s.optout_cmd, "--profile", "alice", "check", "--scheduled"]
    assert "SENTINELKEYRINGPW" not in text


@pytest.mark.parametrize("value", ['C:\\x"y', r"C:\%USERPROFILE%\optout"])
def test_a_value_a_windows_task_cannot_carry_is_refused(monkeypatch, value):
    monkeypatch.setenv("OPTOUT_BROWSER", value)
    with pytest.raises(OptoutError) as info:
        render(spec(), "windows")
    assert "OPTOUT_BROWSER" in info.value.message and "schedule install" in info.value.hint


def test_cron_line():
    line = render(spec(every="weekly"), "cron")[CRONTAB]
    minute, hour, dom, month, dow, *rest = line.split()
    assert (hour, dom, month, dow) == ("10", "*", "*", "1") and 0 <= int(minute) < 60
    assert "--profile alice check --scheduled" in line and line.rstrip().endswith(
        "# optout-schedule:alice"
    )


def test_no_secret_in_any_generated_file():
    for system in schedule.SYSTEMS:
        for text in render(spec(), system).values():
            assert "SENTINELTOKEN123" not in text and "ntfy" not in text


def test_bad_spec():
    with pytest.raises(OptoutError):
        ScheduleSpec(every="hourly")
    with pytest.raises(OptoutError):
        ScheduleSpec(profile="../etc")


def test_dry_run_writes_nothing(fake, fake_home):
    out = install(spec(), dry_run=True, system="systemd")
    assert any("ExecStart=" in chunk for chunk in out)
    assert any("systemctl --user enable --now optout-alice.timer" in chunk for chunk in out)
    assert not (fake_home / ".config").exists() and fake.calls == []
    assert load_urls("alice") == []


def test_install_status_remove_systemd(fake, fake_home):
    done = install(spec(), system="systemd")
    unit_dir = fake_home / ".config" / "systemd" / "user"
    assert (unit_dir / "optout-alice.timer").exists() and (
        unit_dir / "optout-alice.service"
    ).exists()
    assert ["systemctl", "--user", "daemon-reload"] in fake.calls
    assert ["systemctl", "--user", "enable", "--now", "optout-alice.timer"] in fake.calls
    assert any(line.startswith("wrote ") for line in done)
    assert load_urls("alice") == [SECRET_URL]  # in the keyring, not in the unit
    info = status("alice", system="systemd")
    assert info["installed"] and len(info["files"]) == 2 and info["notify_urls"] == 1
    removed = remove("alice", system="systemd")
    assert ["systemctl", "--user", "disable", "--now", "optout-alice.timer"] in fake.calls
    assert not unit_dir.joinpath("optout-alice.timer").exists() and any(
        "deleted" in r for r in removed
    )
    assert load_urls("alice") == [] and not status("alice", system="systemd")["installed"]
    assert remove("alice", system="systemd") == ["no schedule was installed for profile alice"]


def test_install_cron_keeps_other_lines(fake):
    fake.crontab = "0 1 * * * backup.sh\n"
    install(spec(), system="cron")
    install(spec(every="weekly"), system="cron")  # replaces, does not duplicate
    lines = fake.crontab.splitlines()
    assert lines[0] == "0 1 * * * backup.sh" and len(lines) == 2 and " * * 1 " in lines[1]
    assert status("alice", system="cron")["installed"]
    remove("alice", system="cron")
    assert fake.crontab == "0 1 * * * backup.sh\n"


def test_install_launchd_and_windows(fake, fake_home):
    install(spec(), system="launchd")
    plist = fake_home / "Library" / "LaunchAgents" / "org.optout.alice.plist"
    assert plist.exists() and ["launchctl", "load", "-w", str(plist)] in fake.calls
    install(spec(), system="windows")
    xml = Profile("alice").base / "optout-alice.task.xml"
    assert xml.read_text(encoding="utf-16").startswith("<?xml")
    assert ["schtasks", "/Create", "/TN", "optout-alice", "/XML", str(xml), "/F"] in fake.calls


def test_a_failing_scheduler_is_an_optout_error(monkeypatch):
    monkeypatch.setattr(
        schedule, "_run", lambda cmd, input=None: subprocess.CompletedProcess(cmd, 1, "", "boom")
    )
    with pytest.raises(OptoutError, match="boom"):
        install(spec(), system="systemd")


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_analyze_verify(tmp_path, fake_home):
    files = render(spec(fix=True), "systemd")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    done = subprocess.run(
        ["systemd-analyze", "--user", "verify", *map(str, files)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    complaints = [line for line in done.stderr.splitlines() if "optout-alice" in line]
    assert done.returncode == 0 and complaints == [], done.stderr


# -- the run lock -------------------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import time
    from optout.paths import Profile
    from optout.runlock import run_lock
    with run_lock(Profile()):
        print("locked", flush=True)
        time.sleep(60)
    """
)


def test_run_lock_between_two_processes():
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, env=child_env()
    )
    try:
        assert child.stdout.readline().strip() == b"locked"
        with pytest.raises(
            OptoutError, match=rf"another optout run is in progress \(pid {child.pid}\)"
        ):
            with run_lock(Profile()):
                pass
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    with run_lock(Profile()):  # a killed holder leaves no stale lock
        assert (Profile().base / "run.pid").read_text() == str(os.getpid())
    assert not (Profile().base / "run.pid").exists()


def test_every_entry_carries_what_the_run_needs_and_no_secret(monkeypatch, fake_home):
    """The scheduled run must reach the same keyring, browser and data folder as the shell that
    installed it; a keyring password in the environment never goes along."""
    monkeypatch.delenv(
        "OPTOUT_HOME"
    )  # the default folder is written out too: keyring entries are tied to it
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus")
    monkeypatch.setenv("OPTOUT_BROWSER", "/opt/chromium/chrome")
    monkeypatch.setenv("PATH", "/home/ann/.local/bin:/usr/bin:/bin")
    monkeypatch.setenv("KEYRING_CRYPTFILE_PASSWORD", "SENTINELKEYRINGPW")
    from optout.paths import home

    for system in ("systemd", "launchd", "cron", "windows"):
        text = "".join(render(spec(), system).values())
        for value in (
            "keyrings.alt.file.PlaintextKeyring",
            "unix:path=/run/user/1000/bus",
            "/opt/chromium/chrome",
            "/home/ann/.local/bin:/usr/bin:/bin",
            str(home()),
        ):
            assert value in text, (system, value)
        assert "OPTOUT_PROFILE" in text and "SENTINELKEYRINGPW" not in text, system
    plist = plistlib.loads(render(spec(), "launchd")[schedule._launchd_path("alice")].encode())
    assert plist["EnvironmentVariables"]["OPTOUT_PROFILE"] == "alice"


def test_cron_dry_run_merges_with_the_persons_crontab(fake, tmp_path, monkeypatch):
    """The printed command, run by a shell, keeps the person's lines and replaces only this
    profile's (a stand-in `crontab` keeps the table in a file and, like crontab, installs the new
    one only once it has read all of it)."""
    table = tmp_path / "table"
    table.write_text("0 1 * * * backup.sh\n5 10 * * * old # optout-schedule:alice\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "crontab").write_text(
        textwrap.dedent(f"""\
        #!/bin/sh
        if [ "$1" = "-l" ]; then cat '{table}'; else t=$(cat); printf '%s\\n' "$t" > '{table}'; fi
        """)
    )
    (bin_dir / "crontab").chmod(0o755)
    out = install(spec(), dry_run=True, system="cron")
    command = out[-1].removeprefix("# then: ")
    assert command != "crontab -" and fake.calls == []
    line = render(spec(), "cron")[CRONTAB].rstrip("\n")
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    subprocess.run(["sh", "-c", command], check=True, timeout=30)
    lines = table.read_text().splitlines()
    assert lines[0] == "0 1 * * * backup.sh" and len(lines) == 2
    assert lines[1] == line


def test_schedule_test_runs_the_command_with_only_the_entrys_environment(monkeypatch):
    """What `optout schedule test` runs: the entry's variables and the scheduler's few, nothing
    else of this shell (a variable only this terminal has would hide what the schedule lacks)."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("ONLY_THIS_TERMINAL", "1")
    monkeypatch.setenv("KEYRING_CRYPTFILE_PASSWORD", "SENTINELKEYRINGPW")
    show = (
        "import json, os, sys; print(json.dumps([sorted(os.environ), sys.argv[1:]])); sys.exit(3)"
    )
    done = schedule.run_as_scheduled(spec(optout_cmd=[sys.executable, "-c", show], fix=True))
    import json

    names, args = json.loads(done.stdout)
    assert done.returncode == 3 and args == ["--profile", "alice", "off", "--scheduled"]
    assert {"OPTOUT_HOME", "OPTOUT_PROFILE", "PYTHON_KEYRING_BACKEND", "PATH"} <= set(names)
    assert "ONLY_THIS_TERMINAL" not in names and "KEYRING_CRYPTFILE_PASSWORD" not in names
