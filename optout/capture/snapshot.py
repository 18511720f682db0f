"""A page's structure, taken in the page and scrubbed here into HTML that can be served back.

The walker (WALK_JS) runs in the page and leaves out, before anything crosses into Python, what a
capture never holds: scripts, styles, templates, comments, frames' and media's content, image
sources, field values (a button's label aside), textarea contents. It reports the live state a
reading depends on (a checkbox's `checked` property, not its stale attribute; a selected option;
what CSS hides). `to_html` then keeps, of every text and text-like attribute, only the parts the
flow's own patterns match or a whole UI word (keep.py), with the same regex semantics the engine
uses; everything else becomes "▒". `leaks` refuses the result when the account's name or a known
secret is in it anyway (a kept id, a pattern that happens to match it), raw or escaped.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import quote, quote_plus, unquote

from optout import logs
from optout.capture.fileformat import VOID
from optout.capture.keep import Keeper, _bare

#: The walker. Elements are {"t": tag, "a": {attr: value}, "c": [children], "r": [shadow children],
#: "h": 1 when CSS hides it (display:none), "v": 1 when visibility:hidden}; texts are strings.
WALK_JS = """() => {
  const DROP = new Set(['script', 'style', 'noscript', 'template', 'link', 'meta', 'base', 'head']);
  const EMPTY = new Set(['iframe', 'frame', 'object', 'embed', 'video', 'audio', 'canvas', 'img',
                         'picture', 'source', 'textarea', 'input', 'select']);
  const BUTTONS = new Set(['button', 'submit', 'reset']);
  let budget = 60000;
  const walk = (node) => {
    if (node.nodeType === 3) return node.data;
    if (node.nodeType !== 1 || --budget < 0) return null;
    const tag = node.localName;
    if (DROP.has(tag)) return null;
    const attrs = {};
    for (const a of Array.from(node.attributes)) {
      if (a.name.startsWith('on') || a.name === 'style' || a.name === 'srcset') continue;
      attrs[a.name] = a.value;
    }
    delete attrs.checked; delete attrs.selected;
    if (tag === 'input') {
      if (!BUTTONS.has((node.type || '').toLowerCase())) delete attrs.value;
      if (node.type === 'checkbox' || node.type === 'radio') { if (node.checked) attrs.checked = ''; }
    }
    if (tag === 'option' && node.selected) attrs.selected = '';
    if (tag === 'img') delete attrs.src;
    const out = {t: tag, a: attrs, c: []};
    const style = node.ownerDocument.defaultView.getComputedStyle(node);
    if (style && style.display === 'none') out.h = 1;
    else if (style && style.visibility === 'hidden') out.v = 1;
    if (node.shadowRoot) out.r = Array.from(node.shadowRoot.childNodes).map(walk).filter(x => x !== null);
    if (tag === 'select') {
      out.c = Array.from(node.querySelectorAll('option, optgroup')).map(walk).filter(x => x !== null);
    } else if (!EMPTY.has(tag)) {
      out.c = Array.from(node.childNodes).map(walk).filter(x => x !== null);
    }
    return out;
  };
  const root = document.documentElement;
  return {
    lang: root.getAttribute('lang') || '',
    dir: root.getAttribute('dir') || '',
    title: document.title || '',
    body: document.body ? walk(document.body) : null,
    truncated: budget < 0,
  };
}"""

PLACEHOLDER = "▒"
#: Attributes that name other elements by id: they tie the page together (a label to its control,
#: a dialog to its heading). Their ids, like `id` and `class` themselves, are kept only when the
#: flow's CSS names them; every other one becomes a pseudonym, the same one wherever it recurs in
#: the page, so the ties hold without the page's own names (`jane-doe-profile`).
ID_REFS = {
    "id",
    "for",
    "aria-labelledby",
    "aria-describedby",
    "aria-controls",
    "aria-owns",
    "aria-activedescendant",
    "aria-details",
    "aria-errormessage",
    "aria-flowto",
    "list",
    "form",
    "headers",
}
#: WAI-ARIA 1.2 roles (https://www.w3.org/TR/wai-aria-1.2/#role_definitions): any other `role` is
#: the page's own word, not a role, and becomes a placeholder.
ROLES = set(
    """
    alert alertdialog application article banner blockquote button caption cell checkbox code
    columnheader combobox complementary contentinfo definition deletion dialog directory document
    emphasis feed figure form generic grid gridcell group heading img insertion link list listbox
    listitem log main marquee math menu menubar menuitem menuitemcheckbox menuitemradio meter
    navigation none note option paragraph presentation progressbar radio radiogroup region row
    rowgroup rowheader scrollbar search searchbox separator slider spinbutton status strong
    subscript superscript switch tab table tablist tabpanel term textbox time timer toolbar
    tooltip tree treegrid treeitem
