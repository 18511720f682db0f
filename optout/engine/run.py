"""Running flows: one browser per run, one context per account, accounts in parallel (as many at
once as the machine allows, see capacity.py, or as many as the caller asked); and
`run_in_context` for a context someone else opened (an assisted session, where the person signed
in themselves). A failure in one account never stops the others."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog
from playwright.async_api import Error as PlaywrightError

from optout import browser as browser_mod
from optout.engine import capacity
from optout.engine.account import AccountRun
from optout.engine.connected import BROWSER_ACCOUNT, run_connected
from optout.engine.options import Account, RunOptions, RunState, error_results
from optout.engine.tab import describe_browser_error, first_line, skip_unneeded
from optout.flowfile.schema import Flow
from optout.results import Result
from optout.states import State

log = structlog.get_logger()


def guide_results(flow: Flow) -> list[Result]:
    """Platforms with nothing to automate: the guide's state, its summary as the detail."""
    return [
        Result(
            platform=flow.id,
            setting="guide",
            state=State(flow.guide.state),
            detail=flow.guide.summary,
            label=f"{flow.name}: what to do",
            flow_version=flow.version,
            flow_source=flow.flow_source,
        )
    ]


def no_account_results(flow: Flow) -> list[Result]:
    detail = (
        f"no {flow.name} account is set up. Add one with `optout account add {flow.id}` "
        f"or sign in yourself with `optout login {flow.id}`."
    )
    if not flow.login.steps:
        detail = (
            f"no {flow.name} account is set up. Sign in yourself with `optout login {flow.id}`."
        )
    return [
        Result(
            platform=flow.id,
            setting=s.id,
            state=State.NEEDS_LOGIN,
            detail=detail,
            label=s.label,
            flow_version=flow.version,
            flow_source=flow.flow_source,
        )
        for s in flow.settings
    ]


async def run_in_context(
    flow: Flow, account: Account, options: RunOptions, context, state: RunState | None = None
) -> list[Result]:
    """Read (and, in mode "off", switch) one flow's settings in a context the caller opened and
    closes; a browser that fails makes every setting `error`."""
    try:
        return await AccountRun(flow, account, options, context, state).run(flow.settings)
    except PlaywrightError as exc:
        return error_results(flow, account.name, describe_browser_error(exc))


def planned(jobs: list[tuple[Flow, list[Account]]]) -> list[tuple[Flow, list[Account]]]:
    """The jobs with each platform once and each of its accounts once (names compared without
    case), whatever the command line or the caller repeated: one account, one sign-in per run."""
    flows: dict[str, tuple[Flow, list[Account]]] = {}
    seen: set[tuple[str, str]] = set()
    for flow, accounts in jobs:
        kept = flows.setdefault(flow.id, (flow, []))[1]
        for account in accounts:
            key = (flow.id, account.name.casefold())
            if key not in seen:
                seen.add(key)
                kept.append(account)
            elif all(
                account.name != k.name for k in kept
            ):  # another spelling: say it is not checked
                first = next(k.name for k in kept if k.name.casefold() == key[1])
                log.warning(
                    "run.same_account",
                    platform=flow.id,
                    account=account.name,
                    checked_as=first,
                    hint=f"names that differ only in case are one account: only '{first}' is "
                    f"checked; remove the other: optout account remove {flow.id} '{account.name}'",
                )
    return list(flows.values())


async def run(
    jobs: list[tuple[Flow, list[Account]]],
    options: RunOptions,
    on_result: Callable[[Result], None] | None = None,
    state: RunState | None = None,
) -> list[Result]:
    """Run every (flow, accounts) job in one browser; a failure in one never stops the others.
    `state`: what the run knows as it goes (history's prior sends; it tells the capacity chosen)."""
    state = state if state is not None else RunState()
    results: list[Result] = []
    jobs = planned(jobs)
    work = [
        (flow, account) for flow, accounts in jobs if flow.guide is None for account in accounts
    ]
    for flow, accounts in jobs:
        if flow.guide is not None:
            for r in guide_results(flow):
                results.append(r)
                on_result and on_result(r)
        elif (
            not accounts and options.connect is not None
        ):  # whoever the person's browser is signed in as
            work.append((flow, Account(flow.id, BROWSER_ACCOUNT)))
        elif not accounts:
            for r in no_account_results(flow):
                results.append(r)
                on_result and on_result(r)
    if not work:
        return results
    if options.connect is not None:  # the person's own browser: one identity, one account at a time
        return results + await run_connected(work, options, on_result, state)
    state.capacity = capacity.machine(options.concurrency)
    log.info(
        "run.capacity",
        accounts=len(work),
        at_once=state.capacity.accounts,
        cpus=state.capacity.cpus,
        free_mib=state.capacity.available_mib,
        override=state.capacity.override,
    )
    semaphore = asyncio.Semaphore(state.capacity.accounts)
    async with browser_mod.started(options.browser_path, headless=options.headless) as browser:
        visible: list = []  # the visible browser of an attended run, started at its first sign-in

        async def window(identity: dict | None, storage: dict | None = None):
            if not visible:
                visible.append(
                    browser_mod.Launched(browser.playwright, browser.choice, headless=False)
                )
            return await visible[0].new_context(
                storage, setup_context=options.setup_context, viewport=None, identity=identity
            )

        if options.attended and options.headless:
            state.window = window

        async def one(flow: Flow, account: Account) -> list[Result]:
            async with semaphore:
                try:
                    context = await browser.new_context(
                        account.session,
                        setup_context=options.setup_context,
                        identity=account.identity,
                    )
                    try:
                        await skip_unneeded(context)
                        out = await AccountRun(flow, account, options, context, state).run(
                            flow.settings
                        )
                    finally:
                        await browser_mod.close_quietly(context)
                except Exception as exc:  # the browser died, or could not be started again
                    if isinstance(exc, PlaywrightError):
                        detail = describe_browser_error(exc)
                    else:
                        detail = f"could not run: {first_line(exc)}"
                    out = error_results(flow, account.name, detail)
                for r in out:
                    on_result and on_result(r)
                return out

        try:
            gathered = await asyncio.gather(*(one(f, a) for f, a in work))
        finally:
            if visible and visible[0].browser is not None:
                await browser_mod.close_quietly(visible[0].browser)
    for out in gathered:
        results.extend(out)
    return results
