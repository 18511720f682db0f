"""Finding and attaching to the person's own running Chrome, Edge or Chromium (`--connect`).

Since Chrome 136, `--remote-debugging-port` is ignored on the default profile; Chrome 144+ lets
its user switch remote debugging on at chrome://inspect/#remote-debugging instead. The browser
then writes its port and its websocket path into the profile folder's `DevToolsActivePort` file
(line 1 the port, line 2 `/devtools/browser/<id>`), and `/json/version` answers 404, so the
websocket URL is built from that file. Nothing here imports Playwright at module level or touches
the engine: `optout --help` stays fast and there is no import circle.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import textwrap
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from optout.errors import ConnectFailed

#: What to switch on, said whenever no browser could be reached.
SWITCH_ON = (
    "Open chrome://inspect/#remote-debugging in Chrome 144 or newer and switch on remote "
    "debugging (Edge: edge://inspect), then run again. Or name the browser: --connect DIR "
    "(its user-data folder) or --connect http://127.0.0.1:PORT."
)

#: How long Chrome may take to answer; it asks its user to allow each new connection.
ATTACH_TIMEOUT_MS = 60_000


def wrapped(text: str, used: int = 0) -> str:
    """User-facing text within 80 columns; `used`: columns the first line already has ("Error: ")."""
    lines = []
    for part in text.split("\n"):
        filled = textwrap.fill(
            " " * used + part, 80, break_on_hyphens=False, break_long_words=False
        )
        lines.append(filled[used:])
        used = 0
    return "\n".join(lines)


def failed(message: str, hint: str = SWITCH_ON) -> ConnectFailed:
    """The error: its message follows "Error: " on the first line; both within 80 columns."""
    return ConnectFailed(wrapped(message, len("Error: ")), wrapped(hint))


def user_data_dirs() -> list[tuple[str, Path]]:
    """The usual user-data folders of Chrome (stable, Beta, Canary/Dev), Chromium, Edge and Brave
    on this system, as (browser, folder), whether or not they exist."""
    home = Path.home()
    if sys.platform == "darwin":
        base = home / "Library" / "Application Support"
        rel = [
            ("Google Chrome", "Google/Chrome"),
            ("Chrome Beta", "Google/Chrome Beta"),
            ("Chrome Canary", "Google/Chrome Canary"),
            ("Chromium", "Chromium"),
            ("Microsoft Edge", "Microsoft Edge"),
            ("Edge Beta", "Microsoft Edge Beta"),
            ("Brave", "BraveSoftware/Brave-Browser"),
        ]
        return [(name, base / path) for name, path in rel]
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        rel = [
            ("Google Chrome", r"Google\Chrome\User Data"),
            ("Chrome Beta", r"Google\Chrome Beta\User Data"),
            ("Chrome Canary", r"Google\Chrome SxS\User Data"),
            ("Chromium", r"Chromium\User Data"),
            ("Microsoft Edge", r"Microsoft\Edge\User Data"),
            ("Edge Beta", r"Microsoft\Edge Beta\User Data"),
            ("Brave", r"BraveSoftware\Brave-Browser\User Data"),
        ]
        return [(name, base / path) for name, path in rel]
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    rel = [
        ("Google Chrome", "google-chrome"),
        ("Chrome Beta", "google-chrome-beta"),
        ("Chrome Dev", "google-chrome-unstable"),
        ("Chromium", "chromium"),
        ("Microsoft Edge", "microsoft-edge"),
        ("Edge Beta", "microsoft-edge-beta"),
        ("Edge Dev", "microsoft-edge-dev"),
        ("Brave", "BraveSoftware/Brave-Browser"),
    ]
    return [(name, config / path) for name, path in rel] + [
        ("Chromium (snap)", home / "snap" / "chromium" / "common" / "chromium"),
        (
            "Google Chrome (flatpak)",
            home / ".var" / "app" / "com.google.Chrome" / "config" / "google-chrome",
        ),
        (
            "Chromium (flatpak)",
            home / ".var" / "app" / "org.chromium.Chromium" / "config" / "chromium",
        ),
    ]


@dataclass
class Endpoint:
    """A browser to attach to: the URL for connect_over_cdp and, in words, what it is."""

    url: str
    what: str


@dataclass
class Search:
    """What a search for a browser saw, for the message when it found none."""

    looked: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # port files whose port refuses


def short(path: Path) -> str:
    """A folder as a person reads it: under the home folder with `~`."""
    try:
        return "~" + os.sep + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def read_port_file(folder: Path) -> tuple[int, str] | None:
    """(port, websocket path) from a user-data folder's DevToolsActivePort, or None."""
    try:
        lines = (
            (folder / "DevToolsActivePort").read_text(encoding="utf-8", errors="replace").split()
        )
        port = int(lines[0])
    except (OSError, ValueError, IndexError):
        return None
    path = lines[1] if len(lines) > 1 and lines[1].startswith("/devtools/browser/") else ""
    return (port, path) if 0 < port < 65536 else None


