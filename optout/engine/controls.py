"""Each kind of control a flow can declare: how to find it, read it, and switch it off.

`read` answers (opted_out, disabled, why): opted_out is None when the control does not clearly say,
and then nothing is clicked. A form is not here: it is sent, not switched (engine/forms.py)."""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from optout.engine.pageprobe import (
    click_control,
    count,
    locate,
    matches,
    names_pattern,
    read_checked,
)
from optout.flowfile import patterns as patterns_
from optout.flowfile.controls import Choice, Menu, Switch


def _for_lang(mapping: dict[str, list[str]], lang: str) -> list[str]:
    """Labels of the page's language; every language's when the page does not say."""
    return mapping.get(lang) or [n for group in mapping.values() for n in group]


def exact(names: list[str]) -> re.Pattern:
    return re.compile("^\\s*(?:" + "|".join(re.escape(n) for n in names) + ")\\s*$", re.IGNORECASE)


def scope(page: Page, setting):
    """Where a setting's control is looked for: inside role=dialog for a control in a dialog (a
    switch elsewhere on the page with the same name is not this one), else the whole page."""
    return page.get_by_role("dialog") if setting.dialog else page


async def find(page, control, lang: str):
    """(how many match, locator) for the control's anchor element; `page` may be a scope."""
    if isinstance(control, Switch):
        locator = page.get_by_role(control.role, name=names_pattern(_for_lang(control.names, lang)))
    elif isinstance(control, Choice) and control.kind == "select":
        locator = page.get_by_role("combobox", name=names_pattern(_for_lang(control.names, lang)))
    elif isinstance(control, Choice):
        options = _for_lang(control.off_options, lang) + _for_lang(control.on_options, lang)
        locator = page.get_by_role("radio", name=exact(options))
        found = await count(locator)
        return (1 if found >= 2 else 0), locator.first  # a radio group shows at least both choices
    elif isinstance(control, Menu):
        locator = page.get_by_role("button", name=names_pattern(_for_lang(control.names, lang)))
    else:  # pragma: no cover - forms are handled by the engine
        raise TypeError(control)
    return await count(locator), locator


async def read(page, control, locator, lang: str) -> tuple[bool | None, bool, str]:
    if isinstance(control, Switch):
        checked, disabled, why = await read_checked(locator)
        if checked is None:
            return None, disabled, why
        return checked == (control.opted_out_when == "checked"), disabled, ""
    if isinstance(control, Choice) and control.kind == "select":
        chosen = await locator.evaluate(
            "el => el.selectedOptions ? Array.from(el.selectedOptions).map(o => o.label || o.textContent).join('|')"
            " : (el.getAttribute('aria-valuetext') || el.textContent || '')"
        )
        disabled = await locator.is_disabled()
        return (
            _classify_text(
                chosen, control.off_options, control.on_options, lang, "the dropdown shows"
            ),
            disabled,
            f"the dropdown shows {chosen.strip()!r}, which is neither an on nor an off choice",
        )
    if isinstance(control, Choice):
        off = page.get_by_role("radio", name=exact(_for_lang(control.off_options, lang)))
        on = page.get_by_role("radio", name=exact(_for_lang(control.on_options, lang)))
        if await count(off) != 1 or await count(on) != 1:
            return None, False, "the choices are not the ones the flow knows"
        off_checked, off_disabled, why1 = await read_checked(off)
        on_checked, _, why2 = await read_checked(on)
        if off_checked is None or on_checked is None or off_checked == on_checked:
            return None, off_disabled, why1 or why2 or "both or neither choice is selected"
        return off_checked, off_disabled, ""
    if isinstance(control, Menu):
        text = (await locator.inner_text()).strip()
        disabled = await locator.is_disabled()
        return (
            _classify_text(text, control.off_texts, control.on_texts, lang, ""),
            disabled,
            f"the button shows {text!r}, which is neither on nor off",
        )
    raise TypeError(control)  # pragma: no cover


def _classify_text(text: str, off: dict, on: dict, lang: str, _what: str) -> bool | None:
    text = " ".join(text.split())
    is_off = bool(exact(_for_lang(off, lang)).match(text))
    is_on = bool(exact(_for_lang(on, lang)).match(text))
    return None if is_off == is_on else is_off


async def switch_off(page: Page, root, control, locator, lang: str) -> None:
    """Act once (`root`: where the control was found). Raises PlaywrightError when the page does
    not let it happen."""
    if isinstance(control, Switch):
        await click_control(locator)
    elif isinstance(control, Choice) and control.kind == "select":
        await locator.select_option(label=_for_lang(control.off_options, lang)[0])
    elif isinstance(control, Choice):
        await click_control(
            root.get_by_role("radio", name=exact(_for_lang(control.off_options, lang)))
        )
    elif isinstance(control, Menu):
        await locator.click(timeout=5000)
        item = page.get_by_role("menuitem", name=exact(_for_lang(control.item, lang)))
        await item.wait_for(timeout=5000)
        if await item.count() != 1:
            raise PlaywrightError(f"{await item.count()} menu items match {control.item}")
        await item.click(timeout=5000)
    else:  # pragma: no cover
        raise TypeError(control)


# --- after the click: a dialog to close, a change to save -----------------------------------------


async def close_dialog(page: Page, setting, control) -> str:
    """Close the control's dialog with its named button; '' once it closed (or shows no such
    button), else what went wrong. The reload that follows says whether the change was kept."""
    button = locate(page.get_by_role("dialog"), setting.dialog.close)
    names = " / ".join(setting.dialog.close.name or setting.dialog.close.text) or "its close button"
    if await count(button) != 1:  # a dialog without it (an older layout): the reload decides
        return ""
    try:
        await button.click(timeout=5000)
        await control.wait_for(state="detached", timeout=5000)
    except PlaywrightError:
        if await count(control) == 0:
            return ""
        return f"the dialog did not close with '{names}'"
    return ""


async def said_failed(answers: list, listening: bool) -> str:
    """The page showed its failure message. The page's script can react to the save's answer before
    Playwright reports that answer, so wait a moment for it: the status is the better reason."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (2.0 if listening else 0)
    while not answers and loop.time() < deadline:
        await asyncio.sleep(0.05)
    if answers and not 200 <= answers[-1] < 300:
        return f"the page said the save failed (HTTP {answers[-1]})"
    return "the page said the save failed"


async def save_change(page: Page, setting, timeout_s: float) -> str:
    """Click the setting's Save button and wait for the save's answer. '' when it was saved (or no
    answer was heard: the reload decides), else why the save failed, naming the HTTP status."""
    spec = setting.save
    before_saved = await matches(page, spec.saved)
    before_failed = await matches(page, spec.failed)
    answers: list = []

    def heard(response) -> None:
        request = response.request
        if (
            spec.response
            and request.method != "GET"
            and patterns_.search_url(spec.response, response.url)
        ):
            answers.append(response.status)

    page.on("response", heard)
    try:
        button = locate(page, spec.click)
        if await count(button) != 1:
            raise PlaywrightError(
                f"{await count(button)} Save buttons match {spec.click.name or spec.click.text}"
            )
        await button.click(timeout=10000)
        deadline = asyncio.get_running_loop().time() + timeout_s
        while asyncio.get_running_loop().time() < deadline:
            if answers and not 200 <= answers[-1] < 300:
                return f"the save was answered with HTTP {answers[-1]}"
            if not before_failed and await matches(page, spec.failed):
                return await said_failed(answers, bool(spec.response))
            if answers or (not before_saved and await matches(page, spec.saved)):
                return ""
            await asyncio.sleep(0.1)
        return ""
    finally:
        page.remove_listener("response", heard)
