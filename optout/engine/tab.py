"""The tabs of one account's browser context: waiting for requests to settle, noticing a crashed
tab or a dead browser, and opening a URL (with retries over a redirect still under way)."""

from __future__ import annotations

import asyncio
import re
import time
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from optout import logs
from optout.engine.options import Outcome
from optout.states import State


class Patience:
    """How long to keep looking for something on a page. The limit counts the time spent waiting
    between looks, not the looks themselves (reading the page, a click): on a machine slowed by
    other work each look takes longer, and a limit in wall-clock time would leave fewer looks, so
    a control still on its way would read as missing. A slow machine gets slower answers, never
    other ones. A wall-clock cap of `cap` times the limit keeps a page that makes every look slow
    from holding the run."""

    def __init__(self, limit_s: float, *, cap: float = 6.0, pause_s: float = 0.25):
        self.limit_s, self.pause_s = limit_s, pause_s
        self.waited = 0.0
        self.hard_deadline = time.monotonic() + limit_s * cap

    @property
    def over(self) -> bool:
        return self.waited >= self.limit_s or time.monotonic() >= self.hard_deadline

    async def pause(self) -> None:
        start = time.monotonic()
        await asyncio.sleep(self.pause_s)
        self.waited += time.monotonic() - start


class Tabs:
    """Request tracking and crash watch over one browser context."""

    def __init__(self, context, site_name: str, nav_timeout_ms: int):
        self.context, self.site_name, self.nav_timeout_ms = context, site_name, nav_timeout_ms
        self.crashed: set[Page] = set()
        self.inflight = 0
        context.on("request", self._request_started)
        context.on("requestfinished", self._request_done)
        context.on("requestfailed", self._request_done)

    def _request_started(self, _request) -> None:
        self.inflight += 1

    def _request_done(self, _request) -> None:
        self.inflight = max(0, self.inflight - 1)

    async def settle(self, quiet_s: float = 0.3, limit_s: float = 10.0) -> None:
        """Wait until the page has had no request in flight for a moment (bounded)."""
        deadline = time.monotonic() + limit_s
        quiet_since = None
        while time.monotonic() < deadline:
            if self.inflight == 0:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= quiet_s:
                    return
            else:
                quiet_since = None
            await asyncio.sleep(0.05)

    async def new_page(self) -> Page:
        return self.watch(await self.context.new_page())

    def watch(self, page: Page) -> Page:
        page.on("crash", lambda _page: self.crashed.add(page))
        return page

    def gone(self, page: Page) -> str | None:
        """Why this page can no longer be read (its tab crashed, the browser died), or None."""
        if page in self.crashed:
            return "the browser tab crashed (out of memory, or a fault in the page)"
        browser = self.context.browser
        if page.is_closed() or (browser is not None and not browser.is_connected()):
            return "the browser closed unexpectedly"
        return None

    def check_alive(self, page: Page) -> None:
        """Raise `error` at once when the page is gone, rather than waiting for it to time out
        as if it were a page that no longer matches its flow (which would be `broken`)."""
        why = self.gone(page)
        if why:
            raise Outcome(State.ERROR, f"{why}; nothing more could be read on this page")

    async def open(self, page: Page, url: str) -> None:
        for attempt in range(3):
            try:
                response = await page.goto(url, wait_until="domcontentloaded", timeout=self.nav_timeout_ms)
                break
            except PlaywrightError as exc:
                # A client-side redirect still under way from the page before (sign-in pages do
                # this) interrupts our navigation: let it land, then go where we meant to.
                if "interrupted by another navigation" in str(exc) and attempt < 2:
                    try:
                        await page.wait_for_load_state("domcontentloaded", timeout=self.nav_timeout_ms)
                    except PlaywrightError:
                        pass
                    continue
                raise Outcome(State.ERROR, describe_load_error(url, exc, self.nav_timeout_ms)) from None
        if response is not None and response.status >= 500:
            raise Outcome(State.ERROR, f"{self.site_name} answered HTTP {response.status} for {url}")


#: Chromium's network errors, in words a person can act on.
_NET_ERRORS = {
    "ERR_INTERNET_DISCONNECTED": "no network connection",
    "ERR_NAME_NOT_RESOLVED": "the name {host} could not be resolved (DNS)",
    "ERR_NAME_RESOLUTION_FAILED": "the name {host} could not be resolved (DNS)",
    "ERR_CONNECTION_REFUSED": "{host} refused the connection",
    "ERR_CONNECTION_RESET": "the connection to {host} was reset",
    "ERR_CONNECTION_CLOSED": "{host} closed the connection",
    "ERR_CONNECTION_TIMED_OUT": "the connection to {host} timed out",
    "ERR_TIMED_OUT": "the connection to {host} timed out",
    "ERR_ADDRESS_UNREACHABLE": "{host} cannot be reached from this network",
    "ERR_PROXY_CONNECTION_FAILED": "the proxy did not answer",
    "ERR_CERT_": "the certificate of {host} is not valid",
    "ERR_SSL_": "a secure connection to {host} could not be made",
}


def first_line(exc: Exception) -> str:
    """The first line of an error's text (its type when it has none), secrets scrubbed."""
    return logs.scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def describe_load_error(url: str, exc: Exception, timeout_ms: int) -> str:
    """Why a page did not load, in plain words, with Chromium's own code kept for searching."""
    text = first_line(exc)
    host = urlsplit(url).hostname or url
    code = re.search(r"net::(ERR_[A-Z_]+)", text)
    if code:
        words = next((w for k, w in _NET_ERRORS.items() if code.group(1).startswith(k)), None)
        why = f"{words.format(host=host)} ({code.group(1)})" if words else code.group(1)
    elif "Timeout" in text:
        why = f"no answer within {timeout_ms / 1000:g} s"
    elif "crash" in text.lower():
        why = "the browser tab crashed"
    elif "closed" in text:
        why = "the browser closed unexpectedly"
    else:
        why = text
    return f"could not load {url}: {why}"


def describe_browser_error(exc: Exception) -> str:
    text = first_line(exc)
    if "closed" in text or "crash" in text.lower():
        return f"the browser closed unexpectedly ({text})"
    return f"browser error: {text}"
