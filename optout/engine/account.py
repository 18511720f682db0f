"""One account's work in its own browser context. For every setting: read first; act only on a
positive `on`; after acting, reload and read again; never `off` from anything but a control read
as off. Signing in (login.py), forms (forms.py), evidence (evidence.py) and the tabs (tab.py) are
the helpers this loop calls."""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from optout import logs
from optout.engine import controls, forms
from optout.engine.challenges import challenge_on
from optout.engine.consent import ConsentGuard
from optout.engine.evidence import Evidence
from optout.engine.login import SignIn, challenge_detail
from optout.engine.options import Account, Outcome, RunOptions, RunState
from optout.engine.tab import Tabs, describe_browser_error
from optout.engine.triage import Reading, Seen, Triage, triage, unrecognised
from optout.flowfile.schema import Flow, Setting
from optout.results import Result
from optout.states import State

log = structlog.get_logger()


class AccountRun:
    """Everything done in one account's browser context during one run."""

    def __init__(
        self,
        flow: Flow,
        account: Account,
        options: RunOptions,
        context,
        state: RunState | None = None,
    ):
        self.flow, self.account, self.options, self.context = flow, account, options, context
        self.state = state if state is not None else RunState()
        self.opened: set[str] = set()  # the settings whose page was opened (for the capture hook)
        self.account_outcome: Outcome | None = None
        self.log = log.bind(platform=flow.id, account=account.name)
        self.tabs = Tabs(
            context,
            flow.name,
            options.nav_timeout_ms,
            ConsentGuard.for_flow(flow, self.log, options.clicks),
        )
        self.evidence = Evidence(flow, account, options, self.log)
        self.signin = SignIn(flow, account, options, self.tabs, self.evidence, self.log, self.state)
        self.result = self.evidence.result

    def account_wide(self, outcome: Outcome) -> bool:
        """Whether an outcome ends the account's run, not just one setting's: it needs a sign-in or
        a person, is account-wide by kind (a refused credential), or came while this run's one
        sign-in attempt failed."""
        return (
            outcome.state in (State.NEEDS_LOGIN, State.NEEDS_HUMAN)
            or outcome.account_wide
            or (self.signin.attempted and not self.signin.signed_in_here)
        )

    def ended(self, setting: Setting, outcome: Outcome) -> Result:
        """The setting's result for an outcome; an account-wide one also ends the settings after it."""
        if self.account_wide(outcome):
            self.account_outcome = outcome
        return self.result(setting, outcome.state, outcome.detail, evidence=outcome.evidence)

    # --- reading ------------------------------------------------------------------------------

    async def look(
        self, page: Page, setting: Setting, *, may_login: bool, items: bool = False
    ) -> Triage:
        """Open the setting's page (or its items list) and triage it; a check before the site's
        pages goes to the person when one is at the machine, a signed-out page to the run's one
        sign-in when `may_login`. Signed out and a challenge that remain raise their Outcome."""
        url = setting.items.url if items else setting.url
        self.opened.add(setting.id)

        def again():
            return triage(
                page,
                self.flow,
                setting,
                self.tabs,
                find_timeout_s=self.options.find_timeout_s,
                clicks=self.options.clicks,
                items=items,
            )

        await self.tabs.open(page, url)
        seen = await again()
        if (
            seen.seen is Seen.CHALLENGE
            and may_login
            and self.options.attended
            and not self.signin.cleared
        ):
            # A check the site puts before its pages (Cloudflare's, say): the person answers it in
            # a window, and the run goes on with what they cleared.
            await self.signin.clear_challenge(page, setting, seen.challenge)
            await self.tabs.open(page, url)
            seen = await again()
        if seen.seen is Seen.SIGNED_OUT and may_login:
            await self.signin.login(page, setting)
            await self.tabs.open(page, url)
            self.evidence.password_typed = (
                False  # a page the engine opened, not the sign-in's answer
            )
            seen = await again()
        if seen.seen is Seen.SIGNED_OUT:
            raise Outcome(
                State.NEEDS_LOGIN,
                f"{self.flow.name} shows its sign-in page: the session has ended. "
                f"Sign in again with `optout login {self.flow.id}`.",
            )
        if seen.seen is Seen.CHALLENGE:
            raise Outcome(
                State.NEEDS_HUMAN, challenge_detail(self.flow, seen.challenge, None, False)
            )
        return seen

    async def read(self, page: Page, setting: Setting, *, may_login: bool) -> Reading:
        """Open the setting and read it, or raise the Outcome that ends it."""
        seen = await self.look(page, setting, may_login=may_login)
        if seen.seen is Seen.UNAVAILABLE:
            return Reading(None, lang=seen.lang)
        if seen.seen is Seen.SUBMITTED:
            return Reading(None, lang=seen.lang, already_sent=True)
        if seen.seen is not Seen.CONTROL:
            raise Outcome(
                State.BROKEN,
                unrecognised(seen, self.flow, setting, page.url, self.options.find_timeout_s),
                await self.evidence.keep_broken_page(page, setting),
            )
        if setting.control.kind == "form":
            return Reading(
                seen.control, lang=seen.lang
            )  # offered and not yet sent: training goes on
        off, locked, why = await controls.read(
            controls.scope(page, setting), setting.control, seen.control, seen.lang
        )
        if off is None:
            raise Outcome(
                State.BROKEN,
                f"'{setting.label}': {why}.",
                await self.evidence.keep_broken_page(page, setting),
            )
        return Reading(seen.control, lang=seen.lang, off=off, locked=locked)

    # --- one setting: read → act → reload → verify ---------------------------------------------

    async def run_setting(self, page: Page, setting: Setting) -> Result:
        if self.account_outcome:
            o = self.account_outcome
            return self.result(setting, o.state, o.detail, evidence=o.evidence)
        if setting.control.kind == "form":
            return await self.run_form(page, setting)
        try:
            reading = await self.read(page, setting, may_login=not self.signin.attempted)
        except Outcome as outcome:
            return self.ended(setting, outcome)
        if reading.control is None:
            return self.result(
                setting,
                State.UNAVAILABLE,
                f"{self.flow.name} does not offer this setting to this account.",
            )
        evidence = await self.evidence.screenshot(page, setting, "before", reading.control)
        if (
            reading.locked
        ):  # greyed out: what it reads is the truth, and it is not this account's to change
            shown = "off" if reading.off else "on"
            return self.result(
                setting,
                State.OFF if reading.off else State.ON,
                f"read as {shown}: {self.flow.name} "
                f"shows it {shown} and does not let this account change it",
                evidence=evidence,
            )
        if reading.off:
            return self.result(setting, State.OFF, "read as off", evidence=evidence)
        if not self.options.wants_off(self.flow.id, setting):
            return self.result(setting, State.ON, "read as on", evidence=evidence)
        if self.options.dry_run:
            return self.result(
                setting, State.ON, "read as on; would switch it off (dry run)", evidence=evidence
            )
        return await self.switch_off(page, setting, reading, evidence)

    async def run_form(self, page: Page, setting: Setting) -> Result:
        """Objection forms: sent once. History answers for a form that went out (confirmed, or sent
        unconfirmed), unless the person asked to send again (`--resend`)."""
        prior = (
            self.state.prior(self.flow.id, self.account.name, setting.id)
            if self.state.prior
            else None
        )
        if prior and not (self.options.resend and self.options.wants_off(self.flow.id, setting)):
            return forms.from_history(self.evidence, setting, prior)
        try:
            reading = await self.read(page, setting, may_login=not self.signin.attempted)
        except Outcome as outcome:
            return self.ended(setting, outcome)
        if reading.already_sent:
            return self.result(
                setting,
                State.SUBMITTED,
                f"{self.flow.name} shows on the form's page that an objection was already sent",
            )
        if reading.control is None:
            return self.result(
                setting,
                State.UNAVAILABLE,
                f"{self.flow.name} does not offer this form to this account "
                "(it exists only in some regions).",
            )
        if not self.options.wants_off(self.flow.id, setting):
            return self.result(setting, State.ON, "no objection sent yet")
        if self.options.dry_run:
            return self.result(setting, State.ON, "no objection sent yet; would send it (dry run)")
        return await forms.send(page, setting, self.evidence, self.tabs)

    async def challenged(
        self, page: Page, setting: Setting, evidence: list[Path], when: str = ""
    ) -> Result | None:
        """A challenge showing now (an overlay or a navigation since the page was read) ends the
        setting as needs_human before anything is clicked under it."""
        challenge = await challenge_on(page, self.flow)
        if challenge is None:
            return None
        detail = challenge_detail(self.flow, challenge.kind, None, False)
        return self.ended(setting, Outcome(State.NEEDS_HUMAN, f"{when}{detail}", evidence))

    async def switch_off(
        self, page: Page, setting: Setting, reading: Reading, evidence: list[Path]
    ) -> Result:
        name = self.flow.name
        if (stopped := await self.challenged(page, setting, evidence)) is not None:
            return stopped
        self.log.info("setting.switch", setting=setting.id)
        control = reading.control
        try:
            await controls.switch_off(
                page, controls.scope(page, setting), setting.control, control, reading.lang
            )
        except PlaywrightError as exc:
            kept = await self.evidence.keep_broken_page(page, setting)
            return self.result(
                setting,
                State.BROKEN,
                f"could not click '{setting.label}': {logs.scrub(str(exc).splitlines()[0])}",
                evidence=evidence + kept,
            )
        problem = ""  # a save that failed: never `off` after it, whatever the page shows
        if setting.save is not None:
            when = "switched on screen but not saved: "
            if (stopped := await self.challenged(page, setting, evidence, when)) is not None:
                return stopped
            try:
                problem = await controls.save_change(page, setting, self.options.find_timeout_s)
            except PlaywrightError as exc:  # nothing was saved: the page does not match the flow
                kept = await self.evidence.keep_broken_page(page, setting)
                return self.result(
                    setting,
                    State.BROKEN,
                    f"switched '{setting.label}' but could not click Save, so "
                    f"nothing was saved: {logs.scrub(str(exc).splitlines()[0])}",
                    evidence=evidence + kept,
                )
        stuck = (
            await controls.close_dialog(page, setting, control)
            if setting.dialog is not None and not problem
            else ""
        )
        await asyncio.sleep(0.1)
        await self.tabs.settle()
        try:
            after = await self.read(page, setting, may_login=False)
        except Outcome as outcome:
            detail = f"after switching off and reloading: {outcome.detail}"
            return self.result(setting, outcome.state, detail, evidence=evidence + outcome.evidence)
        if (
            problem and after.off
        ):  # the platform refused the change: what the page shows now is not proof
            return self.result(
                setting,
                State.ERROR,
                f"{problem}, yet after a reload {name} shows it off: "
                f"check it again with `optout check {self.flow.id}`.",
                evidence=evidence,
            )
        if after.control is None:
            return self.result(
                setting,
                State.UNAVAILABLE,
                f"after switching off and reloading, {name} no longer offers this setting.",
                evidence=evidence,
            )
        evidence = evidence + await self.evidence.screenshot(page, setting, "after", after.control)
        if after.off:  # a dialog that stayed open does not matter once the reload reads it off
            return self.result(
                setting,
                State.OFF,
                "switched off; read as off after a reload",
                changed=True,
                evidence=evidence,
            )
        why = f"{problem or stuck}; " if problem or stuck else ""
        return self.result(
            setting,
            State.ON,
            f"switched off, but {why}after a reload {name} shows it on again: the change did not stick "
            f"(the save may have failed). Try again later with `optout off {self.flow.id}`.",
            evidence=evidence,
        )

    async def captured(self, page: Page, setting: Setting, result: Result) -> None:
        """Hand the page just read to the run's capture hook, if any: only a page this setting
        opened, as it is after the reading (broken ones too); never after an error or a failed
        sign-in (the page is then the sign-in page, which a replay without a credential cannot
        re-enact)."""
        if (
            self.options.capture is None
            or setting.id not in self.opened
            or result.state == State.ERROR
            or (self.signin.attempted and not self.signin.signed_in_here)
            or self.tabs.gone(page)
        ):
            return
        try:
            await self.options.capture(page, self.flow, self.account, setting, result)
        except Exception as exc:  # a capture that fails never changes what was read
            self.log.warning(
                "capture.failed",
                setting=setting.id,
                error=logs.scrub(f"{type(exc).__name__}: {exc}"),
            )

    # --- every setting ------------------------------------------------------------------------

    async def items(self, page: Page, setting: Setting) -> list[Setting] | Result:
        """One Setting per item the account owns (publications, blogs), read from the list page."""
        spec = setting.items
        try:
            seen = await self.look(page, setting, may_login=not self.signin.attempted, items=True)
            if seen.seen is Seen.UNAVAILABLE:
                return self.result(setting, State.UNAVAILABLE, f"this account has no {spec.noun}s")
            if seen.seen is not Seen.ITEMS:
                raise Outcome(
                    State.BROKEN,
                    f"could not find the account's {spec.noun}s on {page.url}",
                    await self.evidence.keep_broken_page(page, setting),
                )
        except Outcome as outcome:
            return self.ended(setting, outcome)
        return [
            setting.model_copy(
                update={
                    "id": f"{setting.id}/{item}",
                    "label": f"{setting.label} ({item})",
                    "url": setting.url.replace("{item}", item),
                    "items": None,
                }
            )
            for item in seen.items
        ]

    async def run(self, settings: list[Setting]) -> list[Result]:
        page = await self.tabs.new_page()
        results = []
        expanded: list[Setting] = []
        for (
            setting
        ) in settings:  # a setting per item becomes one setting for each item the account owns
            found = [setting] if setting.items is None else await self.items(page, setting)
            if isinstance(found, Result):
                results.append(found)
            else:
                expanded.extend(found)
        for setting in expanded:
            if (
                page in self.tabs.crashed
            ):  # a crashed tab ends its setting only: the next one gets a new tab
                try:
                    page = await self.tabs.new_page()
                except PlaywrightError:
                    pass
            # An attended sign-in may wait for the person: that time is theirs, not the setting's.
            limit = self.options.setting_timeout_s + (
                self.options.person_wait_s if self.options.attended else 0
            )
            try:
                result = await asyncio.wait_for(self.run_setting(page, setting), limit)
            except TimeoutError:
                result = self.result(setting, State.ERROR, f"timed out after {limit:.0f} s")
            except PlaywrightError as exc:
                result = self.result(setting, State.ERROR, describe_browser_error(exc))
            except Exception as exc:  # a fault in optout ends this setting, never the whole run
                self.log.error(
                    "setting.failed",
                    setting=setting.id,
                    error=logs.scrub(f"{type(exc).__name__}: {exc}"),
                )
                result = self.result(
                    setting,
                    State.ERROR,
                    f"optout failed on this setting ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0] if str(exc) else ''}); please report it",
                )
            results.append(result)
            await self.captured(page, setting, result)
            self.log.info(
                "setting.result",
                setting=setting.id,
                state=str(result.state),
                changed=result.changed,
            )
        if (
            self.account.session is not None
            and not self.signin.signed_in_here
            and not self.account_outcome
        ):
            await self.signin.save_session()  # keep refreshed cookies
        return results
