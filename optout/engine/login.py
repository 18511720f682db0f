"""Signing in: optout's one automated attempt per account and run (typing a stored credential only
into the flow's own sign-in origins, answering a TOTP challenge), and waiting while a person signs
in themselves (`optout login`, and assisted sessions)."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import structlog
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from optout import logs
from optout.credentials import Credential
from optout.engine.challenges import asked_words, asks, challenge_on
from optout.engine.evidence import Evidence
from optout.engine.options import Account, Outcome, RunOptions, RunState
from optout.engine.pageprobe import body_text, count, locate, matches
from optout.engine.tab import Patience, Tabs
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
    return asks(flow, kind)


def held_detail(flow: Flow, hold: dict) -> str:
    """Why no password was typed: the hold put on the account (optout.holds)."""
    why = re.sub(r"^asks ", "asked ", hold.get("why", "refused the sign-in"))
    return (f"optout did not type the {flow.name} password: when it last did ({hold.get('since', '')[:10]}), "
            f"{flow.name} {why}, and each new automated attempt makes a lock of "
            f"the account likelier. Sign in yourself with `optout login {flow.id}` (or store a new "
            f"password with `optout account add {flow.id}`).")


KIND_WORDS = {"email": "e-mail address", "phone": "phone number", "username": "username"}


def kind_of_name(name: str) -> str:
    """What a stored account name is: "email", "phone" (digits, with + ( ) - . and spaces) or
    "username" (anything else)."""
    name = name.strip()
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", name):
        return "email"
    if re.fullmatch(r"\+?[\d\s().-]+", name) and sum(c.isdigit() for c in name) >= 6:
        return "phone"
    return "username"


#: Focus the field; if it is then its document's focused element, set its value the way a person's
#: typing does (the native setter, so frameworks see the change, then input and change events) and
#: say "ok"; else name what took the focus, and set nothing.
SET_VALUE_JS = """(el, value) => {
  const doc = el.ownerDocument;
  const took = () => {
    const a = doc.activeElement;
    if (!a || a === doc.body) return 'nothing';
    const tag = a.tagName.toLowerCase();
    if ((tag === 'iframe' || tag === 'frame') && a.src) {
      try { return 'a frame from ' + new URL(a.src, doc.baseURI).origin; } catch (e) { return 'a frame'; }
    }
    return 'another element (' + tag + ')';
  };
  el.focus();
  if (doc.activeElement !== el) return took();
  const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
  el.dispatchEvent(new InputEvent('input', {bubbles: true, inputType: 'insertText', data: value}));
  el.dispatchEvent(new Event('change', {bubbles: true}));
  return 'ok';
}"""

#: What a page shows while an answer is on its way.
BUSY = "[role=progressbar]:visible, [aria-busy=true]:visible"


async def page_state(page: Page) -> tuple[str, str]:
    return page.url, await body_text(page)


async def answers(page: Page, before: tuple[str, str], busy_before: int) -> bool:
    """Whether the page, as it is now, has answered an action taken when it was `before`: it
    navigated or its text changed, and it is no longer busy (a progress bar or aria-busy beyond
    the `busy_before` shown then means the answer is still coming)."""
    return await page_state(page) != before and await count(page.locator(BUSY)) <= busy_before


class SignIn:
    """The one automated sign-in an account gets in a run, and keeping its session."""

    def __init__(self, flow: Flow, account: Account, options: RunOptions, tabs: Tabs, evidence: Evidence, log,
                 state: RunState | None = None):
        self.flow, self.account, self.options, self.tabs, self.evidence = flow, account, options, tabs, evidence
        self.state = state if state is not None else RunState()
        self.log = log
        self.attempted = False
        self.cleared = False  # an attended run showed the person a check before the site's pages
        self.signed_in_here = False
        self.setting: Setting | None = None  # the setting whose page the sign-in began on
        #: The page as it was before the last click of a sign-in step ((url, text), busy count),
        #: until the page answers it: a page that has not answered is never read as settled.
        self.unanswered: tuple[tuple[str, str], int] | None = None

    async def fill(self, page: Page, step: Step, value: str) -> None:
        field = locate(page, step.into).first
        await field.wait_for(state="visible", timeout=self.flow.login.timeout_ms)
        handle = await field.element_handle(timeout=self.flow.login.timeout_ms)
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
        # No keystrokes: keys go wherever the focus is, and a page script can move it (into a
        # foreign frame) the moment the field is focused. The value is set on the element itself,
        # only while the element is the focused element of its own document.
        # Each value goes only into the kind of field made for it (the password into a password
        # input, the username into a text, e-mail or telephone one, a code into a code field):
        # never a post box, a search field or a comment. Checked and set in one step, so the page
        # cannot change the field's type in between.
        kinds = {"password": ["password"], "username": ["text", "email", "tel"],
                 "totp": ["text", "tel", "number", "password"]}[step.fill]
        if step.fill == "password":  # before typing: what the site shows from now on may echo it
            self.evidence.password_typed = True
        where = await handle.evaluate(
            "(el, [value, kinds]) => (el instanceof el.ownerDocument.defaultView.HTMLInputElement && kinds.includes(el.type))"
            f" ? ({SET_VALUE_JS})(el, value) : 'wrong field'", [value, kinds])
        if where == "wrong field":
            raise Outcome(
                State.ERROR,
                f"refused to type the {self.flow.name} {step.fill}: the flow's field for it is not "
                f"{' or '.join(f'an input of type {k}' for k in kinds)} on the sign-in page (a flow that "
                f"types it elsewhere, into a post box say, could publish it). Nothing was typed; check "
                f"the flow's login steps, or sign in yourself with `optout login {self.flow.id}`.",
                account_wide=True,
            )
        if where != "ok":
            raise Outcome(
                State.ERROR,
                f"refused to type {self.flow.name} credentials: the sign-in page moved the keyboard focus away "
                f"from the field as it was about to be typed (to {where}); a page tried to take the password. "
                f"Nothing was typed. Sign in yourself with `optout login {self.flow.id}` if you trust the page.",
                account_wide=True,
            )

    async def run_steps(self, page: Page, steps: list[Step], cred: Credential, *, challenge: bool = False) -> None:
        for i, step in enumerate(steps):
            await self.tabs.clear_consent(page)  # nothing is typed or clicked under a consent dialog
            if step.optional:
                end = next((j for j in range(i + 1, len(steps)) if not steps[j].optional), len(steps) - 1)
                shows = await self.optional_step_shows(page, step, steps[i + 1:end + 1], challenge=challenge)
                if shows is None:
                    return  # the sign-in already ended one way or another: await_signed_in reads how
                if not shows:
                    continue
            elif not await self.required_step_shows(page, step, challenge=challenge):
                return  # a challenge, a failure or the signed-in page came instead: await_signed_in reads it
            if step.fill == "username":
                self.may_answer(step, cred.username)
                await self.fill(page, step, cred.username)
            elif step.fill == "password":
                await self.fill(page, step, cred.password)
            elif step.fill == "totp":
                await self.fill(page, step, cred.totp_code() or "")
            elif i == len(steps) - 1:  # the submission: nothing is decided before the page answers it
                before = await page_state(page), await count(page.locator(BUSY))
                await locate(page, step.into).first.click(timeout=self.flow.login.timeout_ms)
                if not await self.answered(page, *before):
                    raise Outcome(State.BROKEN, f"the {self.flow.name} sign-in page did not answer "
                                  f"after {self.flow.login.timeout_ms // 1000} s (no new page, no message).",
                                  await self.evidence.keep_broken_page(page, self.setting))
            else:
                self.unanswered = await page_state(page), await count(page.locator(BUSY))
                await locate(page, step.into).first.click(timeout=self.flow.login.timeout_ms)

    async def answered(self, page: Page, before: tuple[str, str], busy_before: int) -> bool:
        """Whether the page answered a submission: it navigated, or its text changed and it is
        no longer busy (a progress bar or aria-busy beyond those shown before means the answer
        is still coming)."""
        deadline = time.monotonic() + self.flow.login.timeout_ms / 1000
        while time.monotonic() < deadline:
            self.tabs.check_alive(page)
            if await answers(page, before, busy_before):
                return True
            await asyncio.sleep(0.1)
        return False

    async def watch(self, page: Page, look, *, pause_s: float = 0.1):
        """Look at the page until `look()` gives a verdict (anything but None) and return it with
        "". Without one, return None and why: "settled" once the page has answered the last click
        and settled (no request in flight, no change for a moment, its load behind it: what is
        still not there is not coming), else "loading" or "unanswered" when `login.timeout_ms` of
        waiting, only the ceiling, has passed."""
        patience = Patience(self.flow.login.timeout_ms / 1000, pause_s=pause_s)
        while True:
            self.tabs.check_alive(page)
            verdict = await look()
            if verdict is not None:
                self.unanswered = None
                return verdict, ""
            if self.unanswered is not None and await answers(page, *self.unanswered):
                self.unanswered = None
            if self.unanswered is None and await self.tabs.settled(page):
                return None, "settled"
            if patience.over:
                return None, "loading" if self.unanswered is None else "unanswered"
            await patience.pause()

    def waited(self, why: str) -> str:
        """Words for how a wait without a verdict ended (see `watch`)."""
        return {"settled": "once it had finished loading",
                "loading": f"after {self.flow.login.timeout_ms // 1000} s, while it was still loading",
                "unanswered": f"{self.flow.login.timeout_ms // 1000} s after the previous step, "
                              "which it did not answer"}[why]

    def may_answer(self, step: Step, username: str) -> None:
        """A step that asks for one kind of name gets the stored username only if it is of that
        kind (never the password, never a guess): else a person must answer, at once."""
        if not step.accepts or kind_of_name(username) in step.accepts:
            return
        asked = " or ".join(KIND_WORDS[k] for k in step.accepts)
        raise Outcome(
            State.NEEDS_HUMAN,
            f"{self.flow.name} asks for the account's {asked} to confirm it is you, and the stored account name "
            f"is not one ({KIND_WORDS[kind_of_name(username)]}); optout typed nothing. Sign in yourself: "
            f"`optout login {self.flow.id}`.",
            asked=f"asks for the account's {asked}",
        )

    async def ended(self, page: Page, text: str, *, challenge: bool) -> bool:
        """Whether the page shows an end of the sign-in: signed in, a failure, or (except while a
        challenge's own steps run) a challenge, declared or the engine's."""
        login = self.flow.login
        for signal in (login.signed_in, login.failure):
            if await matches(page, signal, text):
                return True
        return not challenge and await challenge_on(page, self.flow, text) is not None

    async def required_step_shows(self, page: Page, step: Step, *, challenge: bool) -> bool:
        """Wait for a required step's element; False when the page shows an end of the sign-in
        first (a challenge between steps, a failure, signed in). Raises the browser's error (the
        page did not match the flow) when neither shows once the page has settled, or by the
        ceiling."""
        async def look() -> bool | None:
            if await count(locate(page, step.into)):
                return True
            return False if await self.ended(page, await body_text(page), challenge=challenge) else None

        shows, why = await self.watch(page, look)
        if shows is not None:
            return shows
        where = step.into.css or f"{step.into.role} {'/'.join(step.into.name)}".strip()
        raise PlaywrightError(f"no {where} on the page {self.waited(why)}")

    async def optional_step_shows(self, page: Page, step: Step, later: list[Step], *, challenge: bool) -> bool | None:
        """Wait for an optional step (an interstitial only some sign-ins show) until the page has
        settled. True: its element shows (and its `when` matches); False: a later step up to the
        next required one shows first (an optional one with its `when`: another variant of the
        interstitial), or none of them once the page has settled (or by the ceiling); None: the
        page shows an end of the sign-in (signed in, failure, or a challenge)."""
        async def look() -> str | None:
            await self.tabs.clear_consent(page)
            text = await body_text(page)
            if await count(locate(page, step.into)) and (step.when is None or await matches(page, step.when, text)):
                return "shows"
            for other in later:
                if await count(locate(page, other.into)) and (other.when is None or await matches(page, other.when, text)):
                    return "later"
            return "end" if await self.ended(page, text, challenge=challenge) else None

        verdict, _ = await self.watch(page, look)
        return {"shows": True, "later": False, "end": None, None: False}[verdict]

    async def login(self, page: Page, setting: Setting) -> None:
        """The account's one sign-in in this run. Attended: in a visible window, where the person
        answers what only they can (a challenge, a refused password) and the run goes on.
        Otherwise one automated attempt; raises Outcome on failure, and a failure only a person
        can answer holds the password back from later runs (optout.holds)."""
        name, cred, pid = self.flow.name, self.account.credential, self.flow.id
        if self.options.connect is not None:  # the person's own browser: nothing is typed there
            raise Outcome(State.NEEDS_LOGIN, f"{name} shows its sign-in page in your browser: sign in to "
                          f"{name} in your browser, then run again.")
        if self.attempted:
            raise Outcome(State.NEEDS_LOGIN, f"{name} signed this account out again after a sign-in in this run.")
        holds = self.options.holds
        hold = holds.get(pid, self.account.name) if holds is not None else None
        if self.options.attended:
            self.attempted = True
            typing = bool(self.flow.login.steps) and cred is not None and hold is None
            await self.with_person(page, setting, cred if typing and self.first_attempt() else None, hold)
            return
        if not self.flow.login.steps:  # no password sign-in declared (e-mail link, single sign-on)
            raise Outcome(
                State.NEEDS_LOGIN,
                f"{name} asks to sign in ({self.why_signed_out()}), and optout does not sign "
                f"in to {name} by itself. Sign in yourself with `optout login {pid}`; optout "
                "keeps that session for later runs.",
            )
        if cred is None:
            if self.account.session is not None:
                raise Outcome(State.NEEDS_LOGIN, f"{name} ended the saved session (it shows its sign-in page) "
                              f"and no password is stored. Sign in yourself with `optout login {pid}`.")
            raise Outcome(
                State.NEEDS_LOGIN,
                f"no saved {name} session and no stored password. Run `optout account add "
                f"{pid}` or sign in yourself with `optout login {pid}`.",
            )
        if hold is not None:
            raise Outcome(State(hold.get("state", "needs_login")), held_detail(self.flow, hold))
        self.attempted = True
        if not self.first_attempt():
            raise Outcome(State.NEEDS_LOGIN, f"optout already tried to sign in to this {name} account in this run "
                          f"(one attempt per account, so it is never locked out). Run `optout check {pid}` "
                          f"again later, or sign in yourself with `optout login {pid}`.")
        await self.tabs.open(page, self.flow.login.url)
        try:
            await self.attempt(page, setting, cred)
        except Outcome as outcome:
            self.hold_back(outcome)
            raise
        self.signed_in_here = True
        self.log.info("login.ok")
        await self.save_session()

    def why_signed_out(self) -> str:
        return "it ended the saved session" if self.account.session is not None else "no saved session"

    def first_attempt(self) -> bool:
        """Whether this is the run's first automated attempt for this account (and count it)."""
        key = (self.flow.id, self.account.name.casefold())
        if key in self.state.sign_ins:
            return False
        self.state.sign_ins.add(key)
        return True

    def hold_back(self, outcome: Outcome) -> None:
        """After a failure only a person can answer, no run types this password again until they
        have signed in or stored a new one."""
        if outcome.asked and self.options.holds is not None:
            self.options.holds.put(self.flow.id, self.account.name, outcome.asked, str(outcome.state))
            self.log.info("login.held", why=outcome.asked)

    async def attempt(self, page: Page, setting: Setting, cred: Credential) -> None:
        """Type the stored credential into the sign-in page open on `page` and read how it ended."""
        for secret in (cred.password, cred.totp_secret):
            logs.register_secret(secret)
        self.setting = setting
        self.log.info("login.attempt")
        try:
            await self.run_steps(page, self.flow.login.steps, cred)
            await self.await_signed_in(page, setting, cred)
        except PlaywrightError as exc:
            if self.tabs.consent is not None and self.tabs.consent.blocked:
                raise self.tabs.consent.outcome(self.tabs.consent.blocked) from None
            evidence = await self.evidence.keep_broken_page(page, setting)
            raise Outcome(
                State.BROKEN,
                f"the {self.flow.name} sign-in page did not match the flow: {logs.scrub(str(exc).splitlines()[0])}",
                evidence,
            ) from None

    async def with_person(self, page: Page, setting: Setting, cred: Credential | None, hold: dict | None) -> None:
        """Attended sign-in. In a visible window (the run's own when it is visible, else one
        opened for this, with the account's identity) optout types the stored password once, if it
        may; whatever only a person can answer (a challenge, a refused password, no password at
        all) is left to them there while optout waits; once the platform shows them signed in,
        the session goes back to the run, which goes on."""
        name, pid, options = self.flow.name, self.flow.id, self.options
        run_tabs = self.tabs
        if options.headless:
            context = await self.open_window()
            self.tabs = Tabs(context, name, options.nav_timeout_ms, run_tabs.consent)
            page = await self.tabs.new_page()
        else:
            context = run_tabs.context
        try:
            await self.tabs.open(page, self.flow.login.url)
            asked = ""
            if cred is not None:
                try:
                    await self.attempt(page, setting, cred)
                except Outcome as outcome:
                    if not outcome.asked:
                        raise
                    asked = outcome.asked
            if cred is None or asked:
                await self.await_person(context, page, asked, hold)
            state = await context.storage_state()
            if context is not run_tabs.context:
                await run_tabs.context.add_cookies(state["cookies"])
        finally:
            self.tabs = run_tabs
            if context is not run_tabs.context:
                from optout.browser import close_quietly

                await close_quietly(context)
        self.signed_in_here = True
        if options.holds is not None:
            options.holds.clear(pid, self.account.name)
        self.log.info("login.ok", by="person" if cred is None or asked else "optout")
        await self.save_session()

    async def clear_challenge(self, page: Page, setting: Setting, kind: str) -> None:
        """Attended: a check the site shows before its pages (Cloudflare's, say), signed in or
        not, is shown to the person in a window holding the run's cookies and identity; once it is
        gone, what they cleared goes back to the run. Once per account and run."""
        name, pid = self.flow.name, self.flow.id
        if self.cleared or not self.options.attended:
            raise Outcome(State.NEEDS_HUMAN, challenge_detail(self.flow, kind, None, False))
        self.cleared = True
        run_context = self.tabs.context
        own = self.options.headless
        context = await self.open_window(await run_context.storage_state()) if own else run_context
        try:
            window = await context.new_page() if own else page
            await window.goto(setting.url, wait_until="domcontentloaded", timeout=self.options.nav_timeout_ms)
            self.say(f"{name} {asked_words(kind)}. Answer it in the browser window optout opened; optout "
                     f"waits up to {self.options.person_wait_s / 60:.0f} min, then goes on.")
            if self.options.on_window is not None:
                await self.options.on_window(window)
            deadline = time.monotonic() + self.options.person_wait_s
            clear_since = None
            while time.monotonic() < deadline:
                if window.is_closed():
                    break
                if await challenge_on(window, self.flow) is None and self.flow.owns(window.url):
                    clear_since = clear_since or time.monotonic()
                    if time.monotonic() - clear_since >= 1.0:  # gone, not between two of its pages
                        if own:
                            await run_context.add_cookies((await context.storage_state())["cookies"])
                        return
                else:
                    clear_since = None
                await asyncio.sleep(0.5)
        finally:
            if own:
                from optout.browser import close_quietly

                await close_quietly(context)
        raise Outcome(State.NEEDS_HUMAN, f"{name} {asked_words(kind)}, and it was not answered in the window. "
                      f"Run again at the computer, or sign in yourself with `optout login {pid}`.")

    async def open_window(self, storage: dict | None = None):
        """A context in a visible browser window, with the account's identity."""
        from optout.errors import OptoutError

        name, pid = self.flow.name, self.flow.id
        if self.state.window is None:
            raise Outcome(State.NEEDS_HUMAN, f"{name} needs you to sign in, and this run cannot open a window. "
                          f"Sign in yourself with `optout login {pid}`.")
        try:
            return await self.state.window(self.account.identity, storage)
        except OptoutError as exc:
            raise Outcome(State.NEEDS_HUMAN, f"{name} needs you to sign in, and no browser window could be "
                          f"opened ({exc.message}). Sign in yourself with `optout login {pid}`.") from None

    async def await_person(self, context, page: Page, asked: str, hold: dict | None) -> None:
        """Say what the page asks and wait until the person has answered it and is signed in."""
        name, pid, wait_s = self.flow.name, self.flow.id, self.options.person_wait_s
        if asked:
            what = f"{name} {asked}. Answer it in the browser window optout opened"
        elif hold is not None:
            what = (f"optout holds back the stored {name} password ({name} {hold.get('why', '')} on "
                    f"{hold.get('since', '')[:10]}). Sign in yourself in the browser window optout opened")
        else:
            what = f"Sign in to {name} in the browser window optout opened"
        self.say(f"{what}; optout waits up to {wait_s / 60:.0f} min, then goes on.")
        if self.options.on_window is not None:
            await self.options.on_window(page)
        how = await wait_for_person(context, self.flow, wait_s)
        if how == "signed_in":
            return
        if asked:
            self.hold_back(Outcome(State.NEEDS_HUMAN, "", asked=asked))
        why = ("the window was closed" if how == "closed"
               else f"the sign-in was not finished within {wait_s / 60:.0f} min")
        raise Outcome(State.NEEDS_HUMAN, f"{name} {asked or 'needs you to sign in'}, and {why}. Run again at "
                      f"the computer, or sign in yourself with `optout login {pid}`.")

    def say(self, message: str) -> None:
        self.log.info("login.waiting_for_person")
        if self.options.tell is not None:
            self.options.tell(message)

    async def await_signed_in(self, page: Page, setting: Setting, cred: Credential) -> None:
        """Read how the sign-in ended: signed in (returns), refused, a challenge (a TOTP one is
        answered once), or, once the page has settled showing none of them, broken."""
        login, name = self.flow.login, self.flow.name
        totp_used = False

        async def look() -> bool | None:
            nonlocal totp_used
            await self.tabs.clear_consent(page)
            text = await body_text(page)
            if await matches(page, login.signed_in, text):
                return True
            if await matches(page, login.failure, text):
                raise Outcome(
                    State.NEEDS_LOGIN,
                    f"{name} did not accept the stored username and password (one attempt was made, "
                    f"so the account is not locked out). Check them with `optout account add {self.flow.id}`, "
                    f"or sign in yourself with `optout login {self.flow.id}`.",
                    asked="did not accept the stored password",
                )
            challenge = await challenge_on(page, self.flow, text)
            if challenge is None:
                return None
            if challenge.kind == "totp" and cred.totp_secret and not totp_used:
                totp_used = True
                await self.run_steps(page, challenge.steps, cred, challenge=True)
                return None
            raise Outcome(State.NEEDS_HUMAN, challenge_detail(self.flow, challenge.kind, cred, totp_used),
                          asked=asked_words(challenge.kind))

        signed_in, why = await self.watch(page, look, pause_s=0.25)
        if signed_in:
            return
        evidence = await self.evidence.keep_broken_page(page, setting)
        raise Outcome(State.BROKEN, f"the {name} sign-in did not finish as the flow expects (no known page "
                      f"{self.waited(why)}).", evidence)

    async def save_session(self) -> None:
        store = self.options.sessions
        if store is None:
            return
        try:
            from optout.browser import identity_of

            state = await self.tabs.context.storage_state()
            identity = await identity_of(self.tabs.context) or self.account.identity
            store.save(self.flow.id, self.account.name, state, identity)
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
        path = store.save(platform, account, await context.storage_state(), await browser_mod.identity_of(context))
    from optout.holds import Holds

    Holds(prof).clear(platform, account)  # the person signed in: automated sign-ins may go on
    log.info("login.saved", platform=platform, account=account)
    return path