def port_open(port: int, host: str = "127.0.0.1", timeout_s: float = 0.5) -> bool:
    """Whether something listens on the port: a browser that has closed leaves its file behind."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def in_folder(name: str, folder: Path, search: Search) -> Endpoint | None:
    """The browser whose user-data folder this is, if its debugging port answers."""
    search.looked.append(f"{short(folder)} ({name})")
    found = read_port_file(folder)
    if found is None:
        return None
    port, path = found
    if not port_open(port):
        search.stale.append(f"{short(folder)} names port {port}, which refuses connections")
        return None
    url = f"ws://127.0.0.1:{port}{path}" if path else f"http://127.0.0.1:{port}"
    return Endpoint(url, f"{name} at {short(folder)}, port {port}")


def not_found(search: Search, intro: str) -> ConnectFailed:
    lines = [intro, "Looked for DevToolsActivePort in:"] + [f"  {where}" for where in search.looked]
    if search.stale:
        lines.append(
            "Closed since (its file is left, its port refuses): " + "; ".join(search.stale) + "."
        )
    return failed("\n".join(lines))


def from_url(url: str) -> Endpoint:
    """`http://127.0.0.1:PORT` (its /json/version names the websocket; a browser switched on at
    chrome://inspect answers 404 there, and connect_over_cdp gets the http URL) or a ws:// URL."""
    parts = urlsplit(url)
    host, port = (
        parts.hostname or "127.0.0.1",
        parts.port or (443 if parts.scheme in ("https", "wss") else 80),
    )
    if not port_open(port, host, timeout_s=2.0):
        raise failed(
            f"Nothing answers at {url}: the browser is closed, or its remote debugging is off."
        )
    if parts.scheme in ("ws", "wss"):
        return Endpoint(url, f"the browser at {url}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(url.rstrip("/") + "/json/version", timeout=3) as answer:
            ws = json.loads(answer.read().decode("utf-8", "replace")).get("webSocketDebuggerUrl")
    except (OSError, ValueError, urllib.error.URLError, AttributeError):
        ws = None
    return Endpoint(ws or url, f"the browser at {url}")


def find(target: str | Endpoint = "auto") -> Endpoint:
    """The browser `--connect` means: "auto" (the first reachable one in the usual folders), a
    user-data folder, or a URL. Raises ConnectFailed saying what to switch on, and where it looked."""
    if isinstance(target, Endpoint):
        return target
    target = (target or "auto").strip()
    if target.startswith(("http://", "https://", "ws://", "wss://")):
        return from_url(target)
    search = Search()
    if target != "auto":
        folder = Path(target).expanduser()
        if not folder.is_dir():
            raise failed(
                f"--connect {target}: no such folder (give the browser's user-data folder, e.g. "
                "~/.config/google-chrome, or http://127.0.0.1:PORT)."
            )
        found = in_folder("the browser given", folder, search)
        if found is None:
            raise not_found(
                search, "No browser with remote debugging switched on uses the folder given."
            )
        return found
    for name, folder in user_data_dirs():
        found = in_folder(name, folder, search)
        if found is not None:
            return found
    raise not_found(
        search, "No running Chrome, Edge or Chromium with remote debugging switched on was found."
    )


async def attach(playwright, endpoint: Endpoint, timeout_ms: int = ATTACH_TIMEOUT_MS):
    """Attach to the person's browser over CDP. Its `close()` only disconnects: the browser, its
    windows and its tabs stay as they are."""
    from playwright.async_api import Error as PlaywrightError  # start-up: the CLI reads this module

    try:
        browser = await playwright.chromium.connect_over_cdp(endpoint.url, timeout=timeout_ms)
    except PlaywrightError as exc:
        said = (exc.message or str(exc)).splitlines()[0]
        raise failed(
            f"Could not attach to {endpoint.what}: {said}",
            "If the browser asked whether to allow remote debugging, allow it. " + SWITCH_ON,
        ) from None
    if not browser.contexts:
        raise failed(
            f"{endpoint.what} has no window open to work in.",
            "Open a window in your browser, then run again.",
        )
    return browser


def doctor_value(target: str | None = None) -> tuple[bool, str, str | None]:
    """The doctor's line on `--connect`: (ok, what was found, fix). Never attaches (Chrome would
    ask its user to allow it). Informational unless `optout doctor --connect ...` asked for it."""
    try:
        found = find(target or "auto")
    except ConnectFailed as exc:
        if target:  # asked for: not reachable is a failure, said in full
            return False, " ".join(exc.message.split()), " ".join((exc.hint or "").split())
        stale = " (a closed one left its port file)" if "refuses" in exc.message else ""
        return (
            True,
            f"not found (optional){stale}",
            (
                "To let optout work in your own signed-in browser, "
                + SWITCH_ON[0].lower()
                + SWITCH_ON[1:].split(" Or name")[0]
            ),
        )
    return True, f"{found.what}, remote debugging on", None
