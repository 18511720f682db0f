"""`optout login`: a person signs in themselves in a visible browser; optout keeps that session."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import structlog

from optout.paths import DEFAULT_PROFILE, Profile

log = structlog.get_logger()


async def interactive_login(platform: str, *, account: str | None = None, profile=DEFAULT_PROFILE,
                            headless: bool = False, browser_path: str | None = None,
                            setup_context=None, sessions=None, wait_s: float = 600.0,
                            flows_dir: Path | None = None, on_ready=None) -> Path:
    """Open the flow's sign-in page and wait until the flow's signed-in signal shows.

    `headless` exists for tests that play the person with `setup_context`/`on_ready`."""
    from playwright.async_api import async_playwright

    from optout import browser as browser_mod
    from optout import flowspec
    from optout.errors import OptoutError
    from optout.pageprobe import matches
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
    choice = browser_mod.find_browser(browser_path)
    async with async_playwright() as playwright:
        browser = await browser_mod.launch(playwright, choice, headless=headless)
        context = await browser.new_context(locale="en-US")
        if setup_context:
            await setup_context(context)
        page = await context.new_page()
        await page.goto(flow.login.url, wait_until="domcontentloaded")
        if on_ready:
            await on_ready(page)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if page.is_closed():
                raise OptoutError(f"The browser window was closed before {flow.name} showed you signed in.",
                                  f"Run `optout login {platform}` again.")
            if await matches(page, flow.login.signed_in):
                break
            await asyncio.sleep(0.5)
        else:
            raise OptoutError(f"Gave up waiting for the {flow.name} sign-in after {wait_s:.0f} s.",
                              f"Run `optout login {platform}` again and finish signing in.")
        path = store.save(platform, account, await context.storage_state())
        await browser.close()
    log.info("login.saved", platform=platform, account=account)
    return path
