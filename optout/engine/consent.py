"""Cookie-consent dialogs (DESIGN.md principle 6): a fresh browser in the EU/UK meets one over the
sign-in form and the settings pages. Wherever the flow's dialog shows, optional cookies are
declined before anything is typed or clicked: only a button whose name matches the flow's decline
names and none of its `never` names is clicked, and the dialog must be gone afterwards. A dialog
with no such button stops the flow (`broken`); nothing is ever accepted."""

from __future__ import annotations

import asyncio
import re
import time

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from optout.engine.options import Outcome
from optout.engine.pageprobe import body_text, count, locate, names_pattern
from optout.flowfile import patterns
from optout.flowfile.schema import Flow
from optout.states import State

#: How long a dialog that shows may take to offer its buttons, and to close after the decline.
BUTTONS_S = 5.0
CLOSE_S = 5.0
#: At most this many candidates of one locator are looked at (a page of buttons is not a dialog).
MAX_CANDIDATES = 8

NAME_JS = """el => [el.getAttribute('aria-label'), el.innerText, el.value, el.title]
  .filter(Boolean).join(' ').replace(/\\s+/g, ' ').trim()"""


#: Identifies one document (a new page load has a new time origin).
DOCUMENT_JS = "() => performance.timeOrigin"


async def same_document(page: Page, document: float) -> bool | None:
    """Whether the page still shows the document it showed; None when it cannot say (navigating)."""
    try:
        return await page.evaluate(DOCUMENT_JS) == document
    except PlaywrightError:
        return None


