"""A person signing in themselves: `optout login` (a visible browser at the flow's sign-in page,
its session kept once they are in), and the wait for them that attended runs and assisted
sessions share."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import structlog

from optout import browser as browser_mod
from optout.credentials import AccountStore
from optout.engine.pageprobe import matches
from optout.errors import OptoutError
from optout.flowfile.layers import Layers, resolve
from optout.flowfile.schema import Flow
from optout.holds import Holds
from optout.paths import DEFAULT_PROFILE, Profile
from optout.sessions import SessionStore, identity_of

log = structlog.get_logger()


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


async def interactive_login(
    platform: str,
    *,
    account: str | None = None,
    profile=DEFAULT_PROFILE,
    headless: bool = False,
    browser_path: str | None = None,
    setup_context=None,
    sessions=None,
    wait_s: float = 600.0,
    flows_dir: Path | None = None,
    on_ready=None,
) -> Path:
    """`optout login`: open the flow's sign-in page in a visible browser, wait until the person
    is signed in, and keep that session. `headless` exists for tests that play the person with
    `setup_context`/`on_ready`."""

    prof = profile if isinstance(profile, Profile) else Profile(profile)
    prof.ensure()
    [flow] = resolve([platform], flows_dir or Layers.person())
    if flow.guide is not None:
        raise OptoutError(
            f"{flow.name} has nothing optout signs in to.",
            f"`optout off {platform}` shows what to do.",
        )
    store = sessions or SessionStore(prof)
    if account is None:
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
            raise OptoutError(
                f"The browser window was closed before {flow.name} showed you signed in.",
                f"Run `optout login {platform}` again.",
            )
        if how == "timeout":
            raise OptoutError(
                f"Gave up waiting for the {flow.name} sign-in after {wait_s:.0f} s.",
                f"Run `optout login {platform}` again and finish signing in.",
            )
        path = store.save(
            platform, account, await context.storage_state(), await identity_of(context)
        )

    Holds(prof).clear(platform, account)  # the person signed in: automated sign-ins may go on
    log.info("login.saved", platform=platform, account=account)
    return path
