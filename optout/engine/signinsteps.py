"""Typing a sign-in: the flow's login steps one after another (each value only into a field made
for it, on the flow's own sign-in origins), waiting for each page to answer, and reading how the
sign-in ended (signed in, refused, a challenge, a TOTP code answered once)."""

from __future__ import annotations

import asyncio
import re
import time

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from optout import logs
from optout.credentials import Credential
from optout.engine.challenges import asked_words, asks, challenge_on
from optout.engine.evidence import Evidence
from optout.engine.options import Outcome
from optout.engine.pageprobe import body_text, count, locate, matches
from optout.engine.tab import Patience, Tabs
from optout.flowfile.schema import Flow, Setting, Step, origin_of
from optout.states import State


def challenge_detail(flow: Flow, kind: str, cred: Credential | None, totp_used: bool) -> str:
    name, pid = flow.name, flow.id
    if kind == "totp" and totp_used:
        return f"{name} did not accept the verification code from the stored TOTP secret. Sign in yourself: `optout login {pid}`."
    if kind == "totp":
        return (
            f"{name} asks for a verification code. Store the account's TOTP secret "
            f"(`optout account add {pid} --totp`) or sign in yourself: `optout login {pid}`."
        )
    return asks(flow, kind)


def held_detail(flow: Flow, hold: dict) -> str:
    """Why no password was typed: the hold put on the account (optout.holds)."""
    why = re.sub(r"^asks ", "asked ", hold.get("why", "refused the sign-in"))
    return (
        f"optout did not type the {flow.name} password: when it last did ({hold.get('since', '')[:10]}), "
        f"{flow.name} {why}, and each new automated attempt makes a lock of "
        f"the account likelier. Sign in yourself with `optout login {flow.id}` (or store a new "
        f"password with `optout account add {flow.id}`)."
    )


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


async def type_into(page: Page, flow: Flow, evidence: Evidence, step: Step, value: str) -> None:
    """Type one value of a sign-in (username, password, code) into the step's field: only a field
    of its kind, on one of the flow's credential origins, while it holds the focus. Raises `error`
    (account-wide) otherwise, having typed nothing."""
    field = locate(page, step.into).first
    await field.wait_for(state="visible", timeout=flow.login.timeout_ms)
    handle = await field.element_handle(timeout=flow.login.timeout_ms)
    # The element's own document decides, so a page that navigates away (or a look-alike
    # frame) can never receive the value.
    origin = (await handle.evaluate("el => el.ownerDocument.location.origin")).lower()
    if origin not in flow.credential_origins or origin != origin_of(page.url):
        raise Outcome(
            State.ERROR,
            f"refused to type {flow.name} credentials into {origin}: it is not one of "
            f"{flow.name}'s sign-in origins ({', '.join(sorted(flow.credential_origins))}).",
            account_wide=True,
        )
    # No keystrokes: keys go wherever the focus is, and a page script can move it (into a
    # foreign frame) the moment the field is focused. The value is set on the element itself,
    # only while the element is the focused element of its own document.
    # Each value goes only into the kind of field made for it (the password into a password
    # input, the username into a text, e-mail or telephone one, a code into a code field):
    # never a post box, a search field or a comment. Checked and set in one step, so the page
    # cannot change the field's type in between.
    kinds = {
        "password": ["password"],
        "username": ["text", "email", "tel"],
        "totp": ["text", "tel", "number", "password"],
    }[step.fill]
    if step.fill == "password":  # before typing: what the site shows from now on may echo it
        evidence.password_typed = True
    where = await handle.evaluate(
        "(el, [value, kinds]) => (el instanceof el.ownerDocument.defaultView.HTMLInputElement && kinds.includes(el.type))"
        f" ? ({SET_VALUE_JS})(el, value) : 'wrong field'",
        [value, kinds],
    )
    if where == "wrong field":
        raise Outcome(
            State.ERROR,
            f"refused to type the {flow.name} {step.fill}: the flow's field for it is not "
            f"{' or '.join(f'an input of type {k}' for k in kinds)} on the sign-in page (a flow that "
            f"types it elsewhere, into a post box say, could publish it). Nothing was typed; check "
            f"the flow's login steps, or sign in yourself with `optout login {flow.id}`.",
            account_wide=True,
        )
    if where != "ok":
        raise Outcome(
            State.ERROR,
            f"refused to type {flow.name} credentials: the sign-in page moved the keyboard focus away "
            f"from the field as it was about to be typed (to {where}); a page tried to take the password. "
            f"Nothing was typed. Sign in yourself with `optout login {flow.id}` if you trust the page.",
            account_wide=True,
        )


