"""Looking at a page without acting on it: signals, controls, language, evidence."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from optout.flowfile.schema import Locator, Signal


def names_pattern(names: list[str]) -> re.Pattern:
    return re.compile("|".join(re.escape(n) for n in names), re.IGNORECASE)


def _whole(pattern: re.Pattern) -> re.Pattern:
    return re.compile(f"^\\s*(?:{pattern.pattern})\\s*$", re.IGNORECASE)


def locate(page, spec: Locator):
    """The elements a flow's locator names, on a page or inside another locator."""
    if spec.role:
        extra = {} if spec.checked is None else {"checked": spec.checked}
        if spec.name:
            pattern = names_pattern(spec.name)
            return page.get_by_role(
                spec.role, name=_whole(pattern) if spec.exact else pattern, **extra
            )
        return page.get_by_role(spec.role, **extra)
    if spec.text:
        pattern = names_pattern(spec.text)
        return page.get_by_text(_whole(pattern) if spec.exact else pattern)
    return page.locator(spec.css)


async def count(locator) -> int:
    try:
        return await locator.count()
    except PlaywrightError:  # the page navigated while we looked
        return 0


async def body_text(page: Page) -> str:
    try:
        return await page.evaluate("() => document.body ? document.body.innerText : ''")
    except PlaywrightError:
        return ""


async def page_language(page: Page) -> str:
    try:
        lang = await page.evaluate("() => document.documentElement.lang || ''")
    except PlaywrightError:
        return ""
    return lang.split("-")[0].lower()


async def matches(page: Page, signal: Signal | None, text: str | None = None) -> bool:
    if signal is None:
        return False
    if signal.unless is not None and await matches(page, signal.unless, text):
        return False
    if signal.matches_url(page.url):
        return True
    for spec in signal.present:
        if await count(locate(page, spec)) > 0:
            return True
    if signal.texts:
        text = await body_text(page) if text is None else text
        return signal.matches_text(text)
    return False


READ_JS = """el => ({
  aria: el.getAttribute('aria-checked'),
  checked: ('checked' in el && (el.type === 'checkbox' || el.type === 'radio')) ? el.checked : null,
  disabled: !!el.disabled || el.matches(':disabled') || !!el.closest('[aria-disabled=true]'),
})"""


async def read_checked(locator) -> tuple[bool | None, bool, str]:
    """(checked, disabled, why-unreadable). checked is None when the control does not say."""
    raw = await locator.evaluate(READ_JS)
    aria, checked = raw["aria"], raw["checked"]
    if aria not in (None, "true", "false"):
        return None, raw["disabled"], f"the control reads aria-checked={aria!r}"
    aria_value = None if aria is None else aria == "true"
    if aria_value is not None and checked is not None and aria_value != checked:
        return None, raw["disabled"], "the control reads both on (one way) and off (the other)"
    value = aria_value if aria_value is not None else checked
    if value is None:
        return None, raw["disabled"], "the control has no checked state"
    return value, raw["disabled"], ""


AREA_JS = """el => {
  const label = (el.labels && el.labels[0]) || el.closest('label');
  const area = el.closest('section, fieldset, [role=region], [role=group], li, form') || label || el;
  return area.getBoundingClientRect().height > 900 ? (label || el) : area;
}"""


async def screenshot_area(locator, path: Path) -> Path | None:
    """A screenshot of the setting's area only: never the whole account page. None when the page
    cannot give one; an OSError (the file cannot be written) is the caller's to report."""
    try:
        handle = await locator.evaluate_handle(AREA_JS)
        element = handle.as_element()
        if element is None:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        await element.screenshot(path=str(path))
        return path
    except PlaywrightError:
        return None


