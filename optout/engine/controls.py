"""Each kind of control a flow can declare: how to find it, read it, and switch it off.

`read` answers (opted_out, disabled, why): opted_out is None when the control does not clearly say,
and then nothing is clicked. A form is not here: it is sent, not switched (engine/forms.py)."""

from __future__ import annotations

import re

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from optout.flowspec import Choice, Menu, Switch
from optout.engine.pageprobe import click_control, count, names_pattern, read_checked


def _for_lang(mapping: dict[str, list[str]], lang: str) -> list[str]:
    """Labels of the page's language; every language's when the page does not say."""
    return mapping.get(lang) or [n for group in mapping.values() for n in group]


def exact(names: list[str]) -> re.Pattern:
    return re.compile("^\\s*(?:" + "|".join(re.escape(n) for n in names) + ")\\s*$", re.IGNORECASE)


async def find(page: Page, control, lang: str):
    """(how many match, locator) for the control's anchor element."""
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


async def read(page: Page, control, locator, lang: str) -> tuple[bool | None, bool, str]:
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
        return _classify_text(chosen, control.off_options, control.on_options, lang, "the dropdown shows"), disabled, \
            f"the dropdown shows {chosen.strip()!r}, which is neither an on nor an off choice"
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
        return _classify_text(text, control.off_texts, control.on_texts, lang, ""), disabled, \
            f"the button shows {text!r}, which is neither on nor off"
    raise TypeError(control)  # pragma: no cover


def _classify_text(text: str, off: dict, on: dict, lang: str, _what: str) -> bool | None:
    text = " ".join(text.split())
    is_off = bool(exact(_for_lang(off, lang)).match(text))
    is_on = bool(exact(_for_lang(on, lang)).match(text))
    return None if is_off == is_on else is_off


async def switch_off(page: Page, control, locator, lang: str) -> None:
    """Act once. Raises PlaywrightError when the page does not let it happen."""
    if isinstance(control, Switch):
        await click_control(locator)
    elif isinstance(control, Choice) and control.kind == "select":
        await locator.select_option(label=_for_lang(control.off_options, lang)[0])
    elif isinstance(control, Choice):
        await click_control(page.get_by_role("radio", name=exact(_for_lang(control.off_options, lang))))
    elif isinstance(control, Menu):
        await locator.click(timeout=5000)
        item = page.get_by_role("menuitem", name=exact(_for_lang(control.item, lang)))
        await item.wait_for(timeout=5000)
        if await item.count() != 1:
            raise PlaywrightError(f"{await item.count()} menu items match {control.item}")
        await item.click(timeout=5000)
    else:  # pragma: no cover
        raise TypeError(control)
