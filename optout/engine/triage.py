"""What a page shows, looked at until one thing is recognisable: the one triage every page of a
run goes through (a setting's page, an items list). Signed out and a challenge come first, on
every page; then what the page is for: the setting's control or form, or the account's items.
Nothing is clicked here but the flow's own reveal steps (`open`, a dialog's opener)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import Enum

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page

from optout.engine import controls, forms
from optout.engine.challenges import challenge_on
from optout.engine.options import Outcome
from optout.engine.pageprobe import body_text, count, locate, matches, page_language, row_opener
from optout.engine.tab import Patience, Tabs
from optout.flowfile.patterns import search_url
from optout.flowfile.schema import Flow, Reveal, Setting, origin_of
from optout.states import State


class Seen(Enum):
    SIGNED_OUT = "signed_out"  # the flow's signed-out signal
    CHALLENGE = "challenge"  # a check only a person answers (`challenge` says which)
    LANGUAGE = "language"  # a language the setting knows no words in (`lang`)
    SUBMITTED = "submitted"  # a form's "already objected" notice in its place
    CONTROL = "control"  # the setting's control, or its form, exactly once (`control`)
    AMBIGUOUS = "ambiguous"  # more than one control matches (`found`)
    UNAVAILABLE = "unavailable"  # the setting's "not offered" sign, seen twice; or no items
    ITEMS = "items"  # the account's items (`items`)
    TIMEOUT = "timeout"  # nothing recognisable within the patience, the page still loading
    MISSING = "missing"  # nothing recognisable once the page had settled


@dataclass(frozen=True)
class Triage:
    """What the page showed, with what comes with it."""

    seen: Seen
    control: Locator | None = None
    found: int = 0
    challenge: str = ""
    #: The page's language as it declares it ("" when it declares none).
    lang: str = ""
    #: Why a row named by the setting's text was left unclicked ("" when none was).
    unclicked: str = ""
    items: tuple[str, ...] = ()


async def reveal(page: Page, step: Reveal, clicks: bool) -> tuple[bool, str]:
    """Click the first of a reveal step's elements that shows exactly once: (clicked, why a row
    was left unclicked). Never clicks when the run may click nothing (a replay)."""
    if not clicks:
        return False, ""
    unclicked = ""
    for spec in step.click:
        target = locate(page, spec)
        if spec.text:  # a row drawn without a role: open it through its own button, if it has one
            target = target.filter(visible=True)
            if await count(target) != 1:
                continue
            target, why = await row_opener(target)
            if target is None:
                unclicked = f"'{spec.text[0]}' was not clicked: {why}"
                continue
        if spec.text or await count(target) == 1:
            try:
                await target.click(timeout=3000)
            except PlaywrightError:
                return False, unclicked  # moving or covered: the next round tries again
            await asyncio.sleep(0.1)
            return True, unclicked
    return False, unclicked


async def triage(
    page: Page,
    flow: Flow,
    setting: Setting,
    tabs: Tabs,
    *,
    find_timeout_s: float,
    clicks: bool = True,
    items: bool = False,
) -> Triage:
    """Look at the page until one thing is recognisable, and say what. `items`: look for the
    account's items (setting.items) rather than the setting's control. Raises `error` when the
    page is gone or the site sent the browser outside its own origins."""
    patience = Patience(find_timeout_s)
    reveals = setting.open + ([Reveal(click=setting.dialog.open)] if setting.dialog else [])
    opened = 0  # how many of the reveal steps were clicked on this page
    unclicked = ""
    unavailable_seen = False
    while True:
        tabs.check_alive(page)
        if not flow.owns(page.url):
            raise Outcome(
                State.ERROR,
                f"{flow.name} sent the browser outside its own site, to "
                f"{origin_of(page.url)}; nothing was read or typed there.",
            )
        await tabs.clear_consent(page)
        text = await body_text(page)
        if await matches(page, flow.login.signed_out, text):
            return Triage(Seen.SIGNED_OUT)
        challenge = await challenge_on(page, flow, text)
        if challenge is not None:
            return Triage(Seen.CHALLENGE, challenge=challenge.kind)
        if items:
            spec = setting.items
            hrefs = [
                await link.get_attribute("href") or ""
                for link in await locate(page, spec.link).all()
            ]
            ids = sorted({m.group(1) for h in hrefs if (m := search_url(spec.pattern, h))})
            if ids:
                return Triage(Seen.ITEMS, items=tuple(ids))
            if await matches(page, spec.empty, text):
                return Triage(Seen.UNAVAILABLE)
            if patience.over:
                return Triage(Seen.TIMEOUT)
            if await tabs.settled(page):
                return Triage(Seen.MISSING)
            await patience.pause()
            continue
        lang = await page_language(page)
        if lang and lang not in setting.known_languages(flow.languages):
            return Triage(Seen.LANGUAGE, lang=lang)
        control = setting.control
        if control.kind == "form":
            if await forms.notice_shown(page, control.already_submitted):
                return Triage(Seen.SUBMITTED, lang=lang)
            found, locator = await forms.offered(page, control)
        else:
            found, locator = await controls.find(controls.scope(page, setting), control, lang)
        if found == 1:
            return Triage(Seen.CONTROL, control=locator, lang=lang)
        if found > 1:
            return Triage(Seen.AMBIGUOUS, found=found, lang=lang)
        if await matches(page, setting.unavailable, text):
            # The sign and the control were two looks at a page that may still be rendering
            # (the sign can appear between them): "not offered" only when the next look agrees.
            if unavailable_seen:
                return Triage(Seen.UNAVAILABLE, lang=lang)
            unavailable_seen = True
        else:
            unavailable_seen = False
        if opened < len(reveals):
            clicked, why = await reveal(page, reveals[opened], clicks)
            unclicked = why or unclicked
            if clicked:
                opened += 1
                continue
        if not unavailable_seen:  # a sign seen once gets its second look
            if patience.over:
                return Triage(Seen.TIMEOUT, lang=lang, unclicked=unclicked)
            if await tabs.settled(page):  # loaded and rendered, and still not there
                return Triage(Seen.MISSING, lang=lang, unclicked=unclicked)
        await patience.pause()


@dataclass(frozen=True)
class Reading:
    """What reading a setting's page found. `control` is None when the platform does not offer
    the setting (or its form shows an objection already sent, `already_sent`)."""

    control: Locator | None
    lang: str = ""
    #: A switch read off (the person's choice holds). Never set for a form.
    off: bool = False
    #: Shown greyed out (age, plan, region, an administrator, another setting that forces it):
    #: reported as read, never clicked.
    locked: bool = False
    #: The form's page says an objection was already sent.
    already_sent: bool = False


def unrecognised(
    seen: Triage, flow: Flow, setting: Setting, url: str, find_timeout_s: float
) -> str:
    """Why nothing the flow knows was read on the setting's page (a `broken` detail)."""
    if seen.seen is Seen.LANGUAGE:
        why = setting.languages_missing.get(seen.lang)
        return (
            f"the page is in a language this flow does not know ({seen.lang!r}); it knows "
            f"{', '.join(setting.known_languages(flow.languages))}"
            + (f" (no {seen.lang}: {why})" if why else "")
            + ". Nothing was read or changed; `optout platforms` lists the languages each setting knows."
        )
    if seen.seen is Seen.AMBIGUOUS:
        return f"{seen.found} controls match the label '{setting.label}': refusing to guess."
    if seen.seen is Seen.TIMEOUT:
        return (
            f"the control '{setting.label}' was not found on {url} within {find_timeout_s:g} s, while the "
            f"page was still loading (the page may have changed, or be very slow)."
        )
    return (
        f"the control '{setting.label}' was not found on {url} once the page had finished loading "
        f"(the page may have changed)." + (f" {seen.unclicked}." if seen.unclicked else "")
    )
