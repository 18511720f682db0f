"""The tabs of one account's browser context: waiting for requests to settle, noticing a crashed
tab or a dead browser, and opening a URL (with retries over a redirect still under way)."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from optout import logs
from optout.engine.options import Outcome
from optout.states import State

#: A page has settled when, for QUIET_S, no request was in flight and its DOM did not change, and
#: its load event is at least AFTER_LOAD_S behind it (pages that render from a timer, with no
#: request and no change before, get that long). Until then nothing is called missing.
QUIET_S = 1.0
AFTER_LOAD_S = 3.0

#: Counts the document's changes (a MutationObserver) under a property named per run, installed
#: once per document; answers [changes, installed just now, seconds since the load event or -1].
_WATCH_DOM = """name => {
  let fresh = false;
  if (!Object.prototype.hasOwnProperty.call(window, name)) {
    const box = {n: 0};
    new MutationObserver(records => { box.n += records.length; }).observe(document,
      {subtree: true, childList: true, attributes: true, characterData: true});
    Object.defineProperty(window, name, {value: box, enumerable: false});
    fresh = true;
  }
  const nav = performance.getEntriesByType('navigation')[0];
  const loaded = document.readyState === 'complete' && nav && nav.loadEventEnd > 0
    ? (performance.now() - nav.loadEventEnd) / 1000 : -1;
  return [window[name].n, fresh, loaded];
}"""


#: What reading, acting and evidence never need: video and audio, web fonts (text falls back to
#: the system's), beacons; and requests to these analytics and advertising hosts (and their
#: subdomains). Images and scripts load as ever: screenshots are evidence, scripts draw the page.
SKIPPED_TYPES = ("media", "font", "ping")
TRACKER_HOSTS = (
    "google-analytics.com",
    "googletagmanager.com",
    "doubleclick.net",
    "googlesyndication.com",
    "googleadservices.com",
    "scorecardresearch.com",
    "hotjar.com",
    "clarity.ms",
    "bat.bing.com",
    "segment.io",
    "cdn.segment.com",
    "mixpanel.com",
    "amplitude.com",
    "fullstory.com",
    "nr-data.net",
    "analytics.tiktok.com",
    "px.ads.linkedin.com",
    "ads-twitter.com",
    "static.ads-twitter.com",
)


def skipped(resource_type: str, url: str) -> bool:
    """Whether a request is one a run never needs (see SKIPPED_TYPES and TRACKER_HOSTS)."""
    if resource_type in SKIPPED_TYPES:
        return True
    host = (urlsplit(url).hostname or "").lower()
    return any(host == t or host.endswith("." + t) for t in TRACKER_HOSTS)


async def skip_unneeded(context) -> None:
    """Route a context so requests no run needs are never made (everything else goes on as
    before, to whatever routing the context already had)."""

    async def route(route) -> None:
        request = route.request
        if skipped(request.resource_type, request.url):
            await route.abort("blockedbyclient")
        else:
            await route.fallback()

    await context.route("**/*", route)


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

    def __init__(self, context, site_name: str, nav_timeout_ms: int, consent=None):
        self.context, self.site_name, self.nav_timeout_ms = context, site_name, nav_timeout_ms
        #: The flow's cookie-consent guard (engine.consent.ConsentGuard), or None.
        self.consent = consent
        self.crashed: set[Page] = set()
        self.inflight = 0
        self.network_at = time.monotonic()  # when a request last started or ended
        self._dom: dict[
            Page, tuple[int, float]
        ] = {}  # page → (changes counted, when they last changed)
        self._watch_name = "__o" + secrets.token_hex(6)
        #: Only these pages' requests count, when set (the person's own browser, `--connect`,
        #: where their other tabs' traffic is none of ours); None: every request of the context.
        self.own: set[Page] | None = None
        self._counted: set = set()
        context.on("request", self._request_started)
        context.on("requestfinished", self._request_done)
        context.on("requestfailed", self._request_done)

    def only_own_pages(self) -> None:
        """Count only the requests of pages opened here (and their popups) from now on."""
        self.own = set()

    def detach(self) -> None:
        """Stop listening to the context (it outlives these tabs: the person's own browser)."""
        for event, handler in (
            ("request", self._request_started),
            ("requestfinished", self._request_done),
            ("requestfailed", self._request_done),
        ):
            self.context.remove_listener(event, handler)

    def _ours(self, request) -> bool:
        try:
            return request.frame.page in self.own
        except PlaywrightError:  # a service worker's request: no page of ours
            return False

    def _request_started(self, request) -> None:
        if self.own is not None:
            if not self._ours(request):
                return
            self._counted.add(request)
        self.inflight += 1
        self.network_at = time.monotonic()

    def _request_done(self, request) -> None:
        if self.own is not None:
            if request not in self._counted:
                return
            self._counted.discard(request)
        self.inflight = max(0, self.inflight - 1)
        self.network_at = time.monotonic()

    async def settled(self, page: Page) -> bool:
        """Whether the page has finished loading and rendering: no request in flight and no change
        to its DOM for QUIET_S, and its load event AFTER_LOAD_S behind it. Called on each look at
        the page; what is missing from a page that has not settled is not yet missing."""
        now = time.monotonic()
        try:
            changes, fresh, since_load = await page.evaluate(_WATCH_DOM, self._watch_name)
        except PlaywrightError:
            return False  # navigating, or a document being replaced: not settled
        seen, changed_at = self._dom.get(page, (-1, now))
        if fresh or changes != seen:
            changed_at = now
        self._dom[page] = (changes, changed_at)
        quiet_since = max(changed_at, self.network_at)
        return self.inflight == 0 and now - quiet_since >= QUIET_S and since_load >= AFTER_LOAD_S

    async def settle(self, quiet_s: float = 0.3, limit_s: float = 10.0) -> None:
        """Wait until the page has had no request in flight for a moment (bounded)."""
        deadline = time.monotonic() + limit_s
        quiet_since = None
        browser = self.context.browser
        while time.monotonic() < deadline:
            if browser is not None and not browser.is_connected():
                return  # gone: its requests will never finish, and the next look says so
            if self.inflight == 0:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= quiet_s:
                    return
            else:
                quiet_since = None
            await asyncio.sleep(0.05)

    async def new_page(self) -> Page:
        page = self.watch(await self.context.new_page())
        if self.own is not None:
            self.own.add(page)
            page.on("popup", lambda popup: self.own.add(popup))
        if self.consent is not None and self.consent.clicks:  # a replay clicks nothing: no handler
            # A dialog that shows in the middle of an action (a click, a fill) is declined first.
            guard = self.consent

            async def decline_first() -> None:
                await guard.handler(page)

            if (dialog := guard.dialog_locator(page)) is not None:
                await page.add_locator_handler(dialog, decline_first)
        return page

    async def clear_consent(self, page: Page) -> None:
        """Decline the flow's cookie-consent dialog if it shows now (raises `broken` when it cannot
        be declined); costs a few element counts when no dialog shows."""
        if self.consent is not None:
            await self.consent.clear(page)

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
                response = await page.goto(
                    url, wait_until="domcontentloaded", timeout=self.nav_timeout_ms
                )
                break
            except PlaywrightError as exc:
                # A client-side redirect still under way from the page before (sign-in pages do
                # this) interrupts our navigation: let it land, then go where we meant to.
                if "interrupted by another navigation" in str(exc) and attempt < 2:
                    try:
                        await page.wait_for_load_state(
                            "domcontentloaded", timeout=self.nav_timeout_ms
                        )
                    except PlaywrightError:
                        pass
                    continue
                raise Outcome(
                    State.ERROR, describe_load_error(url, exc, self.nav_timeout_ms)
                ) from None
        if response is not None and response.status >= 500:
            raise Outcome(
                State.ERROR, f"{self.site_name} answered HTTP {response.status} for {url}"
            )
        await self.clear_consent(page)


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
