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
from optout.engine.options import Account, Outcome, RunOptions
from optout.engine.pageprobe import body_text, count, locate, matches, page_language, row_opener
from optout.engine.tab import Patience, Tabs, describe_browser_error
from optout.patterns import search_url
from optout.flowspec import Flow, Reveal, Setting, origin_of
from optout.results import Result
from optout.states import State

log = structlog.get_logger()


class AccountRun:
    """Everything done in one account's browser context during one run."""

    def __init__(self, flow: Flow, account: Account, options: RunOptions, context):
        self.flow, self.account, self.options, self.context = flow, account, options, context
        self.lang = ""
        self.visited = False  # whether the current setting's page was opened (for the capture hook)
        self.unclicked = ""  # why a row named by a setting's text was left unclicked on this page
        self.account_outcome: Outcome | None = None
        self.log = log.bind(platform=flow.id, account=account.name)
        self.tabs = Tabs(context, flow.name, options.nav_timeout_ms, ConsentGuard.for_flow(flow, self.log, options.clicks))
        self.evidence = Evidence(flow, account, options, self.log)
        self.signin = SignIn(flow, account, options, self.tabs, self.evidence, self.log)
        self.result = self.evidence.result

    def account_wide(self, outcome: Outcome) -> bool:
        """Whether an outcome ends the account's run, not just one setting's: it needs a sign-in or
        a person, is account-wide by kind (a refused credential), or came while this run's one
        sign-in attempt failed."""
        return (outcome.state in (State.NEEDS_LOGIN, State.NEEDS_HUMAN) or outcome.account_wide
                or (self.signin.attempted and not self.signin.signed_in_here))

    def ended(self, setting: Setting, outcome: Outcome) -> Result:
        """The setting's result for an outcome; an account-wide one also ends the settings after it."""
        if self.account_wide(outcome):
            self.account_outcome = outcome
        return self.result(setting, outcome.state, outcome.detail, evidence=outcome.evidence)

    def outside(self, page: Page) -> Outcome:
        return Outcome(State.ERROR, f"{self.flow.name} sent the browser outside its own site, to "
                       f"{origin_of(page.url)}; nothing was read or typed there.")

    # --- reading ------------------------------------------------------------------------------

    async def classify(self, page: Page, setting: Setting):
        """Wait for the first recognisable thing on the page; returns (kind, value)."""
        control = setting.control
        patience = Patience(self.options.find_timeout_s)
        opened = 0  # how many of the setting's `open` clicks were made on this page
        self.unclicked = ""
        unavailable_seen = False
        while True:
            self.tabs.check_alive(page)
            if not self.flow.owns(page.url):
                raise self.outside(page)
            await self.tabs.clear_consent(page)
            text = await body_text(page)
            if await matches(page, self.flow.login.signed_out, text):
                return "signed_out", None
            challenge = await challenge_on(page, self.flow, text)
            if challenge is not None:
                return "challenge", challenge.kind
            lang = await page_language(page)
            if lang and lang not in setting.known_languages(self.flow.languages):
                return "language", lang
            if control.kind == "form":
                if await forms.notice_shown(page, control.already_submitted):
                    return "submitted", None
                found, locator = await forms.offered(page, control)
            else:
                found, locator = await controls.find(controls.scope(page, setting), control, lang)
            self.lang = lang
            if found == 1:
                return "control", locator
            if found > 1:
                return "ambiguous", found
            if await matches(page, setting.unavailable, text):
                # The sign and the control were two looks at a page that may still be rendering
                # (the sign can appear between them): "not offered" only when the next look agrees.
                if unavailable_seen:
                    return "unavailable", None
                unavailable_seen = True
            else:
                unavailable_seen = False
            reveals = setting.open + ([Reveal(click=setting.dialog.open)] if setting.dialog else [])
            if opened < len(reveals) and await self.reveal(page, reveals[opened]):
                opened += 1
                continue
            if not unavailable_seen:  # a sign seen once gets its second look
                if patience.over:
                    return "timeout", None
                if await self.tabs.settled(page):  # loaded and rendered, and still not there
                    return "missing", None
            await patience.pause()

    async def reveal(self, page: Page, reveal) -> bool:
        """Click the first of a reveal step's elements that shows exactly once; False if none does yet
        (and always when the run may click nothing: a replay)."""
        if not self.options.clicks:
            return False
        for spec in reveal.click:
            target = locate(page, spec)
            if spec.text:  # a row drawn without a role: open it through its own button, if it has one
                target = target.filter(visible=True)
                if await count(target) != 1:
                    continue
                target, why = await row_opener(target)
                if target is None:
                    self.unclicked = f"'{spec.text[0]}' was not clicked: {why}"
                    continue
            if spec.text or await count(target) == 1:
                try:
                    await target.click(timeout=3000)
                except PlaywrightError:
                    return False  # moving or covered: the next round tries again
                await asyncio.sleep(0.1)
                return True
        return False

    async def read(self, page: Page, setting: Setting, *, may_login: bool):
        """Open the setting and read it: returns (opted_out, locator, locked) or raises Outcome.
        `locked`: the platform shows the control greyed out (age, plan, region, an administrator,
        another setting that forces it): it is reported as read and never clicked."""
        self.visited = True
        await self.tabs.open(page, setting.url)
        kind, value = await self.classify(page, setting)
        if kind == "challenge" and may_login and self.options.attended and not self.signin.cleared:
            # A check the site puts before its pages (Cloudflare's, say): the person answers it in
            # a window, and the run goes on with what they cleared.
            await self.signin.clear_challenge(page, setting, value)
            await self.tabs.open(page, setting.url)
            kind, value = await self.classify(page, setting)
        if kind == "signed_out" and may_login:
            await self.signin.login(page, setting)
            await self.tabs.open(page, setting.url)
            self.evidence.password_typed = False  # a page the engine opened, not the sign-in's answer
            kind, value = await self.classify(page, setting)
        name = self.flow.name
        if kind == "signed_out":
            raise Outcome(State.NEEDS_LOGIN, f"{name} shows its sign-in page: the session has ended. "
                          f"Sign in again with `optout login {self.flow.id}`.")
        if kind == "challenge":
            raise Outcome(State.NEEDS_HUMAN, challenge_detail(self.flow, value, None, False))
        if kind == "unavailable":
            return None, None, False
        if kind == "submitted":
            return True, None, False
        if kind in ("language", "ambiguous", "timeout", "missing"):
            detail = {
                "language": f"the page is in a language this flow does not know ({value!r}); "
                            f"it knows {', '.join(setting.known_languages(self.flow.languages))}"
                            + (f" (no {value}: {setting.languages_missing[value]})" if value in setting.languages_missing else "")
                            + ". Nothing was read or changed; `optout platforms` lists the languages each setting knows.",
                "ambiguous": f"{value} controls match the label '{setting.label}': refusing to guess.",
                "timeout": f"the control '{setting.label}' was not found on {page.url} within "
                           f"{self.options.find_timeout_s:g} s, while the page was still loading "
                           f"(the page may have changed, or be very slow).",
                "missing": f"the control '{setting.label}' was not found on {page.url} once the page "
                           f"had finished loading (the page may have changed)."
                           + (f" {self.unclicked}." if self.unclicked else ""),
            }[kind]
            raise Outcome(State.BROKEN, detail, await self.evidence.keep_broken_page(page, setting))
        if setting.control.kind == "form":
            return False, value, False  # offered and not yet sent: training goes on until it is
        opted_out, disabled, why = await controls.read(controls.scope(page, setting), setting.control, value, self.lang)
        if opted_out is None:
            raise Outcome(State.BROKEN, f"'{setting.label}': {why}.", await self.evidence.keep_broken_page(page, setting))
        return opted_out, value, disabled

    # --- one setting: read → act → reload → verify ---------------------------------------------

    async def run_setting(self, page: Page, setting: Setting) -> Result:
        if self.account_outcome:
            o = self.account_outcome
            return self.result(setting, o.state, o.detail, evidence=o.evidence)
        if setting.control.kind == "form":
            return await self.run_form(page, setting)
        try:
            opted_out, control, locked = await self.read(page, setting, may_login=not self.signin.attempted)
        except Outcome as outcome:
            return self.ended(setting, outcome)
        if control is None:
            return self.result(setting, State.UNAVAILABLE, f"{self.flow.name} does not offer this setting to this account.")
        evidence = await self.evidence.screenshot(page, setting, "before", control)
        if locked:  # greyed out: what it reads is the truth, and it is not this account's to change
            shown = "off" if opted_out else "on"
            return self.result(setting, State.OFF if opted_out else State.ON, f"read as {shown}: {self.flow.name} "
                               f"shows it {shown} and does not let this account change it", evidence=evidence)
        if opted_out:
            return self.result(setting, State.OFF, "read as off", evidence=evidence)
        if not self.options.wants_off(self.flow.id, setting):
            return self.result(setting, State.ON, "read as on", evidence=evidence)
        if self.options.dry_run:
            return self.result(setting, State.ON, "read as on; would switch it off (dry run)", evidence=evidence)
        return await self.switch_off(page, setting, control, evidence)

    async def run_form(self, page: Page, setting: Setting) -> Result:
        """Objection forms: sent once. History answers for a form that went out (confirmed, or sent
        unconfirmed), unless the person asked to send again (`--resend`)."""
        prior = self.options.prior(self.flow.id, self.account.name, setting.id) if self.options.prior else None
        if prior and not (self.options.resend and self.options.wants_off(self.flow.id, setting)):
            kept = [Path(p) for p in prior.get("evidence", [])]
            if prior["state"] == str(State.SUBMITTED):
                return self.result(setting, State.SUBMITTED, f"objection sent on {prior['at'][:10]} (from history)",
                                   evidence=kept)
            detail = prior["detail"].removesuffix(" (from history)")
            return self.result(setting, State.NEEDS_HUMAN, f"{detail} (from history)", evidence=kept)
        try:
            submitted, form, _ = await self.read(page, setting, may_login=not self.signin.attempted)
        except Outcome as outcome:
            return self.ended(setting, outcome)
        if submitted:
            return self.result(setting, State.SUBMITTED, f"{self.flow.name} shows on the form's page that an "
                               "objection was already sent")
        if form is None:
            return self.result(setting, State.UNAVAILABLE, f"{self.flow.name} does not offer this form to this account "
                               "(it exists only in some regions).")
        if not self.options.wants_off(self.flow.id, setting):
            return self.result(setting, State.ON, "no objection sent yet")
        if self.options.dry_run:
            return self.result(setting, State.ON, "no objection sent yet; would send it (dry run)")
        return await forms.send(page, setting, self.evidence, self.tabs)

    async def challenged(self, page: Page, setting: Setting, evidence: list[Path], when: str = "") -> Result | None:
        """A challenge showing now (an overlay or a navigation since the page was read) ends the
        setting as needs_human before anything is clicked under it."""
        challenge = await challenge_on(page, self.flow)
        if challenge is None:
            return None
        detail = challenge_detail(self.flow, challenge.kind, None, False)
        return self.ended(setting, Outcome(State.NEEDS_HUMAN, f"{when}{detail}", evidence))

    async def switch_off(self, page: Page, setting: Setting, control, evidence: list[Path]) -> Result:
        name = self.flow.name
        if (stopped := await self.challenged(page, setting, evidence)) is not None:
            return stopped
        self.log.info("setting.switch", setting=setting.id)
        try:
            await controls.switch_off(page, controls.scope(page, setting), setting.control, control, self.lang)
        except PlaywrightError as exc:
            kept = await self.evidence.keep_broken_page(page, setting)
            return self.result(setting, State.BROKEN, f"could not click '{setting.label}': "
                               f"{logs.scrub(str(exc).splitlines()[0])}", evidence=evidence + kept)
        problem = ""  # a save that failed: never `off` after it, whatever the page shows
        if setting.save is not None:
            when = "switched on screen but not saved: "
            if (stopped := await self.challenged(page, setting, evidence, when)) is not None:
                return stopped
            try:
                problem = await controls.save_change(page, setting, self.options.find_timeout_s)
            except PlaywrightError as exc:  # nothing was saved: the page does not match the flow
                kept = await self.evidence.keep_broken_page(page, setting)
                return self.result(setting, State.BROKEN, f"switched '{setting.label}' but could not click Save, so "
                                   f"nothing was saved: {logs.scrub(str(exc).splitlines()[0])}", evidence=evidence + kept)
        stuck = await controls.close_dialog(page, setting, control) if setting.dialog is not None and not problem else ""
        await asyncio.sleep(0.1)
        await self.tabs.settle()
        try:
            opted_out, control, _ = await self.read(page, setting, may_login=False)
        except Outcome as outcome:
            detail = f"after switching off and reloading: {outcome.detail}"
            return self.result(setting, outcome.state, detail, evidence=evidence + outcome.evidence)
        if problem and opted_out:  # the platform refused the change: what the page shows now is not proof
            return self.result(setting, State.ERROR, f"{problem}, yet after a reload {name} shows it off: "
                               f"check it again with `optout check {self.flow.id}`.", evidence=evidence)
        if control is None:
            return self.result(setting, State.UNAVAILABLE, f"after switching off and reloading, {name} no longer offers this setting.", evidence=evidence)
        evidence = evidence + await self.evidence.screenshot(page, setting, "after", control)
        if opted_out:  # a dialog that stayed open does not matter once the reload reads it off
            return self.result(setting, State.OFF, "switched off; read as off after a reload", changed=True, evidence=evidence)
        why = f"{problem or stuck}; " if problem or stuck else ""
        return self.result(
            setting, State.ON,
            f"switched off, but {why}after a reload {name} shows it on again: the change did not stick "
            f"(the save may have failed). Try again later with `optout off {self.flow.id}`.",
            evidence=evidence,
        )

    async def captured(self, page: Page, setting: Setting, result: Result) -> None:
        """Hand the page just read to the run's capture hook, if any: only a page this setting
        opened, as it is after the reading (broken ones too); never after an error or a failed
        sign-in (the page is then the sign-in page, which a replay without a credential cannot
        re-enact)."""
        if self.options.capture is None or not self.visited or result.state == State.ERROR:
            return
        if self.signin.attempted and not self.signin.signed_in_here:
            return  # the page is the sign-in page after a failed sign-in, not the setting's
        if self.tabs.gone(page):
            return
        try:
            await self.options.capture(page, self.flow, self.account, setting, result)
        except Exception as exc:  # a capture that fails never changes what was read
            self.log.warning("capture.failed", setting=setting.id, error=logs.scrub(f"{type(exc).__name__}: {exc}"))

    # --- every setting ------------------------------------------------------------------------

    async def items(self, page: Page, setting: Setting) -> list[Setting] | Result:
        """One Setting per item the account owns (publications, blogs), read from the list page."""
        spec = setting.items
        try:
            await self.tabs.open(page, spec.url)
            patience = Patience(self.options.find_timeout_s)
            while True:
                if not self.flow.owns(page.url):
                    raise self.outside(page)
                text = await body_text(page)
                if await matches(page, self.flow.login.signed_out, text):
                    if self.signin.attempted:
                        raise Outcome(State.NEEDS_LOGIN, f"{self.flow.name} shows its sign-in page. "
                                      f"Sign in again with `optout login {self.flow.id}`.")
                    await self.signin.login(page, setting)
                    await self.tabs.open(page, spec.url)
                    self.evidence.password_typed = False
                    continue
                challenge = await challenge_on(page, self.flow, text)
                if challenge is not None:
                    raise Outcome(State.NEEDS_HUMAN, challenge_detail(self.flow, challenge.kind, None, False))
                hrefs = [await link.get_attribute("href") or "" for link in await locate(page, spec.link).all()]
                ids = sorted({m.group(1) for h in hrefs if (m := search_url(spec.pattern, h))})
                if ids:
                    break
                if await matches(page, spec.empty, text):
                    return self.result(setting, State.UNAVAILABLE, f"this account has no {spec.noun}s")
                if patience.over or await self.tabs.settled(page):
                    raise Outcome(State.BROKEN, f"could not find the account's {spec.noun}s on {page.url}",
                                  await self.evidence.keep_broken_page(page, setting))
                await patience.pause()
        except Outcome as outcome:
            return self.ended(setting, outcome)
        return [
            setting.model_copy(update={"id": f"{setting.id}/{item}", "label": f"{setting.label} ({item})",
                                       "url": setting.url.replace("{item}", item), "items": None})
            for item in ids
        ]

    async def run(self, settings: list[Setting]) -> list[Result]:
        page = await self.tabs.new_page()
        results = []
        expanded: list[Setting] = []
        for setting in settings:
            if setting.items is None:
                expanded.append(setting)
                continue
            found = await self.items(page, setting)
            if isinstance(found, Result):
                results.append(found)
            else:
                expanded.extend(found)
        for setting in expanded:
            if page in self.tabs.crashed:  # a crashed tab ends its setting only: the next one gets a new tab
                try:
                    page = await self.tabs.new_page()
                except PlaywrightError:
                    pass
            self.evidence.problem = ""
            self.visited = False
            # An attended sign-in may wait for the person: that time is theirs, not the setting's.
            limit = self.options.setting_timeout_s + (self.options.person_wait_s if self.options.attended else 0)
            try:
                result = await asyncio.wait_for(self.run_setting(page, setting), limit)
            except asyncio.TimeoutError:
                result = self.result(setting, State.ERROR, f"timed out after {limit:.0f} s")
            except PlaywrightError as exc:
                result = self.result(setting, State.ERROR, describe_browser_error(exc))
            except Exception as exc:  # a fault in optout ends this setting, never the whole run
                self.log.error("setting.failed", setting=setting.id, error=logs.scrub(f"{type(exc).__name__}: {exc}"))
                result = self.result(setting, State.ERROR, f"optout failed on this setting ({type(exc).__name__}: "
                                     f"{str(exc).splitlines()[0] if str(exc) else ''}); please report it")
            results.append(result)
            await self.captured(page, setting, result)
            self.log.info("setting.result", setting=setting.id, state=str(result.state), changed=result.changed)
        if self.account.session is not None and not self.signin.signed_in_here and not self.account_outcome:
            await self.signin.save_session()  # keep refreshed cookies
        return results
