"""Signing in: optout's one automated attempt per account and run (typing a stored credential only
into the flow's own sign-in origins, answering a TOTP challenge), and waiting while a person signs
in themselves (`optout login`, and assisted sessions)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import structlog
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from optout import logs
from optout.credentials import Credential
from optout.engine.evidence import Evidence
from optout.engine.options import Account, Outcome, RunOptions
from optout.engine.pageprobe import body_text, count, locate, matches
from optout.engine.tab import Tabs
from optout.flowspec import Flow, Setting, Step, origin_of
from optout.paths import DEFAULT_PROFILE, Profile
from optout.states import State

log = structlog.get_logger()


def challenge_detail(flow: Flow, kind: str, cred: Credential | None, totp_used: bool) -> str:
    name, pid = flow.name, flow.id
    if kind == "totp" and totp_used:
        return f"{name} did not accept the verification code from the stored TOTP secret. Sign in yourself: `optout login {pid}`."
    if kind == "totp":
        return (f"{name} asks for a verification code. Store the account's TOTP secret "
                f"(`optout account add {pid} --totp`) or sign in yourself: `optout login {pid}`.")
    what = {"captcha": "a security check (CAPTCHA)", "checkpoint": "a security checkpoint",
            "app_approval": "approval in its mobile app", "email_code": "a code sent by e-mail"}[kind]
    return f"{name} asks for {what}, which a person must answer. Sign in yourself: `optout login {pid}`."


class SignIn:
    """The one automated sign-in an account gets in a run, and keeping its session."""

    def __init__(self, flow: Flow, account: Account, options: RunOptions, tabs: Tabs, evidence: Evidence, log):
        self.flow, self.account, self.options, self.tabs, self.evidence = flow, account, options, tabs, evidence
        self.log = log
        self.attempted = False
        self.signed_in_here = False

    async def fill(self, page: Page, step: Step, value: str) -> None:
        handle = await locate(page, step.into).first.element_handle(timeout=self.flow.login.timeout_ms)
        # The element's own document decides, so a page that navigates away (or a look-alike
        # frame) can never receive the value.
        origin = (await handle.evaluate("el => el.ownerDocument.location.origin")).lower()
        if origin not in self.flow.credential_origins or origin != origin_of(page.url):
            raise Outcome(
                State.ERROR,
                f"refused to type {self.flow.name} credentials into {origin}: it is not one of "
                f"{self.flow.name}'s sign-in origins ({', '.join(sorted(self.flow.credential_origins))}).",
                account_wide=True,
            )
        await handle.fill(value)

    async def run_steps(self, page: Page, steps: list[Step], cred: Credential, *, challenge: bool = False) -> None:
        for i, step in enumerate(steps):
            await self.tabs.clear_consent(page)  # nothing is typed or clicked under a consent dialog
            if step.optional:
                later = next((s for s in steps[i + 1:] if not s.optional), None)
                shows = await self.optional_step_shows(page, step, later, challenge=challenge)
                if shows is None:
                    return  # the sign-in already ended one way or another: await_signed_in reads how
                if not shows:
                    continue
            if step.fill == "username":
                await self.fill(page, step, cred.username)
            elif step.fill == "password":
                await self.fill(page, step, cred.password)
            elif step.fill == "totp":
                await self.fill(page, step, cred.totp_code() or "")
            else:
                await locate(page, step.into).first.click(timeout=self.flow.login.timeout_ms)

    async def optional_step_shows(self, page: Page, step: Step, later: Step | None, *, challenge: bool) -> bool | None:
        """Wait for an optional step (an interstitial only some sign-ins show), as long as the next
        required step would wait for its own element. True: its element shows (and its `when`
        matches); False: the next required step's element shows first, or nothing by the timeout;
        None: the page shows an end of the sign-in (signed in, failure, or a challenge)."""
        login = self.flow.login
        ends = [login.signed_in, login.failure] + ([] if challenge else [c.when for c in login.challenges])
        deadline = time.monotonic() + login.timeout_ms / 1000
        while True:
            await self.tabs.clear_consent(page)
            text = await body_text(page)
            if await count(locate(page, step.into)) and (step.when is None or await matches(page, step.when, text)):
                return True
            if later is not None and await count(locate(page, later.into)):
                return False
            for signal in ends:
                if await matches(page, signal, text):
                    return None
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.1)

    async def login(self, page: Page, setting: Setting) -> None:
        """One automated sign-in attempt for this account in this run; raises Outcome on failure."""
        name, cred = self.flow.name, self.account.credential
        if not self.flow.login.steps:  # no password sign-in declared (e-mail link, single sign-on)
            raise Outcome(
                State.NEEDS_LOGIN,
                f"{name} asks to sign in (no saved session, or it has ended), and optout does not sign "
                f"in to {name} by itself. Sign in yourself with `optout login {self.flow.id}`; optout "
                "keeps that session for later runs.",
            )
        if cred is None:
            raise Outcome(
                State.NEEDS_LOGIN,
                f"no saved {name} session and no stored password. Run `optout account add "
                f"{self.flow.id}` or sign in yourself with `optout login {self.flow.id}`.",
            )
        if self.attempted:
            raise Outcome(State.NEEDS_LOGIN, f"{name} signed this account out again after a sign-in in this run.")
        self.attempted = True
        for secret in (cred.password, cred.totp_secret):
            logs.register_secret(secret)
        self.log.info("login.attempt")
        await self.tabs.open(page, self.flow.login.url)
        try:
            await self.run_steps(page, self.flow.login.steps, cred)
            await self.await_signed_in(page, setting, cred)
        except PlaywrightError as exc:
            if self.tabs.consent is not None and self.tabs.consent.blocked:
                raise self.tabs.consent.outcome(self.tabs.consent.blocked) from None
            evidence = await self.evidence.keep_broken_page(page, setting)
            raise Outcome(
                State.BROKEN,
                f"the {name} sign-in page did not match the flow: {logs.scrub(str(exc).splitlines()[0])}",
                evidence,
            ) from None
        self.signed_in_here = True
        self.log.info("login.ok")
        await self.save_session()

    async def await_signed_in(self, page: Page, setting: Setting, cred: Credential) -> None:
        login, name = self.flow.login, self.flow.name
        totp_used = False
        deadline = time.monotonic() + login.timeout_ms / 1000
        while time.monotonic() < deadline:
            await asyncio.sleep(0.25)
            self.tabs.check_alive(page)
            await self.tabs.clear_consent(page)
            text = await body_text(page)
            if await matches(page, login.signed_in, text):
                return
            if await matches(page, login.failure, text):
                raise Outcome(
                    State.NEEDS_LOGIN,
                    f"{name} did not accept the stored username and password (one attempt was made, "
                    f"so the account is not locked out). Check them with `optout account add {self.flow.id}`, "
                    f"or sign in yourself with `optout login {self.flow.id}`.",
                )
            for challenge in login.challenges:
                if not await matches(page, challenge.when, text):
                    continue
                if challenge.kind == "totp" and cred.totp_secret and not totp_used:
                    totp_used = True
                    await self.run_steps(page, challenge.steps, cred, challenge=True)
                    break
                raise Outcome(State.NEEDS_HUMAN, challenge_detail(self.flow, challenge.kind, cred, totp_used))
        evidence = await self.evidence.keep_broken_page(page, setting)
        raise Outcome(State.BROKEN, f"the {name} sign-in did not finish as the flow expects (no known page).", evidence)

    async def save_session(self) -> None:
        store = self.options.sessions
        if store is None:
            return
        try:
            state = await self.tabs.context.storage_state()
            store.save(self.flow.id, self.account.name, state)
        except Exception as exc:  # a session that cannot be saved costs a sign-in next time, no more
            self.log.warning("session.save_failed", error=logs.scrub(str(exc)))


async def wait_for_person(context, flow: Flow, wait_s: float) -> str:
    """While a person signs in themselves: 'signed_in' once a page of the flow's site shows the
    signed-in signal, 'closed' when they closed every window (skip), or 'timeout'."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        pages = [p for p in context.pages if not p.is_closed()]
        if not pages:
            return "closed"
        for page in pages:
            if flow.owns(page.url) and await matches(page, flow.login.signed_in):
                return "signed_in"
        await asyncio.sleep(0.5)
    return "timeout"


