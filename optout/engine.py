"""Runs flows. One browser per run, one context per account, accounts in parallel (bounded).

For every setting: read first; act only on a positive `on`; after acting, reload and read again;
never `off` from anything but a control read as off. Credentials are typed only into an element
whose own document is at one of the flow's credential origins, at most once per account per run."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import structlog
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from optout import controls, logs
from optout.credentials import Credential
from optout.flowspec import Flow, Setting, Step, origin_of
from optout.patterns import search_url
from optout.paths import make_private, private_dir, write_private
from optout.pageprobe import (
    body_text,
    count,
    locate,
    matches,
    page_language,
    screenshot_area,
)
from optout.results import Result
from optout.states import State

log = structlog.get_logger()
SetupContext = Callable[[object], Awaitable[None]]


@dataclass
class Account:
    platform: str
    name: str
    credential: Credential | None = None
    session: dict | None = None


@dataclass
class RunOptions:
    mode: Literal["check", "off"] = "check"
    dry_run: bool = False
    #: Opt-in settings to act on by id ("personalization") or "platform:id"; None = the defaults.
    selected: set[str] = field(default_factory=set)
    all_settings: bool = False
    headless: bool = True
    browser_path: str | None = None
    setup_context: SetupContext | None = None
    concurrency: int = 4
    evidence_dir: Path = Path("evidence")
    sessions: object | None = None  # optout.sessions.SessionStore
    find_timeout_s: float = 15.0
    nav_timeout_ms: int = 30000
    setting_timeout_s: float = 120.0
    #: (platform, account, setting) → the last `submitted` history row, so forms go out once.
    prior: Callable[[str, str | None, str], dict | None] | None = None
    #: The optional reason typed into objection forms (default: none).
    form_reason: str = ""


class Outcome(Exception):
    """Ends the work on one account or setting with a state (used for account-wide outcomes)."""

    def __init__(self, state: State, detail: str, evidence: list[Path] | None = None):
        super().__init__(detail)
        self.state, self.detail, self.evidence = state, detail, evidence or []


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@-]+", "_", text)[:80] or "account"


class AccountRun:
    """Everything done in one account's browser context during one run."""

    def __init__(self, flow: Flow, account: Account, options: RunOptions, context):
        self.flow, self.account, self.options, self.context = flow, account, options, context
        self.login_attempted = False
        self.lang = ""
        self.crashed: set[Page] = set()
        self.evidence_problem = ""  # why the current setting's evidence could not be written
        self.account_outcome: Outcome | None = None
        self.signed_in_here = False
        self.inflight = 0
        self.log = log.bind(platform=flow.id, account=account.name)
        context.on("request", self._request_started)
        context.on("requestfinished", self._request_done)
        context.on("requestfailed", self._request_done)

    def _request_started(self, _request) -> None:
        self.inflight += 1

    def _request_done(self, _request) -> None:
        self.inflight = max(0, self.inflight - 1)

    async def settle(self, quiet_s: float = 0.3, limit_s: float = 10.0) -> None:
        """Wait until the page has had no request in flight for a moment (bounded)."""
        deadline = time.monotonic() + limit_s
        quiet_since = None
        while time.monotonic() < deadline:
            if self.inflight == 0:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= quiet_s:
                    return
            else:
                quiet_since = None
            await asyncio.sleep(0.05)

    def watch(self, page: Page) -> Page:
        page.on("crash", lambda _page: self.crashed.add(page))
        return page

    def gone(self, page: Page) -> str | None:
        """Why this page can no longer be read (its tab crashed, the browser died), or None."""
        if page in self.crashed:
            return "the browser tab crashed (out of memory, or a fault in the page)"
        browser = self.context.browser
        if page.is_closed() or (browser is not None and not browser.is_connected()):
            return "the browser closed unexpectedly"
        return None

    def check_alive(self, page: Page) -> None:
        """Raise `error` at once when the page is gone, rather than waiting for it to time out
        as if it were a page that no longer matches its flow (which would be `broken`)."""
        why = self.gone(page)
        if why:
            raise Outcome(State.ERROR, f"{why}; nothing more could be read on this page")

    def evidence_path(self, setting: Setting, what: str, ext: str = "png") -> Path:
        return (
            self.options.evidence_dir / self.flow.id / _slug(self.account.name) / setting.id
            / f"{_stamp()}-{what}.{ext}"
        )

    def evidence_failed(self, exc: Exception, *paths: Path) -> None:
        """Evidence that cannot be written (a full disk, a read-only folder) is noted in the
        result's detail; it never changes what was read. Partly written files are removed."""
        for path in paths:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0]
        self.evidence_problem = logs.scrub(reason)
        self.log.warning("evidence.failed", error=self.evidence_problem)

    def evidence_folder(self, path: Path) -> None:
        """Create the folders down to `path` readable by the owner only: evidence shows account
        pages. Files written there are 0600 (paths.write_private, make_private)."""
        root = self.options.evidence_dir
        if not root.is_dir():
            private_dir(root)
        for part in path.parent.relative_to(root).parts:
            root = root / part
            if not root.is_dir():
                private_dir(root)

    async def screenshot(self, page: Page, setting: Setting, what: str, control=None) -> list[Path]:
        """A screenshot of the setting's area (or of the page, without a control); [] if none."""
        shot = self.evidence_path(setting, what)
        try:
            self.evidence_folder(shot)
            if control is not None:
                taken = await screenshot_area(control, shot)
            else:
                await page.screenshot(path=str(shot))
                taken = shot
            make_private(*([taken] if taken else []))
            return [taken] if taken else []
        except OSError as exc:
            self.evidence_failed(exc, shot)
        except PlaywrightError as exc:
            self.log.warning("evidence.failed", error=logs.scrub(str(exc).splitlines()[0]))
        return []

    async def keep_broken_page(self, page: Page, setting: Setting) -> list[Path]:
        """Screenshot and HTML of a page that did not match the flow, with secrets scrubbed."""
        kept: list[Path] = []
        shot = self.evidence_path(setting, "broken")
        html_path = shot.with_suffix(".html")
        try:
            self.evidence_folder(shot)
            await page.screenshot(path=str(shot), full_page=True)
            kept.append(shot)
            make_private(shot)
            write_private(html_path, logs.scrub(await page.content()).encode("utf-8"))
            kept.append(html_path)
        except OSError as exc:
            self.evidence_failed(exc, *(p for p in (shot, html_path) if p not in kept))
        except PlaywrightError as exc:
            self.log.warning("evidence.failed", error=logs.scrub(str(exc).splitlines()[0]))
        return kept

    # --- navigation and classification ---------------------------------------------------------

    async def open(self, page: Page, url: str) -> None:
        for attempt in range(3):
            try:
                response = await page.goto(url, wait_until="domcontentloaded", timeout=self.options.nav_timeout_ms)
                break
            except PlaywrightError as exc:
                # A client-side redirect still under way from the page before (sign-in pages do
                # this) interrupts our navigation: let it land, then go where we meant to.
                if "interrupted by another navigation" in str(exc) and attempt < 2:
                    try:
                        await page.wait_for_load_state("domcontentloaded", timeout=self.options.nav_timeout_ms)
                    except PlaywrightError:
                        pass
                    continue
                raise Outcome(State.ERROR, describe_load_error(url, exc, self.options.nav_timeout_ms)) from None
        if response is not None and response.status >= 500:
            raise Outcome(State.ERROR, f"{self.flow.name} answered HTTP {response.status} for {url}")

    async def classify(self, page: Page, setting: Setting):
        """Wait for the first recognisable thing on the page; returns (kind, value)."""
        control = setting.control
        deadline = time.monotonic() + self.options.find_timeout_s
        opened = 0  # how many of the setting's `open` clicks were made on this page
        unavailable_seen = False
        while True:
            self.check_alive(page)
            if not self.flow.owns(page.url):
                raise Outcome(State.ERROR, f"{self.flow.name} sent the browser outside its own site, to "
                              f"{origin_of(page.url)}; nothing was read or typed there.")
            text = await body_text(page)
            if await matches(page, self.flow.login.signed_out, text):
                return "signed_out", None
            for challenge in self.flow.login.challenges:
                if await matches(page, challenge.when, text):
                    return "challenge", challenge.kind
            lang = await page_language(page)
            if lang and lang not in self.flow.languages:
                return "language", lang
            if control.kind == "form":
                if await matches(page, control.already_submitted, text):
                    return "submitted", None
                locator = locate(page, control.form)
                found = min(await count(locator), 1)  # a form may show its button twice
                locator = locator.first
            else:
                found, locator = await controls.find(page, control, lang)
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
            if opened < len(setting.open) and await self.reveal(page, setting.open[opened]):
                opened += 1
                continue
            if time.monotonic() >= deadline and not unavailable_seen:  # a sign seen once gets its second look
                return "timeout", None
            await asyncio.sleep(0.25)

    async def reveal(self, page: Page, reveal) -> bool:
        """Click the first of a reveal step's elements that shows exactly once; False if none does yet."""
        for spec in reveal.click:
            target = locate(page, spec)
            if await count(target) == 1:
                try:
                    await target.click(timeout=3000)
                except PlaywrightError:
                    return False  # moving or covered: the next round tries again
                await asyncio.sleep(0.1)
                return True
        return False

    # --- sign-in ------------------------------------------------------------------------------

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
            )
        await handle.fill(value)

    async def run_steps(self, page: Page, steps: list[Step], cred: Credential, *, challenge: bool = False) -> None:
        for i, step in enumerate(steps):
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
        if self.login_attempted:
            raise Outcome(State.NEEDS_LOGIN, f"{name} signed this account out again after a sign-in in this run.")
        self.login_attempted = True
        for secret in (cred.password, cred.totp_secret):
            logs.register_secret(secret)
        self.log.info("login.attempt")
        await self.open(page, self.flow.login.url)
        try:
            await self.run_steps(page, self.flow.login.steps, cred)
            await self.await_signed_in(page, setting, cred)
        except PlaywrightError as exc:
            evidence = await self.keep_broken_page(page, setting)
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
            self.check_alive(page)
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
                raise Outcome(State.NEEDS_HUMAN, self.challenge_detail(challenge.kind, cred, totp_used))
        evidence = await self.keep_broken_page(page, setting)
        raise Outcome(State.BROKEN, f"the {name} sign-in did not finish as the flow expects (no known page).", evidence)

    def challenge_detail(self, kind: str, cred: Credential | None, totp_used: bool) -> str:
        name, pid = self.flow.name, self.flow.id
        if kind == "totp" and totp_used:
            return f"{name} did not accept the verification code from the stored TOTP secret. Sign in yourself: `optout login {pid}`."
        if kind == "totp":
            return (f"{name} asks for a verification code. Store the account's TOTP secret "
                    f"(`optout account add {pid} --totp`) or sign in yourself: `optout login {pid}`.")
        what = {"captcha": "a security check (CAPTCHA)", "checkpoint": "a security checkpoint",
                "app_approval": "approval in its mobile app", "email_code": "a code sent by e-mail"}[kind]
        return f"{name} asks for {what}, which a person must answer. Sign in yourself: `optout login {pid}`."

    async def save_session(self) -> None:
        store = self.options.sessions
        if store is None:
            return
        try:
            state = await self.context.storage_state()
            store.save(self.flow.id, self.account.name, state)
        except Exception as exc:  # a session that cannot be saved costs a sign-in next time, no more
            self.log.warning("session.save_failed", error=logs.scrub(str(exc)))

    # --- one setting --------------------------------------------------------------------------

    def result(self, setting: Setting, state: State, detail: str = "", *, changed=False, evidence=()) -> Result:
        if self.evidence_problem:
            detail = f"{detail}; no screenshot kept: evidence could not be written ({self.evidence_problem})"
        return Result(
            platform=self.flow.id, setting=setting.id, state=state, changed=changed,
            detail=logs.scrub(detail), evidence=list(evidence), account=self.account.name,
            label=setting.label, flow_version=self.flow.version, optional=not self.targets(setting),
        )

    def account_wide(self, outcome: Outcome) -> bool:
        """Whether an outcome ends the account's run, not just one setting's: it needs a sign-in or
        a person, refused a credential, or came while this run's one sign-in attempt failed."""
        return (outcome.state in (State.NEEDS_LOGIN, State.NEEDS_HUMAN) or "credentials into" in outcome.detail
                or (self.login_attempted and not self.signed_in_here))

    def targets(self, setting: Setting) -> bool:
        """Whether the person wants this setting off: every default one; optional ones when asked."""
        if not setting.opt_in or self.options.all_settings:
            return True
        base = setting.id.split("/")[0]
        return bool({setting.id, base, f"{self.flow.id}:{setting.id}", f"{self.flow.id}:{base}"} & self.options.selected)

    def wants_off(self, setting: Setting) -> bool:
        return self.options.mode == "off" and self.targets(setting)

    async def read(self, page: Page, setting: Setting, *, may_login: bool):
        """Open the setting and read it: returns (opted_out, locator) or raises Outcome."""
        await self.open(page, setting.url)
        kind, value = await self.classify(page, setting)
        if kind == "signed_out" and may_login:
            await self.login(page, setting)
            await self.open(page, setting.url)
            kind, value = await self.classify(page, setting)
        name = self.flow.name
        if kind == "signed_out":
            raise Outcome(State.NEEDS_LOGIN, f"{name} shows its sign-in page: the session has ended. "
                          f"Sign in again with `optout login {self.flow.id}`.")
        if kind == "challenge":
            raise Outcome(State.NEEDS_HUMAN, self.challenge_detail(value, None, False))
        if kind == "unavailable":
            return None, None
        if kind == "submitted":
            return True, None
        if kind in ("language", "ambiguous", "timeout"):
            detail = {
                "language": f"the page is in a language this flow does not know ({value!r}); "
                            f"it knows {', '.join(self.flow.languages)}. Nothing was read or changed.",
                "ambiguous": f"{value} controls match the label '{setting.label}': refusing to guess.",
                "timeout": f"the control '{setting.label}' was not found on {page.url} "
                           f"(the page may have changed).",
            }[kind]
            raise Outcome(State.BROKEN, detail, await self.keep_broken_page(page, setting))
        if setting.control.kind == "form":
            return False, value  # offered and not yet sent: training goes on until it is
        opted_out, disabled, why = await controls.read(page, setting.control, value, self.lang)
        if opted_out is None:
            raise Outcome(State.BROKEN, f"'{setting.label}': {why}.", await self.keep_broken_page(page, setting))
        if disabled:  # greyed out (age, plan, region): not this account's to change, whichever way it reads
            raise Outcome(State.UNAVAILABLE, f"{name} shows this setting {'off' if opted_out else 'on'} but does not "
                          "let this account change it.")
        return opted_out, value

    async def run_setting(self, page: Page, setting: Setting) -> Result:
        if self.account_outcome:
            o = self.account_outcome
            return self.result(setting, o.state, o.detail, evidence=o.evidence)
        if setting.control.kind == "form":
            return await self.run_form(page, setting)
        try:
            opted_out, control = await self.read(page, setting, may_login=not self.login_attempted)
        except Outcome as outcome:
            if self.account_wide(outcome):
                self.account_outcome = outcome
            return self.result(setting, outcome.state, outcome.detail, evidence=outcome.evidence)
        if control is None:
            return self.result(setting, State.UNAVAILABLE, f"{self.flow.name} does not offer this setting to this account.")
        evidence = await self.screenshot(page, setting, "before", control)
        if opted_out:
            return self.result(setting, State.OFF, "read as off", evidence=evidence)
        if not self.wants_off(setting):
            return self.result(setting, State.ON, "read as on", evidence=evidence)
        if self.options.dry_run:
            return self.result(setting, State.ON, "read as on; would switch it off (dry run)", evidence=evidence)
        return await self.switch_off(page, setting, control, evidence)

    async def run_form(self, page: Page, setting: Setting) -> Result:
        """Objection forms: `submitted` once sent (history or the page says so), never sent twice."""
        prior = self.options.prior(self.flow.id, self.account.name, setting.id) if self.options.prior else None
        if prior:
            return self.result(setting, State.SUBMITTED, f"objection sent on {prior['at'][:10]} (from history)",
                               evidence=[Path(p) for p in prior.get("evidence", [])])
        try:
            submitted, form = await self.read(page, setting, may_login=not self.login_attempted)
        except Outcome as outcome:
            if self.account_wide(outcome):
                self.account_outcome = outcome
            return self.result(setting, outcome.state, outcome.detail, evidence=outcome.evidence)
        if submitted:
            return self.result(setting, State.SUBMITTED, f"{self.flow.name} shows that an objection was already sent")
        if form is None:
            return self.result(setting, State.UNAVAILABLE, f"{self.flow.name} does not offer this form to this account "
                               "(it exists only in some regions).")
        if not self.wants_off(setting):
            return self.result(setting, State.ON, "no objection sent yet")
        if self.options.dry_run:
            return self.result(setting, State.ON, "no objection sent yet; would send it (dry run)")
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
                                  await self.keep_broken_page(page, setting))
                value = self.options.form_reason if field_.fill == "reason" else self.account.name
                if field_.fill == "email" and "@" not in value:
                    value = ""  # a session-only account's name ("assisted", "default") is no address
                if value and not await target.input_value():
                    await target.fill(value)
            await locate(page, control.submit).first.click(timeout=10000)
            return await self.await_confirmation(page, setting, failed)
        except Outcome as outcome:
            return self.result(setting, outcome.state, outcome.detail, evidence=outcome.evidence)
        except PlaywrightError as exc:
            kept = await self.keep_broken_page(page, setting)
            return self.result(setting, State.BROKEN, f"could not send the form: {logs.scrub(str(exc).splitlines()[0])}",
                               evidence=kept)
        finally:
            page.remove_listener("response", on_response)

    async def await_confirmation(self, page: Page, setting: Setting, failed: list[int]) -> Result:
        """After a form was sent: `submitted` only once the page confirms it; a server error
        answering the submission ends the wait early as `error` (nothing is recorded as sent)."""
        control = setting.control
        deadline = time.monotonic() + self.options.find_timeout_s
        while time.monotonic() < deadline:
            if failed:
                await self.settle()
            if await matches(page, control.confirmation):
                shots = await self.screenshot(page, setting, "confirmation")
                today = datetime.now(timezone.utc).date().isoformat()
                return self.result(setting, State.SUBMITTED,
                                   f"objection sent on {today}" + ("; confirmation kept" if shots else ""),
                                   changed=True, evidence=shots)
            if failed:
                kept = await self.keep_broken_page(page, setting)
                return self.result(
                    setting, State.ERROR,
                    f"{self.flow.name} answered HTTP {failed[0]} when the form was sent, so the objection was "
                    "probably not received. Nothing is recorded as sent: the next `optout off` tries again.",
                    evidence=kept,
                )
            await asyncio.sleep(0.25)
        kept = await self.keep_broken_page(page, setting)
        return self.result(setting, State.BROKEN, "the form was sent but no confirmation appeared: "
                           "check your e-mail and the platform before trying again", evidence=kept)

    async def switch_off(self, page: Page, setting: Setting, control, evidence: list[Path]) -> Result:
        name = self.flow.name
        self.log.info("setting.switch", setting=setting.id)
        try:
            await controls.switch_off(page, setting.control, control, self.lang)
        except PlaywrightError as exc:
            kept = await self.keep_broken_page(page, setting)
            return self.result(setting, State.BROKEN, f"could not click '{setting.label}': "
                               f"{logs.scrub(str(exc).splitlines()[0])}", evidence=evidence + kept)
        await asyncio.sleep(0.1)
        await self.settle()
        try:
            opted_out, control = await self.read(page, setting, may_login=False)
        except Outcome as outcome:
            detail = f"after switching off and reloading: {outcome.detail}"
            return self.result(setting, outcome.state, detail, evidence=evidence + outcome.evidence)
        if control is None:
            return self.result(setting, State.UNAVAILABLE, f"after switching off and reloading, {name} no longer offers this setting.", evidence=evidence)
        evidence = evidence + await self.screenshot(page, setting, "after", control)
        if opted_out:
            return self.result(setting, State.OFF, "switched off; read as off after a reload", changed=True, evidence=evidence)
        return self.result(
            setting, State.ON,
            f"switched off, but after a reload {name} shows it on again: the change did not stick "
            "(the save may have failed). Try again later.",
            evidence=evidence,
        )

    async def items(self, page: Page, setting: Setting) -> list[Setting] | Result:
        """One Setting per item the account owns (publications, blogs), read from the list page."""
        spec = setting.items
        try:
            await self.open(page, spec.url)
            deadline = time.monotonic() + self.options.find_timeout_s
            while True:
                if not self.flow.owns(page.url):
                    raise Outcome(State.ERROR, f"{self.flow.name} sent the browser outside its own site, to "
                                  f"{origin_of(page.url)}; nothing was read or typed there.")
                text = await body_text(page)
                if await matches(page, self.flow.login.signed_out, text):
                    if self.login_attempted:
                        raise Outcome(State.NEEDS_LOGIN, f"{self.flow.name} shows its sign-in page. "
                                      f"Sign in again with `optout login {self.flow.id}`.")
                    await self.login(page, setting)
                    await self.open(page, spec.url)
                    continue
                for challenge in self.flow.login.challenges:
                    if await matches(page, challenge.when, text):
                        raise Outcome(State.NEEDS_HUMAN, self.challenge_detail(challenge.kind, None, False))
                hrefs = [await link.get_attribute("href") or "" for link in await locate(page, spec.link).all()]
                ids = sorted({m.group(1) for h in hrefs if (m := search_url(spec.pattern, h))})
                if ids:
                    break
                if await matches(page, spec.empty, text):
                    return self.result(setting, State.UNAVAILABLE, f"this account has no {spec.noun}s")
                if time.monotonic() >= deadline:
                    raise Outcome(State.BROKEN, f"could not find the account's {spec.noun}s on {page.url}",
                                  await self.keep_broken_page(page, setting))
                await asyncio.sleep(0.25)
        except Outcome as outcome:
            if self.account_wide(outcome):
                self.account_outcome = outcome
            return self.result(setting, outcome.state, outcome.detail, evidence=outcome.evidence)
        return [
            setting.model_copy(update={"id": f"{setting.id}/{item}", "label": f"{setting.label} ({item})",
                                       "url": setting.url.replace("{item}", item), "items": None})
            for item in ids
        ]

    async def run(self, settings: list[Setting]) -> list[Result]:
        page = self.watch(await self.context.new_page())
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
            if page in self.crashed:  # a crashed tab ends its setting only: the next one gets a new tab
                try:
                    page = self.watch(await self.context.new_page())
                except PlaywrightError:
                    pass
            self.evidence_problem = ""
            try:
                result = await asyncio.wait_for(self.run_setting(page, setting), self.options.setting_timeout_s)
            except asyncio.TimeoutError:
                result = self.result(setting, State.ERROR, f"timed out after {self.options.setting_timeout_s:.0f} s")
            except PlaywrightError as exc:
                result = self.result(setting, State.ERROR, describe_browser_error(exc))
            except Exception as exc:  # a fault in optout ends this setting, never the whole run
                self.log.error("setting.failed", setting=setting.id, error=logs.scrub(f"{type(exc).__name__}: {exc}"))
                result = self.result(setting, State.ERROR, f"optout failed on this setting ({type(exc).__name__}: "
                                     f"{str(exc).splitlines()[0] if str(exc) else ''}); please report it")
            results.append(result)
            self.log.info("setting.result", setting=setting.id, state=str(result.state), changed=result.changed)
        if self.account.session is not None and not self.signed_in_here and not self.account_outcome:
            await self.save_session()  # keep refreshed cookies
        return results


