"""Objection forms: filling in what the flow asks for, sending once, and counting the objection as
`submitted` only when the page confirms it. A server error answering the submission is `error`
and nothing is recorded as sent, so the next `optout off` tries again."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from optout import logs
from optout.engine.evidence import Evidence
from optout.engine.options import Outcome
from optout.engine.pageprobe import count, locate, matches
from optout.engine.tab import Tabs
from optout.flowspec import Setting
from optout.results import Result
from optout.states import State


async def send(page: Page, setting: Setting, evidence: Evidence, tabs: Tabs) -> Result:
    """Fill the form found on `page`, send it, and wait for its confirmation."""
    control = setting.control
    failed: list[int] = []  # server errors answering what the form sent

    def on_response(response) -> None:
        if response.request.method != "GET" and response.status >= 500:
            failed.append(response.status)

    page.on("response", on_response)
    try:
        for field_ in control.fields:
            target = locate(page, field_.into).first
            if await count(target) == 0:
                if field_.optional:
                    continue
                raise Outcome(State.BROKEN, f"the form has no field for the {field_.fill}",
                              await evidence.keep_broken_page(page, setting))
            value = evidence.options.form_reason if field_.fill == "reason" else evidence.account.name
            if field_.fill == "email" and "@" not in value:
                value = ""  # a session-only account's name ("assisted", "default") is no address
            if value and not await target.input_value():
                await target.fill(value)
        await locate(page, control.submit).first.click(timeout=10000)
        return await await_confirmation(page, setting, failed, evidence, tabs)
    except Outcome as outcome:
        return evidence.result(setting, outcome.state, outcome.detail, evidence=outcome.evidence)
    except PlaywrightError as exc:
        kept = await evidence.keep_broken_page(page, setting)
        return evidence.result(setting, State.BROKEN, f"could not send the form: {logs.scrub(str(exc).splitlines()[0])}",
                               evidence=kept)
    finally:
        page.remove_listener("response", on_response)


async def await_confirmation(page: Page, setting: Setting, failed: list[int], evidence: Evidence, tabs: Tabs) -> Result:
    """After a form was sent: `submitted` only once the page confirms it; a server error
    answering the submission ends the wait early as `error` (nothing is recorded as sent)."""
    control = setting.control
    deadline = time.monotonic() + evidence.options.find_timeout_s
    while time.monotonic() < deadline:
        if failed:
            await tabs.settle()
        if await matches(page, control.confirmation):
            shots = await evidence.screenshot(page, setting, "confirmation")
            today = datetime.now(timezone.utc).date().isoformat()
            return evidence.result(setting, State.SUBMITTED,
                                   f"objection sent on {today}" + ("; confirmation kept" if shots else ""),
                                   changed=True, evidence=shots)
        if failed:
            kept = await evidence.keep_broken_page(page, setting)
            return evidence.result(
                setting, State.ERROR,
                f"{evidence.flow.name} answered HTTP {failed[0]} when the form was sent, so the objection was "
                "probably not received. Nothing is recorded as sent: the next `optout off` tries again.",
                evidence=kept,
            )
        await asyncio.sleep(0.25)
    kept = await evidence.keep_broken_page(page, setting)
    return evidence.result(setting, State.BROKEN, "the form was sent but no confirmation appeared: "
                           "check your e-mail and the platform before trying again", evidence=kept)
