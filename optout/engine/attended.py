"""A person at the machine (an attended run): a visible window where they answer what only they
can (a check before the site's pages, a sign-in's code or puzzle, a refused password) while the
run waits; what they did there goes back to the run, which goes on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from playwright.async_api import Page

from optout.credentials import Credential
from optout.engine.challenges import asked_words, challenge_on
from optout.engine.options import Account, Outcome, RunOptions, RunState
from optout.engine.personlogin import wait_for_person
from optout.engine.tab import Tabs
from optout.errors import OptoutError
from optout.flowfile.schema import Flow, Setting
from optout.states import State


class SignsIn(Protocol):
    """What the attended side uses of the account's sign-in (optout.engine.login.SignIn)."""

    flow: Flow
    account: Account
    options: RunOptions
    state: RunState
    tabs: Tabs
    log: object

    async def attempt(
        self, page: Page, setting: Setting, cred: Credential, tabs: Tabs | None = None
    ) -> None: ...

    def hold_back(self, outcome: Outcome) -> None: ...


class Attended:
    """The attended side of one account's sign-in."""

    def __init__(self, signin: SignsIn):
        self.signin = signin
        self.flow, self.options = signin.flow, signin.options

    @asynccontextmanager
    async def window(self, *, with_cookies: bool) -> AsyncIterator[Tabs]:
        """The tabs of the window the person acts in: the run's own when the run is visible;
        else a context opened in a visible browser with the account's identity (and the run's
        cookies when `with_cookies`), whose cookies go back to the run's context when the block
        ends normally, and which is closed however it ends."""
        run_tabs = self.signin.tabs
        if not self.options.headless:
            yield run_tabs
            return
        context = await self.open_window(
            await run_tabs.context.storage_state() if with_cookies else None
        )
        try:
            yield Tabs(context, self.flow.name, self.options.nav_timeout_ms, run_tabs.consent)
            await run_tabs.context.add_cookies((await context.storage_state())["cookies"])
        finally:
            from optout.browser import (
                close_quietly,  # the browser module loads with a window
            )

            await close_quietly(context)

    async def sign_in(
        self, page: Page, setting: Setting, cred: Credential | None, hold: dict | None
    ) -> bool:
        """In the window optout types the stored password once, if it may (`cred`); whatever only
        a person can answer (a challenge, a refused password, no password at all) is left to them
        there while optout waits. Returns once signed in: True when the person finished it."""
        async with self.window(with_cookies=False) as tabs:
            if tabs is not self.signin.tabs:
                page = await tabs.new_page()
            await tabs.open(page, self.flow.login.url)
            asked = ""
            if cred is not None:
                try:
                    await self.signin.attempt(page, setting, cred, tabs)
                except Outcome as outcome:
                    if not outcome.asked:
                        raise
                    asked = outcome.asked
            if cred is None or asked:
                await self.await_person(tabs.context, page, asked, hold)
        return cred is None or bool(asked)

    async def clear_challenge(self, page: Page, setting: Setting, kind: str) -> None:
        """A check the site shows before its pages (Cloudflare's, say), signed in or not, is shown
        to the person in a window holding the run's cookies and identity; once it is gone, what
        they cleared goes back to the run."""
        name, pid, wait_s = self.flow.name, self.flow.id, self.options.person_wait_s
        async with self.window(with_cookies=True) as tabs:
            window = page if tabs is self.signin.tabs else await tabs.context.new_page()
            await window.goto(
                setting.url, wait_until="domcontentloaded", timeout=self.options.nav_timeout_ms
            )
            self.say(
                f"{name} {asked_words(kind)}. Answer it in the browser window optout opened; optout "
                f"waits up to {wait_s / 60:.0f} min, then goes on."
            )
            if self.options.on_window is not None:
                await self.options.on_window(window)
            deadline = time.monotonic() + wait_s
            clear_since = None
            while time.monotonic() < deadline and not window.is_closed():
                if await challenge_on(window, self.flow) is None and self.flow.owns(window.url):
                    clear_since = clear_since or time.monotonic()
                    if time.monotonic() - clear_since >= 1.0:  # gone, not between two of its pages
                        return
                else:
                    clear_since = None
                await asyncio.sleep(0.5)
            raise Outcome(
                State.NEEDS_HUMAN,
                f"{name} {asked_words(kind)}, and it was not answered in the window. "
                f"Run again at the computer, or sign in yourself with `optout login {pid}`.",
            )

    async def open_window(self, storage: dict | None = None):
        """A context in a visible browser window, with the account's identity."""

        name, pid, state = self.flow.name, self.flow.id, self.signin.state
        if state.window is None:
            raise Outcome(
                State.NEEDS_HUMAN,
                f"{name} needs you to sign in, and this run cannot open a window. "
                f"Sign in yourself with `optout login {pid}`.",
            )
        try:
            return await state.window(self.signin.account.identity, storage)
        except OptoutError as exc:
            raise Outcome(
                State.NEEDS_HUMAN,
                f"{name} needs you to sign in, and no browser window could be "
                f"opened ({exc.message}). Sign in yourself with `optout login {pid}`.",
            ) from None

    async def await_person(self, context, page: Page, asked: str, hold: dict | None) -> None:
        """Say what the page asks and wait until the person has answered it and is signed in."""
        name, pid, wait_s = self.flow.name, self.flow.id, self.options.person_wait_s
        if asked:
            what = f"{name} {asked}. Answer it in the browser window optout opened"
        elif hold is not None:
            what = (
                f"optout holds back the stored {name} password ({name} {hold.get('why', '')} on "
                f"{hold.get('since', '')[:10]}). Sign in yourself in the browser window optout opened"
            )
        else:
            what = f"Sign in to {name} in the browser window optout opened"
        self.say(f"{what}; optout waits up to {wait_s / 60:.0f} min, then goes on.")
        if self.options.on_window is not None:
            await self.options.on_window(page)
        how = await wait_for_person(context, self.flow, wait_s)
        if how == "signed_in":
            return
        if asked:
            self.signin.hold_back(Outcome(State.NEEDS_HUMAN, "", asked=asked))
        why = (
            "the window was closed"
            if how == "closed"
            else f"the sign-in was not finished within {wait_s / 60:.0f} min"
        )
        raise Outcome(
            State.NEEDS_HUMAN,
            f"{name} {asked or 'needs you to sign in'}, and {why}. Run again at "
            f"the computer, or sign in yourself with `optout login {pid}`.",
        )

    def say(self, message: str) -> None:
        self.signin.log.info("login.waiting_for_person")
        if self.options.tell is not None:
            self.options.tell(message)
