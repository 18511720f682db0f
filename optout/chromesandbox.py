"""Whether Chromium can run with its own sandbox here, and if not, why and what would fix it.

Playwright launches Chromium with `--no-sandbox` unless asked (`chromium_sandbox=False` is its
default), yet optout's browser visits sites with the person's sessions: a renderer exploit would
reach their files. So the sandbox is on wherever the system allows it. Windows and macOS always
do. On Linux, Chromium's sandbox needs unprivileged user namespaces (its setuid helper is not
installed with Playwright's or most distributions' builds) and refuses to run as root. Doctor
shows the decision; a launch that fails for the sandbox's sake is retried without it, once, and
says so.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import structlog

#: Files whose value "0" (or "1" for AppArmor's restriction) means no unprivileged user namespaces.
USERNS_SWITCHES = {
    "/proc/sys/kernel/unprivileged_userns_clone": "0",  # Debian's switch
    "/proc/sys/user/max_user_namespaces": "0",
    "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1",  # Ubuntu 23.10 and later
}


@dataclass(frozen=True)
class Decision:
    on: bool
    why: str = ""  # when off: the reason, in words
    fix: str = ""  # when off: what would turn it on
    #: Off because of how the person runs optout (as root: containers, CI), not a broken system:
    #: doctor states it without failing, as it does the file store.
    chosen: bool = False


def userns_blocked(read=None) -> str | None:
    """The switch that forbids unprivileged user namespaces here (a path), or None."""
    read = read or _read
    for path, blocked in USERNS_SWITCHES.items():
        if read(path) == blocked:
            return path
    return None


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        return None


def decide(platform: str | None = None, euid: int | None = None, read=None) -> Decision:
    """Whether to launch Chromium with its sandbox (arguments for tests: the OS, the user id and a
    reader of /proc files)."""
    platform = platform or sys.platform
    if not platform.startswith("linux"):
        return Decision(True)
    euid = os.geteuid() if euid is None else euid
    if euid == 0:
        return Decision(
            False,
            "optout runs as root, and Chromium cannot sandbox itself as root",
            "Run optout as an ordinary user (not root, not sudo).",
            chosen=True,
        )
    switch = userns_blocked(read)
    if switch is not None:
        return Decision(
            False,
            f"this system forbids unprivileged user namespaces ({switch})",
            _USERNS_FIX.get(switch, "Allow unprivileged user namespaces."),
        )
    return Decision(True)


_USERNS_FIX = {
    "/proc/sys/kernel/unprivileged_userns_clone": "Allow them: `sudo sysctl -w kernel.unprivileged_userns_clone=1` (and in /etc/sysctl.d/ to keep it).",
    "/proc/sys/user/max_user_namespaces": "Allow them: `sudo sysctl -w user.max_user_namespaces=15000` (and in /etc/sysctl.d/ to keep it).",
    "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "Give the browser an AppArmor profile that allows user namespaces (Chrome's own package has "
    "one), or `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`.",
}


def sandbox_failed(message: str) -> bool:
    """Whether a launch failed because the sandbox could not start (then it is retried without)."""
    text = message.lower()
    return any(
        s in text
        for s in (
            "no usable sandbox",
            "sandbox_host_linux",
            "zygote_host_impl_linux",
            "setuid sandbox",
            "credentials.cc",
            "namespace_sandbox",
        )
    )


#: Why the last launch that asked for the sandbox had to go without it (empty: it did not).
_fallback = {"why": ""}


def fell_back(detail: str) -> None:
    """A launch with the sandbox failed and was retried without: say so once, keep it for doctor."""

    if not _fallback["why"]:
        structlog.get_logger().warning(
            "browser.sandbox_unavailable",
            detail=detail,
            hint="the browser runs without its sandbox; see `optout doctor`",
        )
    _fallback["why"] = detail


def doctor_line() -> tuple[bool, str, str | None]:
    """(ok, value, fix) for `optout doctor`."""
    decision = decide()
    if decision.on and _fallback["why"]:
        return (
            False,
            f"off: Chromium could not start its sandbox here ({_fallback['why']})",
            "Check that unprivileged user namespaces are allowed (`unshare --user true` must work), "
            "or install Chrome's own package, whose sandbox helper is set up.",
        )
    if decision.on:
        return True, "on (Chromium's own sandbox)", None
    return (
        decision.chosen,
        f"off: {decision.why}; pages run with fewer walls around your files",
        decision.fix,
    )
