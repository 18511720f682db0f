"""Objection forms: making the form's choices, filling in what the flow asks for, sending once, and
telling only what happened.

- `submitted` only from a confirmation that appeared after this run's own send (the page before the
  click is the baseline: words it already showed prove nothing), or from the platform's own
  "already objected" notice in the form's place (see `notice_shown`).
- A required field the flow cannot fill stops the form before anything is sent (`needs_human`).
- An HTTP error answering the send is `error`, whatever the page shows; nothing is recorded as
  sent, so the next `optout off` tries again.
- A send answered 2xx without a recognised confirmation is "sent unconfirmed" (`needs_human`, the
  person looks for the platform's e-mail); history keeps later runs from sending it again unless
  the person asks with `--resend`."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from optout import logs
from optout.engine.evidence import Evidence
from optout.engine.options import Outcome
from optout.engine.pageprobe import body_text, count, locate, matches
from optout.engine.tab import Tabs
from optout.flowfile import patterns
from optout.flowfile.controls import Form, FormChoice, Notice
from optout.flowfile.schema import Setting, Signal
from optout.results import Result
from optout.states import Kind, State

#: Every field the form marks required (required / aria-required) that is shown and still empty,
#: by the name a person sees; looked for in the form holding the submit button.
REQUIRED_JS = """button => {
  const root = button.closest('form') || document.body;
  const shown = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const text = el => (el && (el.innerText || el.textContent) || '').trim();
  const nameOf = el => {
    const by = el.getAttribute('aria-labelledby');
    const named = el.getAttribute('aria-label') || (el.labels && el.labels[0] && text(el.labels[0]))
      || (by && text(document.getElementById(by.split(' ')[0])))
      || (el.closest('fieldset') && text(el.closest('fieldset').querySelector('legend')))
      || el.getAttribute('placeholder') || el.getAttribute('name') || el.tagName.toLowerCase();
    return named.replace(/\\s+/g, ' ').slice(0, 80);
  };
  const empty = [], groups = new Set();
  const sel = 'input, textarea, select, [role=textbox], [role=combobox], [role=radiogroup], [role=checkbox], [role=listbox]';
  for (const el of root.querySelectorAll(sel)) {
    const required = el.required || el.getAttribute('aria-required') === 'true';
    if (!required || el.disabled || el.type === 'hidden' || !shown(el)) continue;
    const role = el.getAttribute('role');
    let filled;
    if (el.type === 'radio') {
      if (groups.has(el.name)) continue;
      groups.add(el.name);
      filled = [...root.querySelectorAll('input[type=radio]')].some(r => r.name === el.name && r.checked);
    } else if (el.type === 'checkbox') filled = el.checked;
    else if (role === 'radiogroup' || role === 'listbox')
      filled = !!el.querySelector('[aria-checked=true], [aria-selected=true], input:checked');
    else if (role === 'checkbox') filled = el.getAttribute('aria-checked') === 'true';
    else if (el.tagName === 'SELECT' || el.tagName === 'INPUT' || el.tagName === 'TEXTAREA')
      filled = (el.value || '').trim() !== '';
    else filled = text(el) !== '';
    if (!filled) empty.push(nameOf(el));
  }
  return empty;
}"""

#: What the form will send, as a person sees it: every shown field of the form holding the submit
#: button, by its name, with the text it holds (a chosen option's words, a ticked box's label).
#: Passwords and hidden inputs are never read.
SENDING_JS = """button => {
  const root = button.closest('form') || document.body;
  const shown = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const text = el => (el && (el.innerText || el.textContent) || '').replace(/\\s+/g, ' ').trim();
  const nameOf = el => {
    const named = el.getAttribute('aria-label') || (el.labels && el.labels[0] && text(el.labels[0]))
      || (el.closest('fieldset') && text(el.closest('fieldset').querySelector('legend')))
      || el.getAttribute('placeholder') || el.getAttribute('name') || el.tagName.toLowerCase();
    return named.slice(0, 120);
  };
  const out = [];
  for (const el of root.querySelectorAll('input, textarea, select')) {
    if (el.disabled || !shown(el) || ['hidden', 'password', 'submit', 'button', 'reset', 'file'].includes(el.type)) continue;
    if (el.type === 'radio' || el.type === 'checkbox') {
      if (!el.checked) continue;
      const group = el.closest('fieldset') && text(el.closest('fieldset').querySelector('legend'));
      out.push([group || el.name || 'choice', text(el.labels && el.labels[0]) || el.value]);
    } else if (el.tagName === 'SELECT') {
      const label = el.labels && el.labels[0] ? text(el.labels[0]) : nameOf(el);
      out.push([label, [...el.selectedOptions].map(o => text(o)).join(', ')]);
    } else {
      const label = el.labels && el.labels[0] ? text(el.labels[0]) : nameOf(el);
      out.push([label, el.value]);
    }
  }
  return out;
}"""

#: Choose one element: an <option> is selected in its <select>, anything else is clicked.
IS_OPTION_JS = "el => el.tagName === 'OPTION' ? (el.value || el.textContent) : null"
CHOSEN_JS = """el => el.tagName === 'OPTION' ? el.selected
  : ('checked' in el && (el.type === 'radio' || el.type === 'checkbox')) ? el.checked
  : el.getAttribute('aria-checked') === 'true' || el.getAttribute('aria-selected') === 'true'"""


async def notice_shown(page: Page, notice: Notice | None) -> bool:
    """Whether the platform's own "already objected" notice is in the form's place: an element
    matching `notice.at` whose own text matches, never the page's text as a whole."""
    if notice is None:
        return False
    try:
        texts = await locate(page, notice.at).all_inner_texts()
    except PlaywrightError:
        return False
    return any(patterns.search_text(p, t.strip()) for t in texts for p in notice.texts)