#: Chromium's network errors, in words a person can act on.
_NET_ERRORS = {
    "ERR_INTERNET_DISCONNECTED": "no network connection",
    "ERR_NAME_NOT_RESOLVED": "the name {host} could not be resolved (DNS)",
    "ERR_NAME_RESOLUTION_FAILED": "the name {host} could not be resolved (DNS)",
    "ERR_CONNECTION_REFUSED": "{host} refused the connection",
    "ERR_CONNECTION_RESET": "the connection to {host} was reset",
    "ERR_CONNECTION_CLOSED": "{host} closed the connection",
    "ERR_CONNECTION_TIMED_OUT": "the connection to {host} timed out",
    "ERR_TIMED_OUT": "the connection to {host} timed out",
    "ERR_ADDRESS_UNREACHABLE": "{host} cannot be reached from this network",
    "ERR_PROXY_CONNECTION_FAILED": "the proxy did not answer",
    "ERR_CERT_": "the certificate of {host} is not valid",
    "ERR_SSL_": "a secure connection to {host} could not be made",
}


def describe_load_error(url: str, exc: Exception, timeout_ms: int) -> str:
    """Why a page did not load, in plain words, with Chromium's own code kept for searching."""
    from urllib.parse import urlsplit

    text = logs.scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    host = urlsplit(url).hostname or url
    code = re.search(r"net::(ERR_[A-Z_]+)", text)
    if code:
        words = next((w for k, w in _NET_ERRORS.items() if code.group(1).startswith(k)), None)
        why = f"{words.format(host=host)} ({code.group(1)})" if words else code.group(1)
    elif "Timeout" in text:
        why = f"no answer within {timeout_ms / 1000:g} s"
    elif "crash" in text.lower():
        why = "the browser tab crashed"
    elif "closed" in text:
        why = "the browser closed unexpectedly"
    else:
        why = text
    return f"could not load {url}: {why}"