class Steps:
    """One automated sign-in attempt on one page: the flow's steps typed and clicked, then how
    it ended. `tabs` are those of the context the page is in (the run's, or a person's window)."""

    def __init__(self, flow: Flow, tabs: Tabs, evidence: Evidence, setting: Setting | None):
        self.flow, self.tabs, self.evidence = flow, tabs, evidence
        self.setting = setting  # the setting whose page the sign-in began on
        #: The page as it was before the last click of a sign-in step ((url, text), busy count),
        #: until the page answers it: a page that has not answered is never read as settled.
        self.unanswered: tuple[tuple[str, str], int] | None = None

    async def attempt(self, page: Page, cred: Credential) -> None:
        """Type the stored credential into the sign-in page open on `page` and read how it ended:
        returns once signed in, else raises the Outcome (a page that does not match: `broken`)."""
        for secret in (cred.password, cred.totp_secret):
            logs.register_secret(secret)
        setting = self.setting
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

    async def run_steps(
        self, page: Page, steps: list[Step], cred: Credential, *, challenge: bool = False
    ) -> None:
        for i, step in enumerate(steps):
            await self.tabs.clear_consent(
                page
            )  # nothing is typed or clicked under a consent dialog
            if step.optional:
                end = next(
                    (j for j in range(i + 1, len(steps)) if not steps[j].optional), len(steps) - 1
                )
                shows = await self.optional_step_shows(
                    page, step, steps[i + 1 : end + 1], challenge=challenge
                )
                if shows is None:
                    return  # the sign-in already ended one way or another: await_signed_in reads how
                if not shows:
                    continue
            elif not await self.required_step_shows(page, step, challenge=challenge):
                return  # a challenge, a failure or the signed-in page came instead: await_signed_in reads it
            if step.fill == "username":
                self.may_answer(step, cred.username)
                await type_into(page, self.flow, self.evidence, step, cred.username)
            elif step.fill == "password":
                await type_into(page, self.flow, self.evidence, step, cred.password)
            elif step.fill == "totp":
                await type_into(page, self.flow, self.evidence, step, cred.totp_code() or "")
            elif (
                i == len(steps) - 1
            ):  # the submission: nothing is decided before the page answers it
                before = await page_state(page), await count(page.locator(BUSY))
                await locate(page, step.into).first.click(timeout=self.flow.login.timeout_ms)
                if not await self.answered(page, *before):
                    raise Outcome(
                        State.BROKEN,
                        f"the {self.flow.name} sign-in page did not answer "
                        f"after {self.flow.login.timeout_ms // 1000} s (no new page, no message).",
                        await self.evidence.keep_broken_page(page, self.setting),
                    )
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
        return {
            "settled": "once it had finished loading",
            "loading": f"after {self.flow.login.timeout_ms // 1000} s, while it was still loading",
            "unanswered": f"{self.flow.login.timeout_ms // 1000} s after the previous step, "
            "which it did not answer",
        }[why]

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
            return (
                False
                if await self.ended(page, await body_text(page), challenge=challenge)
                else None
            )

        shows, why = await self.watch(page, look)
        if shows is not None:
            return shows
        where = step.into.css or f"{step.into.role} {'/'.join(step.into.name)}".strip()
        raise PlaywrightError(f"no {where} on the page {self.waited(why)}")

    async def optional_step_shows(
        self, page: Page, step: Step, later: list[Step], *, challenge: bool
    ) -> bool | None:
        """Wait for an optional step (an interstitial only some sign-ins show) until the page has
        settled. True: its element shows (and its `when` matches); False: a later step up to the
        next required one shows first (an optional one with its `when`: another variant of the
        interstitial), or none of them once the page has settled (or by the ceiling); None: the
        page shows an end of the sign-in (signed in, failure, or a challenge)."""

        async def look() -> str | None:
            await self.tabs.clear_consent(page)
            text = await body_text(page)
            if await count(locate(page, step.into)) and (
                step.when is None or await matches(page, step.when, text)
            ):
                return "shows"
            for other in later:
                if await count(locate(page, other.into)) and (
                    other.when is None or await matches(page, other.when, text)
                ):
                    return "later"
            return "end" if await self.ended(page, text, challenge=challenge) else None

        verdict, _ = await self.watch(page, look)
        return {"shows": True, "later": False, "end": None, None: False}[verdict]

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
            raise Outcome(
                State.NEEDS_HUMAN,
                challenge_detail(self.flow, challenge.kind, cred, totp_used),
                asked=asked_words(challenge.kind),
            )

        signed_in, why = await self.watch(page, look, pause_s=0.25)
        if signed_in:
            return
        evidence = await self.evidence.keep_broken_page(page, setting)
        raise Outcome(
            State.BROKEN,
            f"the {name} sign-in did not finish as the flow expects (no known page "
            f"{self.waited(why)}).",
            evidence,
        )
