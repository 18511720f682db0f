"""Find and launch a browser: a path the person gave, Playwright's Chromium, or a system one.

Playwright is imported inside functions only, so `optout --help` stays fast.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import shutil
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import structlog

from optout import chromesandbox
from optout.errors import BrowserNotFound, OptoutError

log = structlog.get_logger()

CANDIDATES: dict[str, tuple[str, ...]] = {
    "linux": (
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
        "/usr/bin/google-chrome-stable",
        "/usr/bin/microsoft-edge",
        "/snap/bin/chromium",
    ),
    "darwin": (
        "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
        "/Applications/Chromium.app/Contents/MacOS/Chromium",
        "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    ),
    "win32": (
        r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
        r"%LOCALAPPDATA%\Google\Chrome\Application\chrome.exe",
        r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
        r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
    ),
}

# Background traffic a closed network would block or log; none of it is needed to read a setting.
LAUNCH_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
]

GIVE_ONE = "or pass --browser-path / set OPTOUT_BROWSER to a Chrome, Chromium or Edge executable."
SNAP_WARNING = (
    "{path} is a snap: it cannot see the system temp folder and may fail to start. "
    "Prefer `optout install-browser --bundled` or a non-snap Chromium."
)
OS_RELEASE = Path("/etc/os-release")


def _linux_ids() -> set[str]:
    """ID and ID_LIKE of /etc/os-release ("debian", "ubuntu", ...): which package manager to name."""
    try:
        text = OS_RELEASE.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    ids: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("ID", "ID_LIKE"):
            ids.update(value.strip().strip("\"'").lower().split())
    return ids


def system_install() -> str:
    """This operating system's own way to get a browser, as an instruction (issue 26: one exact
    fix per OS, not a list for all of them)."""
    os_key = _os_key()
    if os_key == "darwin":
        return (
            "install Google Chrome (`brew install --cask google-chrome`, or from google.com/chrome)"
        )
    if os_key == "win32":
        return "install Microsoft Edge or Chrome (`winget install --id Google.Chrome`)"
    ids = _linux_ids()
    if "ubuntu" in ids:  # Ubuntu's apt `chromium-browser` installs the snap (see SNAP_WARNING)
        return "install Google Chrome's .deb (Ubuntu's apt Chromium is a snap, which may fail to start)"
    if "debian" in ids:
        sudo = "" if hasattr(os, "geteuid") and os.geteuid() == 0 else "sudo "
        return f"run `{sudo}apt-get install chromium`"
    return "install your distribution's Chromium package"


def install_hint() -> str:
    """The fix `optout doctor` and every "no browser" error give, for this operating system."""
    if (
        "ubuntu" in _linux_ids() and _os_key() == "linux"
    ):  # the download works there; apt's is a snap
        return "Run `optout install-browser`, or " + system_install() + ", " + GIVE_ONE
    own = system_install()
    return own[0].upper() + own[1:] + ", or run `optout install-browser`, " + GIVE_ONE


@dataclass
class BrowserChoice:
    """Which browser to launch. `path` None = Playwright's bundled Chromium."""

    path: str | None
    source: str  # "--browser-path", "OPTOUT_BROWSER", "playwright-bundled" or "system"
    warning: str | None = None

    def describe(self) -> str:
        return f"{self.path or 'Playwright Chromium'} ({self.source})"