async def offered(page: Page, control: Form):
    """(1, locator) when the form is on the page: its `form` element (a form may show its button
    twice), or the first choice it asks before its fields appear; (0, None) when not yet."""
    specs = [control.form] + (
        control.choose[0].pick if control.choose and not control.choose[0].optional else []
    )
    for spec in specs:
        locator = locate(page, spec)
        if await count(locator) > 0:
            return 1, locator.first
    return 0, None


async def shown(locator) -> bool:
    """Whether any element of `locator` is visible now."""
    try:
        return any([await el.is_visible() for el in await locator.all()])
    except PlaywrightError:
        return False


async def signal_score(page: Page, signal: Signal) -> int:
    """How many times a signal shows on the page now (its URL, its elements, each text's matches):
    compared before and after the send, it tells what the send made appear."""
    text = await body_text(page)
    if signal.unless is not None and await matches(page, signal.unless, text):
        return 0
    score = 1 if signal.matches_url(page.url) else 0
    for spec in signal.present:
        score += await count(locate(page, spec))
    for pattern in signal.texts:
        score += sum(1 for _ in patterns.finditer_text(pattern, text))
    return score


class FormRun:
    """One form, on one page, in one run."""

    def __init__(self, page: Page, setting: Setting, evidence: Evidence, tabs: Tabs):
        self.page, self.setting, self.evidence, self.tabs = page, setting, evidence, tabs
        self.control, self.flow = setting.control, evidence.flow
        self.sending = False
        self.answers: list[
            tuple[int, str]
        ] = []  # (status, method) of requests this run's send made

    def on_response(self, response) -> None:
        request = response.request
        if self.sending and request.method != "GET" and self.flow.owns(request.url):
            self.answers.append((response.status, request.method))

    async def stop(self, state: State, detail: str) -> Outcome:
        return Outcome(state, detail, await self.evidence.keep_broken_page(self.page, self.setting))

    async def choose(self, choice: FormChoice) -> bool:
        """Pick a choice by its name; False when an optional one is not on the page."""
        deadline = time.monotonic() + self.evidence.options.find_timeout_s
        while True:
            for spec in choice.pick:
                target = locate(self.page, spec)
                found = await count(target)
                if found > 1:
                    raise await self.stop(
                        State.BROKEN,
                        f"{found} choices on the form match "
                        f"{', '.join(spec.name) or spec.css!r}: refusing to guess. Nothing was sent.",
                    )
                if found == 1:
                    await self.pick(target)
                    return True
            if time.monotonic() >= deadline:
                if choice.optional:
                    return False
                names = (
                    ", ".join(n for spec in choice.pick for n in spec.name) or "the flow's choice"
                )
                raise await self.stop(
                    State.BROKEN,
                    f"the form offers no choice named like {names}: it may ask "
                    "something else now, so nothing was sent.",
                )
            await asyncio.sleep(0.25)

    async def pick(self, target) -> None:
        value = await target.evaluate(IS_OPTION_JS)
        if value is not None:
            select = target.locator("xpath=ancestor::select[1]")
            await select.select_option(
                value=await target.get_attribute("value") or value, timeout=10000
            )
        else:
            await target.click(timeout=10000)
        if not await target.evaluate(CHOSEN_JS):
            raise await self.stop(
                State.BROKEN, "the form's choice did not stay chosen; nothing was sent."
            )

    async def reveal(self, choice: FormChoice) -> None:
        if choice.reveals is None:
            return
        deadline = time.monotonic() + self.evidence.options.find_timeout_s
        while not await shown(locate(self.page, choice.reveals)):
            if time.monotonic() >= deadline:
                raise await self.stop(
                    State.BROKEN, "the form's choice did not bring up its fields; nothing was sent."
                )
            await asyncio.sleep(0.25)

    async def fill(self) -> None:
        options = self.evidence.options
        for field_ in self.control.fields:
            target = locate(self.page, field_.into).first
            if await count(target) == 0:
                if field_.optional:
                    continue
                raise await self.stop(
                    State.BROKEN, f"the form has no field for the {field_.fill}; nothing was sent."
                )
            value = options.form_reason if field_.fill == "reason" else self.evidence.account.name
            if field_.fill == "email" and "@" not in value:
                value = ""  # a session-only account's name ("assisted", "default") is no address
            if value and not await target.input_value():
                await target.fill(value, timeout=10000)

    async def check_required(self, submit) -> None:
        if not self.control.check_required:
            return
        empty = await submit.evaluate(REQUIRED_JS)
        if not empty:
            return
        asked = "; ".join(f"'{name}'" for name in dict.fromkeys(empty))
        detail = f"{self.flow.name}'s form requires {asked}, which optout cannot fill in, so nothing was sent."
        if (
            any(f.fill == "reason" for f in self.control.fields)
            and not self.evidence.options.form_reason
        ):
            detail += (
                f' For an explanation, give one with `optout off {self.flow.id} --reason "…"`; anything '
                f"else (such as your country of residence) only you can give: send the form yourself at "
                f"{self.setting.url}."
            )
        else:
            detail += f" Only you can give it: send the form yourself at {self.setting.url}."
        raise await self.stop(State.NEEDS_HUMAN, detail)

    async def confirmed(self, submit) -> bool:
        """Ask the person (RunOptions.confirm_form) with the exact words the form will send."""
        sending = [(str(name), str(value)) for name, value in await submit.evaluate(SENDING_JS)]
        return bool(
            await self.evidence.options.confirm_form(
                self.flow, self.evidence.account, self.setting, sending
            )
        )

    async def send(self) -> Result:
        page, evidence = self.page, self.evidence
        page.on("response", self.on_response)
        try:
            for choice in self.control.choose:
                if await self.choose(choice):
                    await self.reveal(choice)
            await self.fill()
            submit = locate(page, self.control.submit).first
            if await count(submit) == 0:
                raise await self.stop(
                    State.BROKEN, "the form has no send button the flow knows; nothing was sent."
                )
            await self.check_required(submit)
            if self.evidence.options.confirm_form is not None and not await self.confirmed(submit):
                return evidence.result(
                    self.setting, State.ON, "not sent: you chose not to send this objection"
                )
            before = await signal_score(page, self.control.confirmation)
            self.sending = True
            await submit.click(timeout=10000)
            return await self.await_answer(before)
        except Outcome as outcome:
            return evidence.result(
                self.setting, outcome.state, outcome.detail, evidence=outcome.evidence
            )
        except PlaywrightError as exc:
            kept = await evidence.keep_broken_page(page, self.setting)
            sent = " (it may have been sent)" if self.answers else "; nothing was sent"
            return evidence.result(
                self.setting,
                State.BROKEN,
                f"could not send the form{sent}: {logs.scrub(str(exc).splitlines()[0])}",
                evidence=kept,
            )
        finally:
            page.remove_listener("response", self.on_response)

    async def await_answer(self, before: int) -> Result:
        """After the click: an HTTP error wins over anything the page shows; then a confirmation
        that appeared since the click; at the deadline, 2xx without one is "sent unconfirmed"."""
        evidence, setting, name = self.evidence, self.setting, self.flow.name
        today = datetime.now(UTC).date().isoformat()
        deadline = time.monotonic() + evidence.options.find_timeout_s
        while True:
            failed = [status for status, _ in self.answers if status >= 400]
            if failed:
                await self.tabs.settle()
                kept = await evidence.keep_broken_page(self.page, setting)
                return evidence.result(
                    setting,
                    State.ERROR,
                    f"{name} answered HTTP {failed[0]} when the form was sent, so the objection was probably "
                    "not received, whatever the page shows. Nothing is recorded as sent: the next `optout off` "
                    "tries again.",
                    evidence=kept,
                )
            if self.answers and await signal_score(self.page, self.control.confirmation) > before:
                await asyncio.sleep(0.3)  # a late error answer still wins over the page
                if not [s for s, _ in self.answers if s >= 400]:
                    shots = await evidence.screenshot(self.page, setting, "confirmation")
                    return evidence.result(
                        setting,
                        State.SUBMITTED,
                        f"objection sent on {today}" + ("; confirmation kept" if shots else ""),
                        changed=True,
                        evidence=shots,
                    )
                continue
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.25)
        kept = await evidence.keep_broken_page(self.page, setting)
        if not self.answers:
            return evidence.result(
                setting,
                State.BROKEN,
                "the send button was clicked but the form sent nothing: "
                "the page may have changed. Nothing was sent.",
                evidence=kept,
            )
        return evidence.result(
            setting,
            State.NEEDS_HUMAN,
            f"sent unconfirmed on {today}: {name} accepted the form (HTTP {self.answers[-1][0]}) but optout did "
            f"not recognise a confirmation on the page. Look for {name}'s e-mail about your objection (also in "
            f"spam). optout will not send it again on its own; to send it again: "
            f"`optout off {self.flow.id} --resend`.",
            changed=True,
            evidence=kept,
            kind=Kind.SENT_UNCONFIRMED,
        )


def from_history(evidence: Evidence, setting: Setting, prior: dict) -> Result:
    """The result of a form history says went out (`prior`, its last such row): submitted, or
    sent unconfirmed (its kind), and not sent again."""
    kept = [Path(p) for p in prior.get("evidence", [])]
    if prior["state"] == str(State.SUBMITTED):
        return evidence.result(
            setting,
            State.SUBMITTED,
            f"objection sent on {prior['at'][:10]} (from history)",
            evidence=kept,
        )
    detail = prior["detail"].removesuffix(" (from history)")
    return evidence.result(
        setting,
        State.NEEDS_HUMAN,
        f"{detail} (from history)",
        evidence=kept,
        kind=prior.get("kind"),
    )


async def send(page: Page, setting: Setting, evidence: Evidence, tabs: Tabs) -> Result:
    """Make the form's choices, fill it, send it once, and report what the platform answered."""
    return await FormRun(page, setting, evidence, tabs).send()
