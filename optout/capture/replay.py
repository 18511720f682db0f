"""`optout flows test FLOW.yaml --capture FILE...`: what a flow reads on captured pages.

Each capture gets its own browser context, routed so its page is served at the URL it was captured
at (the setting's own URL, when the site had sent the browser elsewhere, sends it there again),
any other address on the flow's domains answers 404, and nothing else is contacted at all. A
capture is served with a policy that runs none of its scripts, frames or plug-ins: a file someone
shared is data, whatever it holds. The
engine then reads that one setting in mode "check", as an account with no credential and no
session: it clicks nothing (not a reveal, not a cookie dialog's decline), sends no form, its
browser resolves no host and reaches none (a preconnect the routing cannot see), and a page showing the flow's signed-out signals reads `needs_login`, as it would for a person.
"""

from __future__ import annotations

import html
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from optout import browser as browser_mod
from optout.capture.fileformat import Capture
from optout.capture.snapshot import bare_url
from optout.engine import Account, RunOptions, run_in_context
from optout.engine.pageprobe import matches
from optout.errors import OptoutError
from optout.flowfile.schema import Flow, Setting

#: A capture is data: whatever a shared file holds, no script, frame or plug-in of it runs and
#: nothing it names loads (a stylesheet, a frame, a prefetch, a video, an image).
NO_CODE = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
#: The replay's browser resolves no host name and reaches no address but through a proxy that is
#: not there: what a capture names and the routing does not catch (a preconnect, a DNS prefetch)
#: goes nowhere. Routed requests are answered before any of this.
NO_NETWORK = (
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://0.0.0.0:1",
    "--proxy-bypass-list=<-loopback>",
    "--dns-prefetch-disable",
)
NOT_FOUND = "<!doctype html><html><head><title>404</title></head><body><h1>404</h1></body></html>"


@dataclass
class Replayed:
    """What the flow read on one capture, next to what the capture says was read there."""

    capture: Capture
    state: str | None = None
    detail: str = ""
    signed_in: bool | None = None  # the flow's signed-in signals match the page (None: it has none)
    problem: str = ""  # why the capture could not be replayed at all
    requests: list[str] = field(default_factory=list)  # what else the page asked for (answered 404)

    @property
    def expected(self) -> str:
        return str(self.capture.header.get("state"))

    @property
    def matches(self) -> bool:
        return not self.problem and self.state == self.expected

    def as_dict(self) -> dict:
        return {
            "file": str(self.capture.path) if self.capture.path else None,
            "setting": self.capture.setting,
            "url": self.capture.header.get("url"),
            "expected": self.expected,
            "read": self.state,
            "detail": self.detail,
            "signed_in_signals": self.signed_in,
            "matches": self.matches,
            "problem": self.problem or None,
        }


def setting_for(flow: Flow, capture: Capture) -> Setting:
    """The flow's setting a capture was taken for; a per-item one ("publications/x") at its URL."""
    header = capture.header
    if header.get("platform") != flow.id:
        raise OptoutError(
            f"the capture is of {header.get('platform')!r}, not of this flow ({flow.id})"
        )
    url = str(header.get("url", ""))
    if not flow.owns(url):
        raise OptoutError(
            f"its URL {url} is not on {flow.name}'s domains ({', '.join(flow.domains)})"
        )
    base_id, _, item = capture.setting.partition("/")
    try:
        base = flow.setting(base_id)
    except OptoutError:
        raise OptoutError(f"{flow.name}'s flow has no setting {base_id!r}") from None
    if not item:
        return base
    if base.items is None:
        raise OptoutError(f"{flow.name}'s setting {base_id!r} is not one per item")
    return base.model_copy(
        update={
            "id": capture.setting,
            "label": f"{base.label} ({item})",
            "url": base.url.replace("{item}", item),
            "items": None,
        }
    )


class Server:
    """The routing of one context: the capture at its URL, 404 elsewhere on the flow's domains,
    nothing outside them."""

    def __init__(self, flow: Flow, capture: Capture, setting: Setting):
        self.flow, self.capture = flow, capture
        self.url = bare_url(str(capture.header["url"]))
        self.entry = bare_url(setting.url)
        self.requests: list[str] = []

    async def install(self, context) -> None:
        await context.route("**/*", self.route)

    async def route(self, route) -> None:
        url = route.request.url
        here = bare_url(url)
        if not self.flow.owns(url):
            await route.abort("blockedbyclient")
        elif here == self.url:
            await route.fulfill(
                status=200,
                body=self.capture.page,
                content_type="text/html; charset=utf-8",
                headers={"content-security-policy": NO_CODE},
            )
        elif here == self.entry and route.request.is_navigation_request():
            # Routed responses cannot redirect in Chromium: a refresh to the captured address.
            target = html.escape(self.url, quote=True)
            await route.fulfill(
                status=200,
                content_type="text/html; charset=utf-8",
                headers={"content-security-policy": NO_CODE},
                body=f'<!doctype html><html><head><meta http-equiv="refresh" content="0;url={target}">'
                "</head><body></body></html>",
            )
        else:
            self.requests.append(here)
            await route.fulfill(status=404, body=NOT_FOUND, content_type="text/html; charset=utf-8")


async def replay_one(
    browser, flow: Flow, capture: Capture, *, find_timeout_s: float = 5.0
) -> Replayed:
    """Read one capture with the flow in a fresh context of `browser` (optout.browser.Launched)."""

    done = Replayed(capture)
    try:
        setting = setting_for(flow, capture)
    except OptoutError as exc:
        done.problem = exc.message
        return done
    server = Server(flow, capture, setting)
    one = flow.model_copy(update={"settings": [setting]})
    with tempfile.TemporaryDirectory(prefix="optout-replay-") as evidence:
        options = RunOptions(
            mode="check",
            evidence_dir=Path(evidence),
            find_timeout_s=find_timeout_s,
            nav_timeout_ms=15000,
            setting_timeout_s=60.0,
            clicks=False,
        )
        context = await browser.new_context(None, setup_context=server.install)
        try:
            if flow.login is not None:
                page = await context.new_page()
                try:
                    await page.goto(server.url, wait_until="domcontentloaded")
                    done.signed_in = await matches(page, flow.login.signed_in)
                finally:
                    await browser_mod.close_quietly(page)
            [result] = await run_in_context(one, Account(flow.id, "replay"), options, context)
        finally:
            await browser_mod.close_quietly(context)
    done.state, done.detail = str(result.state), result.detail
    done.requests = sorted(set(server.requests))
    return done


async def replay(
    flow: Flow,
    captures: list[Capture],
    *,
    browser_path: str | None = None,
    find_timeout_s: float = 5.0,
    headless: bool = True,
) -> list[Replayed]:
    """Replay every capture with the flow, in one browser."""

    async with browser_mod.started(
        browser_path, headless=headless, extra_args=NO_NETWORK
    ) as browser:
        return [await replay_one(browser, flow, c, find_timeout_s=find_timeout_s) for c in captures]