def describe_browser_error(exc: Exception) -> str:
    text = logs.scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    if "closed" in text or "crash" in text.lower():
        return f"the browser closed unexpectedly ({text})"
    return f"browser error: {text}"


def guide_results(flow: Flow) -> list[Result]:
    """Platforms with nothing to automate: the guide's state, its summary as the detail."""
    return [Result(platform=flow.id, setting="guide", state=State(flow.guide.state), detail=flow.guide.summary,
                   label=f"{flow.name}: what to do", flow_version=flow.version)]


def no_account_results(flow: Flow) -> list[Result]:
    detail = (f"no {flow.name} account is set up. Add one with `optout account add {flow.id}` "
              f"or sign in yourself with `optout login {flow.id}`.")
    if not flow.login.steps:
        detail = f"no {flow.name} account is set up. Sign in yourself with `optout login {flow.id}`."
    return [
        Result(platform=flow.id, setting=s.id, state=State.NEEDS_LOGIN, detail=detail,
               label=s.label, flow_version=flow.version)
        for s in flow.settings
    ]


async def run(jobs: list[tuple[Flow, list[Account]]], options: RunOptions,
              on_result: Callable[[Result], None] | None = None) -> list[Result]:
    """Run every (flow, accounts) job in one browser; a failure in one never stops the others."""
    from playwright.async_api import async_playwright

    from optout import browser as browser_mod

    results: list[Result] = []
    work = [(flow, account) for flow, accounts in jobs if flow.guide is None for account in accounts]
    for flow, accounts in jobs:
        if flow.guide is not None:
            for r in guide_results(flow):
                results.append(r)
                on_result and on_result(r)
        elif not accounts:
            for r in no_account_results(flow):
                results.append(r)
                on_result and on_result(r)
    if not work:
        return results
    choice = browser_mod.find_browser(options.browser_path)
    semaphore = asyncio.Semaphore(max(1, options.concurrency))
    async with async_playwright() as playwright:
        browser = await browser_mod.launch(playwright, choice, headless=options.headless)
        relaunch = asyncio.Lock()

        async def live_browser():
            """The run's browser; if it died (crashed, killed), a new one for the accounts still to
            come. Accounts that were in it when it died are `error`, and are not retried."""
            nonlocal browser
            async with relaunch:
                if not browser.is_connected():
                    log.warning("browser.relaunch")
                    browser = await browser_mod.launch(playwright, choice, headless=options.headless)
            return browser

        async def one(flow: Flow, account: Account) -> list[Result]:
            async with semaphore:
                try:
                    context = await (await live_browser()).new_context(
                        storage_state=account.session, locale="en-US",
                        viewport={"width": 1280, "height": 900},
                    )
                    try:
                        if options.setup_context:
                            await options.setup_context(context)
                        out = await AccountRun(flow, account, options, context).run(flow.settings)
                    finally:
                        try:
                            await context.close()
                        except PlaywrightError:
                            pass
                except Exception as exc:  # the browser died, or could not be started again
                    if isinstance(exc, PlaywrightError):
                        detail = describe_browser_error(exc)
                    else:
                        detail = f"could not run: {logs.scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)}"
                    out = [Result(platform=flow.id, setting=s.id, state=State.ERROR, detail=detail,
                                  account=account.name, label=s.label, flow_version=flow.version)
                           for s in flow.settings]
                for r in out:
                    on_result and on_result(r)
                return out

        gathered = await asyncio.gather(*(one(f, a) for f, a in work))
        try:
            await browser.close()
        except PlaywrightError:
            pass
    for out in gathered:
        results.extend(out)
    return results