def can_show_window() -> bool:
    """Whether a browser window can open here: a desktop session (X11 or Wayland) on Linux and
    the BSDs; macOS and Windows always have one."""
    if sys.platform == "darwin" or sys.platform.startswith("win"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _os_key() -> str:
    if sys.platform.startswith("win"):
        return "win32"
    return "darwin" if sys.platform == "darwin" else "linux"


def system_candidates() -> list[str]:
    paths = [os.path.expandvars(p) for p in CANDIDATES.get(_os_key(), ())]
    if _os_key() == "linux":  # also NixOS, /usr/local, ~/bin installs
        for name in (
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
            "microsoft-edge",
        ):
            found = shutil.which(name)
            if found and found not in paths:
                paths.append(found)
    return paths


def _usable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _system_choice(path: str, source: str) -> BrowserChoice:
    resolved = os.path.realpath(path)
    warning = SNAP_WARNING.format(path=path) if "/snap/" in f"{path}:{resolved}" else None
    return BrowserChoice(resolved, source, warning)


def _given(path: str, source: str) -> BrowserChoice:
    if os.sep not in path and "/" not in path:  # a bare name: look it up on PATH
        path = shutil.which(path) or path
    if _usable(path):
        return _system_choice(path, source)
    what = (
        "is a folder, not the browser's executable"
        if os.path.isdir(path)
        else ("is not executable" if os.path.exists(path) else "does not exist")
    )
    raise BrowserNotFound(f"The browser from {source} ({path}) {what}.", install_hint())


def playwright_registry() -> Path | None:
    """Where `playwright install` puts browsers (mirrors Playwright's own rules)."""
    env = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if env == "0":
        spec = importlib.util.find_spec("playwright")
        if not spec or not spec.submodule_search_locations:
            return None
        return (
            Path(next(iter(spec.submodule_search_locations)))
            / "driver"
            / "package"
            / ".local-browsers"
        )
    if env:
        return Path(env).expanduser().resolve()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ms-playwright"
    if sys.platform.startswith("win"):
        return (
            Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
            / "ms-playwright"
        )
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ms-playwright"


def _playwright_revisions() -> dict[str, str]:
    """Revisions this Playwright expects, read from its browsers.json without starting it."""
    spec = importlib.util.find_spec("playwright")
    if not spec or not spec.submodule_search_locations:
        return {}
    path = (
        Path(next(iter(spec.submodule_search_locations))) / "driver" / "package" / "browsers.json"
    )
    try:
        browsers = json.loads(path.read_text(encoding="utf-8"))["browsers"]
        return {b["name"]: str(b["revision"]) for b in browsers}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


# Layouts of the Chromium folder across Playwright versions (chrome-linux -> chrome-linux64 ...).
_BUNDLED_EXES = {
    "linux": ("chrome-linux64/chrome", "chrome-linux-arm64/chrome", "chrome-linux/chrome"),
    "darwin": tuple(
        f"{d}/{app}.app/Contents/MacOS/{app}"
        for d in ("chrome-mac-arm64", "chrome-mac-x64", "chrome-mac")
        for app in ("Google Chrome for Testing", "Chromium")
    ),
    "win32": ("chrome-win64/chrome.exe", "chrome-win/chrome.exe"),
}
_SHELL_EXES = {
    "linux": (
        "chrome-headless-shell-linux64/chrome-headless-shell",
        "chrome-headless-shell-linux-arm64/chrome-headless-shell",
        "chrome-linux/headless_shell",
    ),
    "darwin": (
        "chrome-headless-shell-mac-arm64/chrome-headless-shell",
        "chrome-headless-shell-mac-x64/chrome-headless-shell",
        "chrome-mac/headless_shell",
    ),
    "win32": (
        "chrome-headless-shell-win64/chrome-headless-shell.exe",
        "chrome-win/headless_shell.exe",
    ),
}


def _first(folder: Path, layouts: tuple[str, ...]) -> Path | None:
    return next((folder / rel for rel in layouts if (folder / rel).is_file()), None)


def bundled_chromium() -> BrowserChoice | None:
    """Playwright's own Chromium, if the version this Playwright wants is installed."""
    registry, revisions = playwright_registry(), _playwright_revisions()
    revision = revisions.get("chromium")
    if registry is None or revision is None:
        return None  # unknown: fall through to a system browser
    full = _first(registry / f"chromium-{revision}", _BUNDLED_EXES[_os_key()])
    if full is None:
        return None
    shell_rev = revisions.get("chromium-headless-shell", revision)
    shell = _first(registry / f"chromium_headless_shell-{shell_rev}", _SHELL_EXES[_os_key()])
    # Headless launches use the headless shell; without it, point at the full browser instead.
    return BrowserChoice(None if shell else str(full), "playwright-bundled", None)


def find_browser(explicit: str | None = None) -> BrowserChoice:
    """--browser-path, then OPTOUT_BROWSER, then Playwright's Chromium, then a system browser."""
    if explicit:
        return _given(explicit, "--browser-path")
    env = os.environ.get("OPTOUT_BROWSER")
    if env:
        return _given(env, "OPTOUT_BROWSER")
    bundled = bundled_chromium()
    if bundled is not None:
        return bundled
    for path in system_candidates():
        if _usable(path):
            return _system_choice(path, "system")
    raise BrowserNotFound("No Chromium, Chrome or Edge was found on this machine.", install_hint())


async def launch(playwright, choice: BrowserChoice, *, headless: bool = True, extra_args=()):
    """Start the chosen browser; a failure says which browser and what to do, not a traceback."""
    from playwright.async_api import Error as PlaywrightError  # start-up: the CLI reads this module

    sandbox = chromesandbox.decide()
    kwargs: dict = {
        "headless": headless,
        "args": [*LAUNCH_ARGS, *extra_args],
        "chromium_sandbox": sandbox.on,
    }
    if choice.path:
        kwargs["executable_path"] = choice.path
    try:
        try:
            return await playwright.chromium.launch(**kwargs)
        except PlaywrightError as exc:
            if not (sandbox.on and chromesandbox.sandbox_failed(exc.message or str(exc))):
                raise
            chromesandbox.fell_back(_launch_detail(exc.message or str(exc)))
            return await playwright.chromium.launch(**{**kwargs, "chromium_sandbox": False})
    except PlaywrightError as exc:
        text = exc.message or str(exc)
        detail = _launch_detail(text)
        if "doesn't exist" in text or "does not exist" in text:
            raise BrowserNotFound(
                f"The browser {choice.describe()} is not installed: {detail}", install_hint()
            ) from None
        if "missing dependencies" in text:  # Playwright's Chromium on Linux without its libraries
            raise OptoutError(
                f"The browser {choice.describe()} cannot start: this system lacks libraries it needs.",
                f"Install them: `sudo {sys.executable} -m playwright install-deps chromium` (Debian, "
                "Ubuntu), or use the system's own Chromium with --browser-path.",
            ) from None
        if not headless and ("DISPLAY" in text or "XServer" in text):
            raise OptoutError(
                f"The browser {choice.describe()} could not open a window: {detail}",
                "Run it on a desktop session or under `xvfb-run`, or leave out --headed.",
            ) from None
        raise OptoutError(
            f"The browser {choice.describe()} failed to start: {detail}",
            "Run `optout doctor`; try another browser with --browser-path, or `optout install-browser`.",
        ) from None


#: The window size every account's context gets, so screenshots of a setting look alike.
VIEWPORT = {"width": 1280, "height": 900}


async def close_quietly(thing) -> None:
    """Close a browser or context that may already be gone (crashed, killed)."""
    from playwright.async_api import Error as PlaywrightError  # start-up: the CLI reads this module

    try:
        await thing.close()
    except PlaywrightError:
        pass


class Launched:
    """The one browser of a run or session. If it dies (crashed, killed), the next context comes
    from a new one; contexts that were in it when it died are not retried."""

    def __init__(self, playwright, choice: BrowserChoice, headless: bool, extra_args=()):
        self.playwright, self.choice, self.headless = playwright, choice, headless
        self.extra_args = tuple(extra_args)
        self.browser = None
        self._relaunch = asyncio.Lock()
        self._user_agent: str | None = None

    async def live(self):
        async with self._relaunch:
            if self.browser is None or not self.browser.is_connected():
                if self.browser is not None:
                    log.warning("browser.relaunch")
                self.browser = await launch(
                    self.playwright, self.choice, headless=self.headless, extra_args=self.extra_args
                )
        return self.browser

    async def user_agent(self) -> str:
        """This browser's User-Agent as its visible window sends it. A headless Chromium announces
        itself ("HeadlessChrome/156", measured with Debian's Chromium 156, 2026-12-07) and
        platforms take a session made in a window and reused headless for another device
        (joeyism/linkedin_scraper issue 279, 2026-02): every context says what the window says.
        The client-hint brands are the same either way (measured likewise)."""
        browser = await self.live()
        if self._user_agent is None:
            cdp = await browser.new_browser_cdp_session()
            try:
                ua = (await cdp.send("Browser.getVersion"))["userAgent"]
            finally:
                await cdp.detach()
            self._user_agent = ua.replace("HeadlessChrome/", "Chrome/")
        return self._user_agent

    async def new_context(
        self,
        storage_state: dict | None = None,
        *,
        setup_context=None,
        viewport=VIEWPORT,
        identity: dict | None = None,
    ):
        """A fresh context (English pages, the usual window size), prepared by `setup_context`
        (tests route it to the sandbox); closed again if that fails. `identity`: the one a saved
        session was made with (see identity_of), so the platform sees the same browser again;
        without one, this browser's own as its window shows it."""
        identity = identity or {}
        context = await (await self.live()).new_context(
            storage_state=storage_state,
            viewport=viewport,
            user_agent=identity.get("user_agent") or await self.user_agent(),
            locale=identity.get("locale") or "en-US",
            timezone_id=identity.get("timezone") or None,
        )
        if setup_context:
            try:
                await setup_context(context)
            except BaseException:
                await close_quietly(context)
                raise
        return context


@asynccontextmanager
async def started(browser_path: str | None = None, *, headless: bool = True, extra_args=()):
    """Find and launch the browser (errors say which browser and what to do); closed on leaving."""
    from playwright.async_api import async_playwright  # start-up: the CLI reads this module

    choice = find_browser(browser_path)
    async with async_playwright() as playwright:
        launched = Launched(playwright, choice, headless, extra_args)
        await launched.live()
        try:
            yield launched
        finally:
            await close_quietly(launched.browser)


def _launch_detail(text: str) -> str:
    """What the browser itself printed, rather than Playwright's generic 'has been closed'."""
    said = []
    for line in re.findall(r"\[pid=\d+\]\[err\] (.*)", text):
        if "dbus" not in line and line not in said:
            said.append(line.strip())
    first = next((line.strip() for line in text.splitlines() if line.strip()), "unknown error")
    return "; ".join(said[:3]) if said else first


async def browser_version(choice: BrowserChoice) -> str:
    from playwright.async_api import async_playwright  # start-up: the CLI reads this module

    async with async_playwright() as p:
        browser = await launch(p, choice)
        try:
            return browser.version
        finally:
            await browser.close()