async def interactive_login(platform: str, *, account: str | None = None, profile=DEFAULT_PROFILE,
                            headless: bool = False, browser_path: str | None = None,
                            setup_context=None, sessions=None, wait_s: float = 600.0,
                            flows_dir: Path | None = None, on_ready=None) -> Path:
    """`optout login`: open the flow's sign-in page in a visible browser, wait until the person
    is signed in, and keep that session. `headless` exists for tests that play the person with
    `setup_context`/`on_ready`."""
    from optout import browser as browser_mod
    from optout import flowspec
    from optout.errors import OptoutError
    from optout.sessions import SessionStore

    prof = profile if isinstance(profile, Profile) else Profile(profile)
    prof.ensure()
    [flow] = flowspec.resolve([platform], flows_dir)
    if flow.guide is not None:
        raise OptoutError(f"{flow.name} has nothing optout signs in to.", f"`optout off {platform}` shows what to do.")
    store = sessions or SessionStore(prof)
    if account is None:
        from optout.credentials import AccountStore

        known = [a.username for a in AccountStore(prof).list(platform)] or store.accounts(platform)
        account = known[0] if len(known) == 1 else "default"
    async with browser_mod.started(browser_path, headless=headless) as browser:
        context = await browser.new_context(setup_context=setup_context, viewport=None)
        page = await context.new_page()
        await page.goto(flow.login.url, wait_until="domcontentloaded")
        if on_ready:
            await on_ready(page)
        how = await wait_for_person(context, flow, wait_s)
        if how == "closed":
            raise OptoutError(f"The browser window was closed before {flow.name} showed you signed in.",
                              f"Run `optout login {platform}` again.")
        if how == "timeout":
            raise OptoutError(f"Gave up waiting for the {flow.name} sign-in after {wait_s:.0f} s.",
                              f"Run `optout login {platform}` again and finish signing in.")
        path = store.save(platform, account, await context.storage_state())
    log.info("login.saved", platform=platform, account=account)
    return path
