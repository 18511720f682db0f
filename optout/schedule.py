"""Scheduled re-checks: the right entry for each system (optout.runlock keeps runs from overlapping).

The entries run `optout --profile P check --scheduled` (or `off` when the person chose --fix):
unattended, read-only unless asked. They carry no secrets: notification URLs (which often hold
tokens) go to the keyring via optout.notify, and the scheduled run reads them from there.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import subprocess
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from optout import notify
from optout.errors import OptoutError
from optout.paths import Profile, check_profile_name, home

SYSTEMS = ("systemd", "launchd", "windows", "cron")
EVERY = ("daily", "weekly")
HOUR = 10  # local time; machines are more often on at 10:00 than at midnight
#: Taken from the installing shell when set, so the scheduled run meets the same browser, keyring and
#: folders as `optout account add` did: cron, launchd and systemd start with an almost empty
#: environment. Names only, never a secret (a keyring password stays out of every entry).
PASSED_ENV = (
    "OPTOUT_BROWSER",
    "PYTHON_KEYRING_BACKEND",
    "DBUS_SESSION_BUS_ADDRESS",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "PATH",
)
CRONTAB = Path("crontab")  # render()'s key for "a line in the user's crontab"


def default_optout_cmd() -> list[str]:
    """This install's own command, beside its Python: the `optout` first on PATH may be another
    project's (PyPI's `optout` is), and a scheduled run must not start it."""
    mine = Path(sys.executable).parent / (
        "optout.exe" if sys.platform.startswith("win") else "optout"
    )
    return [str(mine)] if mine.is_file() else [sys.executable, "-m", "optout"]


@dataclass
class ScheduleSpec:
    every: str = "daily"
    fix: bool = False
    notify: list[str] = field(default_factory=list)
    profile: str = "default"
    optout_cmd: list[str] = field(default_factory=default_optout_cmd)

    def __post_init__(self) -> None:
        if self.every not in EVERY:
            raise OptoutError(f"--every must be daily or weekly, not {self.every!r}.")
        check_profile_name(self.profile)

    @property
    def argv(self) -> list[str]:
        return [
            *self.optout_cmd,
            "--profile",
            self.profile,
            "off" if self.fix else "check",
            "--scheduled",
        ]

    @property
    def env(self) -> dict[str, str]:
        """What the scheduled run needs: the data folder always (keyring entries are tied to it, so
        another folder would find no accounts), the profile, and PASSED_ENV as this shell has them."""

        return {
            "OPTOUT_HOME": str(home()),
            "OPTOUT_PROFILE": self.profile,
            **{k: os.environ[k] for k in PASSED_ENV if os.environ.get(k)},
        }

    @property
    def what(self) -> str:
        return f"optout: {self.every} {'fix' if self.fix else 'check'} of AI-training settings (profile {self.profile})"


def detect_system() -> str:
    if sys.platform == "darwin":
        return "launchd"
    if sys.platform == "win32":
        return "windows"
    if shutil.which("systemctl") and Path("/run/systemd/system").is_dir():  # systemd is running
        return "systemd"
    return "cron"


def _name(profile: str) -> str:
    return f"optout-{check_profile_name(profile)}"


def _systemd_dir() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user"


def _launchd_path(profile: str) -> Path:
    return (
        Path.home() / "Library" / "LaunchAgents" / f"org.optout.{check_profile_name(profile)}.plist"
    )


def _windows_path(profile: str) -> Path:
    return Profile(profile).base / f"{_name(profile)}.task.xml"


def _log_path(profile: str) -> Path:
    return Profile(profile).base / "schedule.log"


def _files(profile: str, system: str) -> list[Path]:
    if system == "systemd":
        return [_systemd_dir() / f"{_name(profile)}.{kind}" for kind in ("service", "timer")]
    return {"launchd": [_launchd_path(profile)], "windows": [_windows_path(profile)]}.get(
        system, []
    )


def _marker(profile: str) -> str:
    return f"# optout-schedule:{check_profile_name(profile)}"


# -- rendering ----------------------------------------------------------------------------------


def _systemd_word(arg: str) -> str:
    arg = arg.replace("%", "%%").replace("$", "$$")
    if any(c in arg for c in " \t\"'\\;") or not arg:
        return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return arg


def _systemd(spec: ScheduleSpec) -> dict[Path, str]:
    name = _name(spec.profile)
    env = "".join(f"Environment={_systemd_word(f'{k}={v}')}\n" for k, v in spec.env.items())
    service = (
        f"[Unit]\nDescription={spec.what}\n\n"
        f"[Service]\nType=oneshot\nExecStart={' '.join(map(_systemd_word, spec.argv))}\n{env}"
        "Nice=10\nIOSchedulingClass=idle\n"
    )
    calendar = f"*-*-* {HOUR:02d}:00:00" if spec.every == "daily" else f"Mon *-*-* {HOUR:02d}:00:00"
    timer = (
        f"[Unit]\nDescription={spec.what}\n\n"
        f"[Timer]\nOnCalendar={calendar}\nPersistent=true\nRandomizedDelaySec=30min\nUnit={name}.service\n\n"
        "[Install]\nWantedBy=timers.target\n"
    )
    folder = _systemd_dir()
    return {folder / f"{name}.service": service, folder / f"{name}.timer": timer}


def _launchd(spec: ScheduleSpec) -> dict[Path, str]:
    when = {"Hour": HOUR, "Minute": 0} | ({"Weekday": 1} if spec.every == "weekly" else {})
    log = str(_log_path(spec.profile))
    plist = {
        "Label": f"org.optout.{spec.profile}",
        "ProgramArguments": spec.argv,
        "StartCalendarInterval": when,  # launchd runs a missed interval when the Mac wakes
        "StandardOutPath": log,
        "StandardErrorPath": log,
        "ProcessType": "Background",
        "RunAtLoad": False,
    }
    if spec.env:
        plist["EnvironmentVariables"] = spec.env
    return {_launchd_path(spec.profile): plistlib.dumps(plist).decode()}


def _powershell_word(value: str) -> str:
    """A PowerShell single-quoted string: nothing inside is expanded; a quote is doubled."""
    return "'" + value.replace("'", "''") + "'"


def _windows_action(spec: ScheduleSpec) -> tuple[str, str]:
    """(Command, Arguments) of the task. A scheduled task has no environment of its own, so the
    action is PowerShell setting the entry's variables (as cron's line and the systemd unit carry
    them) and then starting optout, whose exit code becomes the task's result. Task Scheduler
    expands %NAME% in the action and the command line gives `"` a meaning of its own: a value
    holding either is refused rather than passed on changed."""
    for name, value in [*spec.env.items(), *(("the optout command", a) for a in spec.argv)]:
        if bad := next((c for c in '"%\r\n' if c in value), None):
            raise OptoutError(
                f"{name} holds {bad!r}, which a Windows scheduled task cannot carry as it is.",
                f"Set {name} without it (or install optout in a folder without it), then run "
                "`optout schedule install` again.",
            )
    sets = "".join(f"$env:{name} = {_powershell_word(value)}; " for name, value in spec.env.items())
    script = f"{sets}& {' '.join(map(_powershell_word, spec.argv))}; exit $LASTEXITCODE"
    return "powershell.exe", f'-NoProfile -NonInteractive -WindowStyle Hidden -Command "{script}"'


def _windows(spec: ScheduleSpec) -> dict[Path, str]:
    command, arguments = _windows_action(spec)
    by = (
        "<ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay>"
        if spec.every == "daily"
        else "<ScheduleByWeek><WeeksInterval>1</WeeksInterval><DaysOfWeek><Monday/></DaysOfWeek></ScheduleByWeek>"
    )
    xml = f"""<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo><Description>{xml_escape(spec.what)}</Description></RegistrationInfo>
  <Triggers>
    <CalendarTrigger>
      <StartBoundary>2026-01-05T{HOUR:02d}:00:00</StartBoundary>
      <RandomDelay>PT30M</RandomDelay>
      {by}
    </CalendarTrigger>
  </Triggers>
  <Principals><Principal id="Author"><LogonType>InteractiveToken</LogonType><RunLevel>LeastPrivilege</RunLevel></Principal></Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>true</RunOnlyIfNetworkAvailable>
    <ExecutionTimeLimit>PT1H</ExecutionTimeLimit>
  </Settings>
  <Actions Context="Author">
    <Exec><Command>{xml_escape(command)}</Command><Arguments>{xml_escape(arguments)}</Arguments></Exec>
  </Actions>