""".split()
)
_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")  # a language tag, not any word


class Pseudonyms:
    """One capture's stand-ins for the page's own ids, classes and custom tag names: the same
    name always gets the same stand-in (i1, c1, x-1), names the flow's CSS uses stay."""

    def __init__(self, keeper: Keeper):
        self.ids, self.classes, self.tags = keeper.css_tokens()
        self.given: dict[tuple[str, str], str] = {}

    def _of(self, kind: str, name: str, form: str) -> str:
        key = (kind, name)
        if key not in self.given:
            self.given[key] = form.format(sum(1 for k in self.given if k[0] == kind) + 1)
        return self.given[key]

    def id(self, name: str) -> str:
        return name if name in self.ids else self._of("id", name, "i{}")

    def css_class(self, name: str) -> str:
        return name if name in self.classes else self._of("class", name, "c{}")

    def tag(self, name: str) -> str:
        name = name.lower()
        if "-" not in name or name in self.tags:
            return name
        return self._of("tag", name, "x-{}")


def _verbatim(name: str, value: str, names: Pseudonyms) -> str | None:
    """The page-structure attributes, their names pseudonymised (Pseudonyms); None: not one."""
    if name in ID_REFS:
        return " ".join(names.id(t) for t in value.split())
    if name == "class":
        return " ".join(names.css_class(t) for t in value.split())
    if name == "role":
        return " ".join(t if t in ROLES else PLACEHOLDER for t in value.lower().split())
    return None


#: States with a known set of values; anything else there (markup, escapes) becomes a placeholder.
_BOOL = {"true", "false"}
STATES = {
    "aria-checked": _BOOL | {"mixed"},
    "aria-pressed": _BOOL | {"mixed"},
    "aria-expanded": _BOOL,
    "aria-disabled": _BOOL,
    "aria-selected": _BOOL,
    "aria-hidden": _BOOL,
    "aria-modal": _BOOL,
    "aria-required": _BOOL,
    "aria-readonly": _BOOL,
    "aria-busy": _BOOL,
    "aria-multiselectable": _BOOL,
    "aria-invalid": _BOOL | {"grammar", "spelling"},
    "aria-current": _BOOL | {"page", "step", "location", "date", "time"},
    "aria-haspopup": _BOOL | {"menu", "listbox", "tree", "grid", "dialog"},
    "aria-live": {"off", "polite", "assertive"},
    "aria-orientation": {"horizontal", "vertical"},
    "type": {
        "button",
        "checkbox",
        "color",
        "date",
        "datetime-local",
        "email",
        "file",
        "hidden",
        "image",
        "month",
        "number",
        "password",
        "radio",
        "range",
        "reset",
        "search",
        "submit",
        "tel",
        "text",
        "time",
        "url",
        "week",
        "menu",
        "toolbar",
        "context",
    },
    "autocomplete": {
        "on",
        "off",
        "username",
        "current-password",
        "new-password",
        "one-time-code",
        "email",
        "tel",
        "name",
    },
}
NUMBERS = {
    "tabindex",
    "aria-level",
    "aria-posinset",
    "aria-setsize",
    "colspan",
    "rowspan",
    "maxlength",
}
BOOLEANS = {
    "checked",
    "disabled",
    "hidden",
    "selected",
    "required",
    "readonly",
    "open",
    "multiple",
    "inert",
}
#: Attributes a person reads (or a screen reader says): scrubbed like text.
TEXTS = {
    "aria-label",
    "title",
    "placeholder",
    "alt",
    "label",
    "aria-valuetext",
    "aria-roledescription",
    "aria-placeholder",
    "value",
}
URLS = {"href", "src", "action"}
#: Placeholder words in a row beyond which a long text is shortened (a 5 MB page stays small).
MAX_WORDS = 40
#: Characters of text after which a text holding nothing kept is one "▒" (a 5 MB page of
#: paragraphs makes a capture of a few hundred kB, still readable with `optout capture show`).
TEXT_BUDGET = 100_000


bare_url = _bare  # a URL as scheme, host and path: no query, no fragment, no user or port


