"""What `optout doctor` shows: the browser, its sandbox, the person's own browser, where secrets
live, the data folder and the versions, each line ok or not with its fix. Reads no secret."""

from __future__ import annotations

import asyncio
import errno
import os
import platform as _platform
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import keyring

from optout import chromesandbox
from optout.browser import browser_version, find_browser
from optout.connect import doctor_value as own_browser_value
from optout.errors import OptoutError
from optout.filestore import FILE_STORE_WARNING, file_store_path, uses_file_store
from optout.oskeyring import keyring_fixes, keyring_problem, keyring_unlock_problem
from optout.paths import Profile, folder_error, home


@dataclass
class DoctorLine:
    name: str
    ok: bool
    value: str
    fix: str | None = None


def _browser_line(browser_path: str | None) -> DoctorLine:
    try:
        choice = find_browser(browser_path)
        version = asyncio.run(browser_version(choice))
    except OptoutError as exc:
        return DoctorLine("browser", False, exc.message, exc.hint)
    value = f"{choice.describe()}, version {version}"
    return DoctorLine("browser", choice.warning is None, value, choice.warning)


def _writable_line(root: Path) -> DoctorLine:
    """Whether optout can write its data folder (or the folder it would be created in): a full
    disk or a read-only mount is found here, not halfway through a run."""
    folder = next((p for p in (root, *root.parents) if os.path.lexists(p)), root)
    try:
        if not folder.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a folder")
        with tempfile.TemporaryFile(dir=folder) as probe:
            probe.write(b"optout doctor")
            probe.flush()
            os.fsync(probe.fileno())
        free_mb = shutil.disk_usage(folder).free // 2**20
    except OSError as exc:
        problem = folder_error(exc, folder, root)
        return DoctorLine("data dir writable", False, problem.message, problem.hint)
    if free_mb < 50:  # screenshots and the history need room; a run would fail halfway
        return DoctorLine(
            "data dir writable",
            False,
            f"only {free_mb} MB free on the disk of {folder}",
            "Free some space on that disk, then run optout again.",
        )
    return DoctorLine(
        "data dir writable", True, "yes" if folder == root else f"yes (it will be made in {folder})"
    )


def _data_dir_lines(profile: Profile) -> list[DoctorLine]:
    root = profile.root or home()
    source = "OPTOUT_HOME" if os.environ.get("OPTOUT_HOME") and profile.root is None else "default"
    lines = [DoctorLine("data dir", True, f"{root} ({source})"), _writable_line(root)]
    if not root.exists():
        lines.append(
            DoctorLine("data dir permissions", True, "not created yet (made 0700 on first use)")
        )
        return lines
    if sys.platform.startswith("win"):  # no POSIX modes: the user profile folder protects it
        return lines
    dirs = [d for d in (root, profile.base, profile.sessions) if d.is_dir()]
    too_open = [d for d in dirs if stat.S_IMODE(d.stat().st_mode) & 0o077]
    if not too_open:
        lines.append(DoctorLine("data dir permissions", True, "0700"))
    else:
        modes = ", ".join(f"{d} is {stat.S_IMODE(d.stat().st_mode):04o}" for d in too_open)
        fix = "chmod 700 " + " ".join(str(d) for d in too_open)
        lines.append(
            DoctorLine("data dir permissions", False, f"{modes} (others can read it)", fix)
        )
    return lines


def _versions() -> list[DoctorLine]:
    try:
        pw = metadata.version("playwright")
    except metadata.PackageNotFoundError:
        return [
            DoctorLine("python", True, _platform.python_version()),
            DoctorLine(
                "playwright",
                False,
                "not installed",
                "Reinstall optout-ai with the tool that installed it "
                "(`uv tool install --reinstall optout-ai`, `pipx reinstall optout-ai`): it needs Playwright.",
            ),
        ]
    return [
        DoctorLine("python", True, _platform.python_version()),
        DoctorLine("playwright", True, pw),
    ]


def _connect_line(target: str | None = None) -> DoctorLine:
    """Whether `--connect` would find the person's own browser (informational unless asked for)."""
    return DoctorLine("your browser (--connect)", *own_browser_value(target))


def doctor_report(
    profile: Profile, browser_path: str | None = None, connect: str | None = None
) -> list[DoctorLine]:
    """What `optout doctor` shows: each line ok or not, with the fix. Reads no secret."""
    return [
        _browser_line(browser_path),
        _sandbox_line(),
        _connect_line(connect),
        *_secret_lines(profile),
        *_data_dir_lines(profile),
        *_versions(),
    ]


def _sandbox_line() -> DoctorLine:
    """Whether Chromium runs inside its own sandbox (after _browser_line launched it once)."""
    return DoctorLine("browser sandbox", *chromesandbox.doctor_line())


def _secret_lines(profile: Profile) -> list[DoctorLine]:
    """Where the profile's secrets live: the file store it chose (named as weaker), or the keyring,
    which must also unlock without a prompt, as a scheduled run needs."""
    if uses_file_store(profile):
        value = (
            f"file store {file_store_path(profile)}, chosen for this profile "
            f"(weaker than a keyring: {FILE_STORE_WARNING})"
        )
        if keyring_problem() is None and keyring_unlock_problem() is None:
            value += (
                "; a keyring works here now: `optout account move --to keyring` moves them into it"
            )
        return [DoctorLine("secrets", True, value)]
    problem = keyring_problem()
    backend = getattr(keyring.get_keyring(), "name", "?")
    if problem:
        return [DoctorLine("keyring", False, problem, keyring_fixes())]
    locked = keyring_unlock_problem()
    if locked:
        if (
            "cryptfile" in locked
        ):  # its password cannot go into a schedule: optout writes no secret there
            first = (
                "Set KEYRING_CRYPTFILE_PASSWORD in the shell you run optout from; a scheduled run "
                "cannot be given it, so for schedules keep the secrets elsewhere"
            )
        elif "Secret Service" in locked:
            first = "Unlock it before optout runs (`gnome-keyring-daemon --unlock` on a server)"
        else:
            first = "Unlock it before optout runs"
        return [
            DoctorLine(
                "keyring",
                False,
                f"{backend}: {locked}",
                f"{first}, or see the other ways:\n{keyring_fixes()}",
            )
        ]
    return [DoctorLine("keyring", True, f"{backend}, unlocks without a prompt")]
