"""`optout install-browser`: use the Chrome, Edge or Chromium already here, else download
Playwright's Chromium with optout's own Python.

The usual failure of Playwright tools installed with pipx or uv is `playwright install` run by
another Python: another Playwright downloads a browser revision this one does not look for. So
the installer is always `sys.executable -m playwright`, and nothing is downloaded unless asked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from optout import browser
from optout.browser import BrowserChoice
from optout.errors import BrowserNotFound, OptoutError


@dataclass
class Plan:
    """What install-browser would do: use `found`, or run `command` (which fills `folder`)."""

    found: BrowserChoice | None
    command: list[str]
    folder: Path | None


def installer_command() -> list[str]:
    """Playwright's installer, run by the Python optout runs in (its Playwright, its revision)."""
    return [sys.executable, "-m", "playwright", "install", "chromium"]


def plan(browser_path: str | None = None, *, bundled: bool = False) -> Plan:
    """Use what find_browser finds; install only when it finds nothing (or `bundled` asks for
    Playwright's Chromium and it is missing). A wrong --browser-path or OPTOUT_BROWSER is raised:
    optout would keep using that path, so an install would not help."""
    if bundled:
        found = browser.bundled_chromium()
    else:
        try:
            found = browser.find_browser(browser_path)
        except BrowserNotFound:
            if browser_path or os.environ.get("OPTOUT_BROWSER"):
                raise
            found = None
    if found is not None:
        return Plan(found, [], None)
    return Plan(None, installer_command(), browser.playwright_registry())


def install(todo: Plan) -> BrowserChoice:
    """Run Playwright's installer (its progress goes to the terminal); the Chromium it made."""
    retry = (
        "Check the network (a proxy needs HTTPS_PROXY) and the free disk space, then run "
        f"`optout install-browser --yes` again; or {browser.system_install()}, {browser.GIVE_ONE}"
    )
    try:
        done = subprocess.run(todo.command, check=False)
    except OSError as exc:
        raise OptoutError(
            f"Playwright's installer could not start ({exc.strerror or exc}).", retry
        ) from None
    if done.returncode != 0:
        raise OptoutError(
            f"Playwright's installer failed (exit {done.returncode}); what it said is above.", retry
        )
    found = browser.bundled_chromium()
    if found is None:
        raise OptoutError(
            f"Playwright's installer finished, but no Chromium for this Playwright is in "
            f"{todo.folder}.",
            "Run `optout doctor` to see which browser optout finds; " + retry,
        )
    return found