def scrub_text(text: str, keep: list[tuple[int, int]], keeper: Keeper) -> str:
    """`text` with every character outside the `keep` spans replaced, word by word, by "▒" (at
    most 12 per word; a long run of replaced words is shortened); whitespace is one space."""
    if keeper.whole_word(text):
        return " ".join(text.split())
    mask = bytearray(len(text))
    for start, end in keep:
        mask[max(0, start) : max(0, end)] = b"\x01" * (max(0, end) - max(0, start))
    out: list[str] = []
    run = 0  # replaced words in a row
    for match in re.finditer(r"\s+|\S+", text):
        word, at = match.group(), match.start()
        if word.isspace():
            if out and out[-1] != " ":
                out.append(" ")
            continue
        if not any(mask[at : at + len(word)]):
            run += 1
            if run <= MAX_WORDS:
                out.append(PLACEHOLDER * min(len(word), 12))
            elif run == MAX_WORDS + 1:
                out.append("…")
            continue
        run = 0
        piece, pending = [], 0
        for i, ch in enumerate(word):
            if mask[at + i]:
                if pending:
                    piece.append(PLACEHOLDER * min(pending, 12))
                    pending = 0
                piece.append(ch)
            else:
                pending += 1
        if pending:
            piece.append(PLACEHOLDER * min(pending, 12))
        out.append("".join(piece))
    return "".join(out)


def _attr_value(
    name: str, value: str, tag: str, keeper: Keeper, names: Pseudonyms | None = None
) -> str | None:
    """What a capture holds of one attribute: its value, a scrubbed one, or None (left out)."""
    names = names or Pseudonyms(keeper)
    if name in URLS:
        if name in keeper.css_attrs and keeper.css_value(name, bare_url(value)):
            return bare_url(value)  # `iframe[src*='arkoselabs']`
        return keeper.url(value) or None
    if name in keeper.css_attrs and keeper.css_value(name, value):
        return value  # what the flow's own selectors look for (`[type=COOKIE_CONSENT]`)
    if name in ("lang", "dir"):  # a language tag or a direction, else left out
        return (
            value
            if (
                _LANG.fullmatch(value)
                if name == "lang"
                else value.lower() in ("ltr", "rtl", "auto")
            )
            else None
        )
    if (structure := _verbatim(name, value, names)) is not None:
        return structure
    if name in BOOLEANS:
        return ""
    if name in STATES:
        return value if value.strip().lower() in STATES[name] else PLACEHOLDER
    if name in NUMBERS:
        return value if re.fullmatch(r"-?\d{1,4}", value.strip()) else None
    if name in TEXTS:
        if name == "value" and tag not in ("input", "button"):
            return None  # an option's or a field's value is data, not what is shown
        return scrub_text(value, keeper.spans(value), keeper)
    if name in keeper.css_attrs:
        return PLACEHOLDER
    return None


class _Texts:
    """Every text node of a page in order, scrubbed against matches over their joined text (a
    pattern may cross elements: "We've received your <b>objection</b>")."""

    def __init__(self, keeper: Keeper):
        self.keeper, self.texts = keeper, []

    def collect(self, node) -> None:
        if isinstance(node, str):
            self.texts.append(node)
        elif isinstance(node, dict):
            for child in node.get("r", []) + node.get("c", []):
                self.collect(child)

    def scrubbed(self) -> list[str]:
        merged: list[list[int]] = []  # the kept spans, disjoint and in order
        for start, end in sorted(self.keeper.spans("".join(self.texts))):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        out, offset, size, first = [], 0, 0, 0
        for text in self.texts:
            end = offset + len(text)
            while first < len(merged) and merged[first][1] <= offset:
                first += 1
            local = []
            for start, stop in merged[first:]:
                if start >= end:
                    break
                local.append((max(start, offset) - offset, min(stop, end) - offset))
            if size > TEXT_BUDGET and not local and not self.keeper.whole_word(text):
                out.append(PLACEHOLDER if text.strip() else text[:1])  # past the budget: one mark
            else:
                out.append(scrub_text(text, local, self.keeper))
            size += len(out[-1])
            offset = end
        return out