</Task>
"""
    return {_windows_path(spec.profile): xml}


def _cron(spec: ScheduleSpec) -> dict[Path, str]:
    minute = zlib.crc32(spec.profile.encode()) % 60  # spread profiles and users over the hour
    days = "*" if spec.every == "daily" else "1"
    env = "".join(f"{k}={shlex.quote(v)} " for k, v in spec.env.items())
    cmd = " ".join(shlex.quote(a) for a in spec.argv)
    line = (
        f"{minute} {HOUR} * * {days} {env}{cmd} >>{shlex.quote(str(_log_path(spec.profile)))} 2>&1"
    )
    return {CRONTAB: line.replace("%", "\\%") + f" {_marker(spec.profile)}\n"}


def render(spec: ScheduleSpec, system: str) -> dict[Path, str]:
    """The files (or, for cron, the crontab line) that schedule `spec` on `system`."""
    renderers = {"systemd": _systemd, "launchd": _launchd, "windows": _windows, "cron": _cron}
    if system not in renderers:
        raise OptoutError(f"Unknown scheduler {system!r}.", f"Use one of: {', '.join(SYSTEMS)}.")
    return renderers[system](spec)


# -- installing ---------------------------------------------------------------------------------


def _run(cmd: list[str], input: str | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        return subprocess.CompletedProcess(cmd, 127, "", f"{cmd[0]} not found")
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, 124, "", f"{cmd[0]} did not answer within 60 s")


def _must(cmd: list[str], input: str | None = None) -> str:
    done = _run(cmd, input)
    if done.returncode != 0:
        raise OptoutError(
            f"`{' '.join(cmd)}` failed: {(done.stderr or done.stdout).strip()}",
            "Nothing secret was written; fix the cause and run `optout schedule install` again.",
        )
    return f"ran: {' '.join(cmd)}"


def _crontab_lines() -> list[str]:
    done = _run(["crontab", "-l"])
    if done.returncode == 127:
        raise OptoutError(
            "No crontab command on this machine.",
            "Install cron (e.g. apt-get install cron), or use a systemd timer.",
        )
    return done.stdout.splitlines() if done.returncode == 0 else []  # 1: no crontab yet


def _write(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)


def merge_command(profile: str, line: str) -> str:
    """A shell command that adds `line` to the crontab, keeping every other line and replacing
    this profile's earlier one (what `install` does, for a person to run by hand)."""

    return (
        f"(crontab -l 2>/dev/null | grep -vF {shlex.quote(_marker(profile))}; "
        f"printf '%s\\n' {shlex.quote(line.rstrip(chr(10)))}) | crontab -"
    )