#: Where a click on a control lands: on the control itself when a person can see it, else on a
#: label whose `control` is that very element (a visually hidden input behind its label). A label
#: that merely contains it (`<label for=…>` naming another element) is never used: its click would
#: switch that other element.
TARGET_JS = """el => {
  el.scrollIntoView({block: 'center'});
  const seen = node => {
    const r = node.getBoundingClientRect();
    if (r.width <= 2 || r.height <= 2 || getComputedStyle(node).opacity === '0') return false;
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !!hit && (hit === node || node.contains(hit));
  };
  if (seen(el)) return 'self';
  const labels = Array.from(el.labels || []).filter(l => l.control === el);
  const index = labels.findIndex(seen);
  return index >= 0 ? index : (labels.length ? 'hidden' : 'none');
}"""


class NotClickable(PlaywrightError):
    """The control read is neither visible nor behind a label of its own: nothing was clicked."""


async def click_control(locator, timeout_ms: int = 10000) -> None:
    """Click exactly the control that was read: the element itself when it can be seen, else a
    label whose `control` is that element (LinkedIn's Artdeco toggles hide the input behind its
    label). Anything else fails closed, with nothing clicked."""
    target = await locator.evaluate(TARGET_JS)
    if target == "self":
        await locator.click(timeout=timeout_ms)
        return
    if isinstance(target, int):
        label = (
            await locator.evaluate_handle(
                f"el => Array.from(el.labels).filter(l => l.control === el)[{target}]"
            )
        ).as_element()
        if label is not None and await label.evaluate(
            "(l, el) => l.control === el", await locator.element_handle()
        ):
            await label.click(timeout=timeout_ms)
            return
    raise NotClickable(
        "the switch is hidden and no label of its own shows it (a label nearby belongs to "
        "another element); nothing was clicked"
    )


#: The element a row that names a setting opens it through (ChatGPT's "On ›" at the row's right,
#: where the label's text is inert). From the label, the nearest ancestor holding any interactive
#: element besides the label is the row; it must hold exactly one, a button or link (never a
#: toggle, which would change the setting), on the label's own line. Else a reason, and nothing is
#: clicked. 'inside': the label is in a clickable itself; 'none': the row has no clickable at all.
ROW_JS = """el => {
  const ANY = 'a[href], button, input, select, textarea, summary, [role=button], [role=link], [role=switch],'
    + ' [role=checkbox], [role=radio], [role=menuitem], [role=menuitemcheckbox], [role=menuitemradio],'
    + ' [role=option], [role=tab], [role=combobox], [role=slider], [contenteditable=true],'
    + ' [tabindex]:not([tabindex="-1"])';
  if (el.closest(ANY)) return 'inside';
  const shown = n => {
    const r = n.getBoundingClientRect(), style = getComputedStyle(n);
    return r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && style.display !== 'none';
  };
  const box = el.getBoundingClientRect();
  for (let node = el.parentElement, up = 0; node && node !== document.body && up < 6; node = node.parentElement, up++) {
    const found = Array.from(node.querySelectorAll(ANY)).filter(n => !el.contains(n) && shown(n));
    const outer = found.filter(n => !found.some(o => o !== n && o.contains(n)));  // nested: one element
    if (outer.length === 0) continue;
    if (outer.length > 1) return `its row holds ${outer.length} elements that can be clicked`;
    const only = outer[0];
    if (!only.matches('a[href], button, summary, [role=button], [role=link]')
        || only.matches('[role=switch], [role=checkbox], [role=radio], [aria-checked], [aria-pressed]'))
      return 'the only element in its row is not a button or link';
    const r = only.getBoundingClientRect();
    if (r.bottom <= box.top || r.top >= box.bottom) return 'the only button near it is not on its line';
    return only;
  }
  return 'none';
}"""


async def row_opener(label):
    """(element to click, why not): the row's own button for a label found by its text; the label
    itself when it is clickable or its row holds nothing clickable (the fallback); None and the
    reason when the row's element cannot be told unambiguously."""
    try:
        handle = await label.evaluate_handle(ROW_JS)
    except PlaywrightError as exc:
        return None, f"its row could not be read ({exc.message.splitlines()[0]})"
    element = handle.as_element()
    if element is not None:
        return element, ""
    why = await handle.json_value()
    if why in ("inside", "none"):
        return label, ""
    return None, why