def to_html(walked: dict, keeper: Keeper) -> str:
    """The walker's result as a servable HTML document holding only what a capture may hold."""
    texts = _Texts(keeper)
    body = walked.get("body") or {"t": "body", "a": {}, "c": []}
    texts.collect(body)
    scrubbed = iter(texts.scrubbed())
    parts: list[str] = []
    names = Pseudonyms(keeper)

    def emit(node) -> None:
        if isinstance(node, str):
            parts.append(html.escape(next(scrubbed), quote=False))
            return
        tag = names.tag(node["t"]) if re.fullmatch(r"[a-z][a-z0-9-]*", node["t"], re.I) else "div"
        attrs = []
        for name, value in sorted(node.get("a", {}).items()):
            if not re.fullmatch(r"[a-z][a-z0-9_:.-]*", name, re.I):
                continue
            kept = _attr_value(name.lower(), value, tag, keeper, names)
            if kept is not None:
                attrs.append(f' {name}="{html.escape(kept, quote=True)}"' if kept else f" {name}")
        if node.get("h") and "hidden" not in node.get("a", {}):
            attrs.append(" hidden")
        if node.get("v"):
            attrs.append(' style="visibility:hidden"')
        parts.append(f"<{tag}{''.join(attrs)}>")
        if tag in VOID:
            return
        if node.get("r"):
            parts.append('<template shadowrootmode="open">')
            for child in node["r"]:
                emit(child)
            parts.append("</template>")
        for child in node.get("c", []):
            emit(child)
        parts.append(f"</{tag}>")

    emit(body)
    title = scrub_text(walked.get("title", ""), keeper.spans(walked.get("title", "")), keeper)
    lang = walked.get("lang", "") if _LANG.fullmatch(walked.get("lang", "")) else ""
    head = f'<head><meta charset="utf-8"><title>{html.escape(title, quote=False)}</title></head>'
    return f'<!doctype html>\n<html lang="{lang}">{head}{"".join(parts)}</html>\n'


def variants(secret: str) -> set[str]:
    """The ways a secret can show up in a page's text: as is, HTML-escaped, URL-encoded and
    JSON-escaped."""
    forms = {
        secret,
        html.escape(secret, quote=True),
        html.escape(secret, quote=False),
        html.escape(secret, quote=True).replace("&#x27;", "&#39;"),
        quote(secret, safe=""),
        quote(secret, safe="/@"),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    return {f.casefold() for f in forms if f}


def name_variants(name: str) -> set[str]:
    """The ways a person's name shows up on a page besides as typed: its e-mail's local part or a
    handle without its @, and each of those with its parts joined otherwise (`jane.doe` is also
    `jane-doe`, `jane_doe`, `janedoe`, `JaneDoe`; case is ignored when compared)."""
    name = name.strip()
    found = {name} if name else set()
    local = name.split("@")[0] if "@" in name[1:] else name.lstrip("@")
    if local != name and len(local) >= 5:
        found.add(local)
    parts = [
        w for p in re.split(r"[\s._+-]+", local) for w in re.findall(r"[A-Z]*[a-z0-9]+|[A-Z]+", p)
    ]
    if len(parts) > 1:
        for joiner in ("", "-", "_", ".", " "):
            joined = joiner.join(parts)
            if len(joined) >= 5:
                found.add(joined)
    return found


def phone_digits(name: str) -> str | None:
    """The digits of a phone number used as a login (its last nine: with or without a country
    code), or None when the name is not one."""
    digits = re.sub(r"\D", "", name)
    if re.fullmatch(r"\+?[\d\s().-]+", name.strip()) and len(digits) >= 7:
        return digits[-9:]
    return None


def watched(
    account_name: str, credential=None, also: tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    """(what, text) for everything a capture must never hold: the account's name in each of its
    forms (name_variants), a per-item name (`also`: a blog, a site), the password and the TOTP
    secret."""
    found = []
    for name in {account_name, getattr(credential, "username", "") or ""}:
        found += [("the account's name", form) for form in sorted(name_variants(name))]
    found += [("the name of one of the account's items", item) for item in also if len(item) >= 3]
    if credential is not None:
        if getattr(credential, "password", ""):
            found.append(("the password", credential.password))
        if getattr(credential, "totp_secret", None):
            found.append(("the TOTP secret", credential.totp_secret))
    return found


def leaks(text: str, account_name: str, credential=None, also: tuple[str, ...] = ()) -> str | None:
    """Why `text` may not be kept (it holds the account's name in any of its forms, an item's name
    or a secret, raw or escaped), or None."""

    unescaped = html.unescape(text)
    seen = {t.casefold() for t in (text, unescaped, unquote(text), unquote(unescaped))}
    for what, secret in watched(account_name, credential, also):
        if any(form in hay for form in variants(secret) for hay in seen):
            return f"the page kept {what}"
    for name in {account_name, getattr(credential, "username", "") or ""}:
        if (digits := phone_digits(name)) and any(
            digits in re.sub(r"(?<=\d)[\s().+-]+(?=\d)", "", hay) for hay in seen
        ):
            return "the page kept the account's phone number"
    if logs.scrub(text) != text:
        return "the page kept a secret optout knows"
    return None