def install(spec: ScheduleSpec, dry_run: bool = False, system: str | None = None) -> list[str]:
    """Install the schedule; return what was written and run (or, on dry_run, would be)."""
    system = system or detect_system()
    files = render(spec, system)
    name = _name(spec.profile)
    commands = {
        "systemd": [
            ["systemctl", "--user", "daemon-reload"],
            ["systemctl", "--user", "enable", "--now", f"{name}.timer"],
        ],
        "launchd": [["launchctl", "load", "-w", str(_launchd_path(spec.profile))]],
        "windows": [
            ["schtasks", "/Create", "/TN", name, "/XML", str(_windows_path(spec.profile)), "/F"]
        ],
        "cron": [["crontab", "-"]],
    }[system]
    if dry_run:
        out = [
            f"# {'your crontab' if path == CRONTAB else path}\n{text}"
            for path, text in files.items()
        ]
        if system == "cron":  # `crontab -` alone would replace the person's whole crontab
            return out + [f"# then: {merge_command(spec.profile, files[CRONTAB])}"]
        return out + [f"# then: {' '.join(c)}" for c in commands]

    notify.save_urls(spec.profile, spec.notify)  # keyring first: a failure leaves no half install
    done: list[str] = []
    if system == "cron":
        mine = _marker(spec.profile)
        lines = [line for line in _crontab_lines() if not line.endswith(mine)]
        table = "\n".join([*lines, files[CRONTAB].rstrip("\n")]) + "\n"
        done.append(f"added to your crontab: {files[CRONTAB].rstrip()}")
        done.append(_must(["crontab", "-"], input=table))
        return done
    for path, text in files.items():
        _write(path, text, "utf-16" if system == "windows" else "utf-8")
        done.append(f"wrote {path}")
    if system == "launchd":
        _run(
            ["launchctl", "unload", str(_launchd_path(spec.profile))]
        )  # a previous version, if any
    for cmd in commands:
        done.append(_must(cmd))
    return done


