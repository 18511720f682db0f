"""Running flows inside the person's own running browser (`--connect`): their signed-in default
context, one account at a time (one browser is one identity). optout opens its own tabs there and
closes only those; it never closes their browser or context, never types a password (login.py
says "sign in in your browser"), never saves a session, and never relaunches a browser that was
closed: what was finished keeps its result, the rest is `error`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, async_playwright

from optout import browser as browser_mod
from optout import connect
from optout.engine.account import AccountRun
from optout.engine.options import Account, RunOptions, RunState, error_results
from optout.engine.tab import describe_browser_error, first_line
from optout.flowfile.schema import Flow, Setting
from optout.results import Result
from optout.states import State

log = structlog.get_logger()

CLOSED = "your browser was closed; nothing more was read"
#: The account name of a platform with no account set up, run as whoever the browser is signed in as.
BROWSER_ACCOUNT = "your browser"


class ConnectedRun(AccountRun):
    """An AccountRun in the person's context: its requests and tabs are only its own pages', and a
    setting the closing of the browser reached is `error`, whatever it was doing."""

    def __init__(
        self,
        flow: Flow,
        account: Account,
        options: RunOptions,
        context,
        browser,
        state: RunState | None = None,
    ):
        super().__init__(flow, account, options, context, state)
        self.browser = browser
        self.tabs.only_own_pages()

    def closed(self) -> bool:
        return not self.browser.is_connected()

    async def closing(self, within_s: float = 1.0) -> bool:
        """Whether the browser is closed or closes within a moment: a page's error can reach us
        before the news that the whole browser went (only asked after an error)."""
        deadline = time.monotonic() + within_s
        while not self.closed() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.closed()

    async def run_setting(self, page: Page, setting: Setting) -> Result:
        if self.closed():
            return self.result(setting, State.ERROR, CLOSED)
        try:
            result = await super().run_setting(page, setting)
        except PlaywrightError:
            if await self.closing():
                return self.result(setting, State.ERROR, CLOSED)
            raise
        # A reading the closing interrupted ends as whatever the page looked like then: not a result.
        if result.state in (State.ERROR, State.BROKEN) and await self.closing():
            return self.result(setting, State.ERROR, CLOSED)
        return result

    async def close_own_tabs(self) -> None:
        for page in list(self.tabs.own or ()):
            await browser_mod.close_quietly(page)
        self.tabs.detach()


async def run_connected(
    work: list[tuple[Flow, Account]],
    options: RunOptions,
    on_result: Callable[[Result], None] | None = None,
    state: RunState | None = None,
) -> list[Result]:
    """Every (flow, account) in the person's browser, one after another."""

    endpoint = connect.find(options.connect)
    options.sessions = None  # nothing of the person's browser is ever saved
    results: list[Result] = []
    async with async_playwright() as playwright:
        browser = await connect.attach(playwright, endpoint)
        log.info("connect.attached", to=endpoint.what)
        context = browser.contexts[0]
        try:
            unusable = None
            if options.setup_context:  # tests route it to the replicas; never skip_unneeded here
                try:
                    await options.setup_context(context)
                except Exception as exc:
                    unusable = f"could not run: {first_line(exc)}"
            for flow, account in work:
                if unusable or not browser.is_connected():
                    out = error_results(flow, account.name, unusable or CLOSED)
                else:
                    run = ConnectedRun(flow, account, options, context, browser, state)
                    try:
                        out = await run.run(flow.settings)
                    except Exception as exc:  # the browser closed, or a page could not be opened
                        if not browser.is_connected():
                            out = error_results(flow, account.name, CLOSED)
                        elif isinstance(exc, PlaywrightError):
                            out = error_results(flow, account.name, describe_browser_error(exc))
                        else:
                            out = error_results(
                                flow, account.name, f"could not run: {first_line(exc)}"
                            )
                    finally:
                        await run.close_own_tabs()
                for r in out:
                    results.append(r)
                    on_result and on_result(r)
        finally:
            if options.setup_context and browser.is_connected():  # leave their context as it was
                try:
                    await context.unroute_all(behavior="ignoreErrors")
                except PlaywrightError:
                    pass
            await browser_mod.close_quietly(browser)  # disconnects only: the browser stays open
    return results