class ConsentGuard:
    """Declines one flow's cookie-consent dialog on any page of the account's browser."""

    def __init__(self, flow: Flow, log=None, clicks: bool = True):
        self.flow, self.spec, self.log = flow, flow.consent, log
        #: False (a replay of a shared capture): a dialog with a decline button is read as
        #: declinable and left alone; one without still stops the flow. Nothing is clicked.
        self.clicks = clicks
        self.declined = 0
        self.blocked = ""  # why the dialog could not be declined, once it could not

    @staticmethod
    def for_flow(flow: Flow, log=None, clicks: bool = True) -> ConsentGuard | None:
        return ConsentGuard(flow, log, clicks) if flow.consent is not None else None

    def dialog_locator(self, page: Page):
        """One locator for the dialog's elements and texts (for Playwright's overlay handler); None
        when the dialog shows only by texts the page's engine may not run (shows() reads those)."""
        signal = self.spec.dialog
        parts = [locate(page, spec) for spec in signal.present] + self.buttons(page)
        if browser := [
            t for t in signal.texts if patterns.browser_safe(t)
        ]:  # others: shows() reads them
            parts.append(page.get_by_text(texts_pattern(browser)))
        if not parts:
            return None
        locator = parts[0]
        for part in parts[1:]:
            locator = locator.or_(part)
        return locator.first

    async def shows(self, page: Page) -> bool:
        """Whether the dialog is on the page now: a few element counts, no waiting."""
        signal = self.spec.dialog
        for locator in [locate(page, spec) for spec in signal.present] + self.buttons(page):
            if await visible(locator):
                return True
        if not signal.texts:
            return False
        text = await body_text(
            page
        )  # the rendered text, searched here in linear time, not in the page
        return patterns.search_text(patterns.any_of(signal.texts), text) is not None

    def buttons(self, page: Page) -> list:
        """With `by_buttons`: the dialog's own buttons (decline or accept), as one locator."""
        if not self.spec.by_buttons:
            return []
        names = names_pattern(self.spec.decline_names() + self.spec.never_names())
        return [page.get_by_role("button", name=names)]

    async def clear(self, page: Page) -> None:
        """Decline the dialog when it shows; raise `broken` when it shows and cannot be declined."""
        if self.blocked:
            raise self.outcome(self.blocked)
        if not await self.shows(page):
            return
        try:
            why = await self.decline(page)
        except PlaywrightError:
            return  # the page moved on while the dialog was declined: the next look decides
        if why:
            self.blocked = why
            raise self.outcome(why)

    async def handler(self, page: Page) -> None:
        """Playwright's overlay handler (the dialog showed in the middle of an action): decline it
        when it can be; otherwise note why, so the next check stops the flow."""
        try:
            why = await self.decline(page)
        except PlaywrightError:
            return  # the page moved on: the action's own wait, then the next look, decide
        if why:
            self.blocked = self.blocked or why

    async def decline(self, page: Page) -> str:
        """Click the dialog's decline button and wait for the dialog to close. '' when declined,
        else why it was not (nothing that accepts is ever clicked). A page that gives way to a new
        one meanwhile (a redirect) is looked at afresh, a few times."""
        for _attempt in range(3):
            deadline = time.monotonic() + BUTTONS_S
            while True:
                button = await self.decline_button(page)
                if button is not None:
                    break
                if not await self.shows(page):
                    return ""  # it closed (or was declined by an earlier look)
                if time.monotonic() >= deadline:
                    return "it offers no button to decline optional cookies"
                await asyncio.sleep(0.1)
            if not self.clicks:
                return ""
            document = await page.evaluate(DOCUMENT_JS)
            # force: the button was just read as visible and named; a plain click would first run the
            # overlay handler for this very dialog and wait for it to close, which only this click does.
            await button.click(timeout=5000, force=True)
            self.declined += 1
            if self.log is not None:
                self.log.info("consent.declined")
            deadline = time.monotonic() + CLOSE_S
            while await self.shows(page):
                if await same_document(page, document) is False:
                    break  # a new page with its own dialog: find its button
                if time.monotonic() >= deadline:
                    return "it did not close after optional cookies were declined"
                await asyncio.sleep(0.1)
            else:
                return ""
        return "it came back on every new page after optional cookies were declined"

    async def decline_button(self, page: Page):
        """The one visible button to click: named as a decline, not as an accept; None if none is."""
        decline = names_pattern(self.spec.decline_names())
        never = names_pattern(self.spec.never_names()) if self.spec.never_names() else None
        # Inside the dialog's own elements first, so a "Reject" elsewhere on the page comes last.
        scopes = [locate(page, spec).first for spec in self.spec.dialog.present] + [page]
        candidates = [scope.get_by_role("button", name=decline) for scope in scopes]
        candidates += [page.locator(css) for css in self.spec.decline_css]
        for locator in candidates:
            for i in range(min(await count(locator), MAX_CANDIDATES)):
                element = locator.nth(i)
                try:
                    if not await element.is_visible():
                        continue
                    name = await element.evaluate(NAME_JS, timeout=1000)
                except PlaywrightError:
                    continue
                if decline.search(name) and not (never and never.search(name)):
                    return element
        return None

    def outcome(self, why: str) -> Outcome:
        name, pid = self.flow.name, self.flow.id
        return Outcome(
            State.BROKEN,
            f"{name} shows a cookie-consent dialog over the page, and {why}; optout never accepts "
            f"cookies, so it stopped before typing or clicking anything under it. Decline the optional "
            f"cookies yourself once with `optout login {pid}` (optout keeps that choice), or update "
            f"the flow's consent names.",
        )


def texts_pattern(texts: list[str]) -> re.Pattern:
    """One pattern for all of a signal's texts for Playwright, which runs it in the page: only
    texts `patterns.browser_safe` allows, which cannot backtrack far in V8."""
    return re.compile("|".join(f"(?:{t})" for t in texts), re.IGNORECASE)


async def visible(locator) -> bool:
    """Whether any of the first few matches is visible (a hidden template does not count)."""
    for i in range(min(await count(locator), MAX_CANDIDATES)):
        try:
            if await locator.nth(i).is_visible():
                return True
        except PlaywrightError:
            return False
    return False