#: What a scheduler gives a job of its own (cron: HOME, LOGNAME, SHELL and a short PATH; systemd and
#: launchd little more): the rest comes from the entry's own variables.
_SCHEDULER_ENV = (
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "XDG_RUNTIME_DIR",
    "SYSTEMROOT",
    "TEMP",
    "TMP",
)


def run_as_scheduled(spec: ScheduleSpec, timeout: float = 3600) -> subprocess.CompletedProcess:
    """Run the scheduled command once now, in the environment its entry gives it (nothing else
    of this shell's), so a keyring or browser it cannot reach shows up here, not in a week."""
    env = {k: os.environ[k] for k in _SCHEDULER_ENV if os.environ.get(k)}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.update(spec.env)
    try:
        return subprocess.run(
            spec.argv,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        return subprocess.CompletedProcess(spec.argv, 127, "", f"{spec.argv[0]} not found")
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(spec.argv, 124, "", f"no answer within {timeout:.0f} s")


def status(profile: str | Profile, system: str | None = None) -> dict:
    """What is installed for `profile` (files, the scheduler's own view, how many notify URLs)."""
    profile = profile.name if isinstance(profile, Profile) else profile
    system = system or detect_system()
    name = _name(profile)
    info = {"system": system, "profile": profile, "installed": False, "files": [], "detail": ""}
    if system == "cron":
        lines = [
            line
            for line in _run(["crontab", "-l"]).stdout.splitlines()
            if line.endswith(_marker(profile))
        ]
        info.update(installed=bool(lines), detail="\n".join(lines))
    else:
        info["files"] = [str(p) for p in _files(profile, system) if p.exists()]
        query = {
            "systemd": [
                "systemctl",
                "--user",
                "list-timers",
                "--all",
                "--no-pager",
                f"{name}.timer",
            ],
            "launchd": ["launchctl", "list", f"org.optout.{profile}"],
            "windows": ["schtasks", "/Query", "/TN", name, "/V", "/FO", "LIST"],
        }[system]
        done = _run(query)
        info["detail"] = (done.stdout or done.stderr).strip()
        info["installed"] = bool(info["files"]) if system != "windows" else done.returncode == 0
    info["notify_urls"] = len(notify.load_urls(profile))
    return info


def remove(profile: str | Profile, system: str | None = None) -> list[str]:
    """Remove the schedule of `profile` and its stored notification URLs; return what was done."""
    profile = profile.name if isinstance(profile, Profile) else profile
    system = system or detect_system()
    name = _name(profile)
    done: list[str] = []
    if system == "cron":
        lines = _crontab_lines()
        kept = [line for line in lines if not line.endswith(_marker(profile))]
        if len(kept) != len(lines):
            done.append(_must(["crontab", "-"], input="\n".join(kept) + "\n" if kept else ""))
    elif system == "systemd":
        paths = _files(profile, system)
        if any(p.exists() for p in paths):
            _run(["systemctl", "--user", "disable", "--now", f"{name}.timer"])
            done.append(f"ran: systemctl --user disable --now {name}.timer")
            for p in paths:
                if p.exists():
                    p.unlink()
                    done.append(f"deleted {p}")
            _run(["systemctl", "--user", "daemon-reload"])
    elif system == "launchd":
        path = _launchd_path(profile)
        if path.exists():
            _run(["launchctl", "unload", "-w", str(path)])
            path.unlink()
            done.append(f"deleted {path}")
    elif system == "windows":
        if _run(["schtasks", "/Delete", "/TN", name, "/F"]).returncode == 0:
            done.append(f"deleted the scheduled task {name}")
        _windows_path(profile).unlink(missing_ok=True)
    notify.save_urls(profile, [])
    return done or [f"no schedule was installed for profile {profile}"]
