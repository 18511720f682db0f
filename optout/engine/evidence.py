"""What one account's run keeps as proof: screenshots of a setting's area, the scrubbed page that
did not match its flow, and the Result that cites them. Files are readable by the owner only."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import escape
from html.parser import HTMLParser
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from optout import logs
from optout.engine.options import Account, RunOptions
from optout.engine.pageprobe import screenshot_area
from optout.flowfile.schema import Flow, Setting
from optout.paths import make_private, private_dir, write_private
from optout.results import Result
from optout.states import Kind, State

#: Every field's value, a password field's as "" (it is emptied whatever it holds).
FIELD_VALUES_JS = """() => Array.from(document.querySelectorAll('input, textarea'))
  .map((el) => (el.type === 'password' ? '' : String(el.value || '') + ' ' + (el.getAttribute('value') || '')))"""
#: Empty the password fields and the fields at the given indexes, value and value attribute.
CLEAR_FIELDS_JS = """(indexes) => Array.from(document.querySelectorAll('input, textarea')).forEach((el, i) => {
  if (el.type === 'password' || indexes.includes(i)) { el.value = ''; el.removeAttribute('value'); }
})"""


#: What a frame's document shows a person, as text: the body's rendered text; inside open shadow
#: roots too; CSS generated content (::before/::after, attr() resolved); field values and
#: placeholders; SVG text. `canvas`: the frame draws on a canvas, whose pixels no text can check.
RENDERED_TEXT_JS = r"""() => {
  const parts = [];
  let canvas = false;
  const pseudo = (el) => {
    for (const which of ['::before', '::after', '::marker']) {
      const content = getComputedStyle(el, which).content;
      if (!content || content === 'none' || content === 'normal') continue;
      parts.push(content.replace(/attr\(([^)]*)\)/g, (m, name) => el.getAttribute(name.trim()) || ''));
    }
  };
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      pseudo(el);
      const tag = el.tagName.toLowerCase();
      if (tag === 'canvas' && el.width * el.height > 0) canvas = true;
      if (tag === 'input' || tag === 'textarea' || tag === 'select') parts.push(String(el.value || ''), el.getAttribute('placeholder') || '');
      if (tag === 'text' || tag === 'tspan' || tag === 'textpath') parts.push(el.textContent || '');
      if (el.shadowRoot) {
        for (const node of el.shadowRoot.childNodes) parts.push(node.innerText !== undefined ? node.innerText : (node.textContent || ''));
        walk(el.shadowRoot);
      }
    }
  };
  if (document.body) parts.push(document.body.innerText);
  parts.push(document.title || '');
  walk(document);
  return {text: parts.join('\n'), canvas};
}"""


async def _layout_text(page: Page) -> str:
    """The text of every box Chromium laid out (closed shadow roots and generated content
    included), from a DOM snapshot; "" when the browser cannot give one."""
    try:
        session = await page.context.new_cdp_session(page)
    except (
        Exception
    ):  # not Chromium, or a connected browser that refuses: the frames' text still counts
        return ""
    try:
        snap = await session.send("DOMSnapshot.captureSnapshot", {"computedStyles": []})
        strings = snap.get("strings", [])
        return "\n".join(
            strings[i]
            for doc in snap.get("documents", [])
            for i in doc.get("layout", {}).get("text", [])
            if 0 <= i < len(strings)
        )
    except Exception:
        return ""
    finally:
        try:
            await session.detach()
        except Exception:
            pass


async def unsafe_to_keep(page: Page) -> str:
    """Why a picture of the page may show a secret ("" when its rendered text, every frame's, was
    read and holds none). Fails closed: a frame that cannot be read, or a canvas, is a reason."""
    texts = [await _layout_text(page)]
    for frame in page.frames:
        try:
            shown = await frame.evaluate(RENDERED_TEXT_JS)
        except PlaywrightError:
            return "the text of a frame of the page could not be read, so it could not be checked for a secret"
        texts.append(shown["text"])
        if shown["canvas"]:
            return "the page draws on a canvas, which cannot be checked for a secret"
    if logs.shows_secret("\n".join(texts)):
        return "the page showed a secret"
    return ""


async def without_secret_fields(page: Page) -> None:
    """Empty, in the page itself, every password field and every field holding a registered
    secret, before the page is kept. The secrets never go into the page: fields are compared here."""
    try:
        values = await page.evaluate(FIELD_VALUES_JS)
        await page.evaluate(
            CLEAR_FIELDS_JS, [i for i, v in enumerate(values) if logs.scrub(v) != v]
        )
    except PlaywrightError:  # the page went away: what is kept is scrubbed anyway
        pass


#: Put first in every kept page: opened from disk, it runs no script and loads nothing.
KEPT_CSP = (
    '<meta http-equiv="Content-Security-Policy" '
    "content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
)
#: Elements dropped with everything inside them, and elements dropped alone.
_DROP_WITH_CONTENT = {
    "script",
    "iframe",
    "frame",
    "object",
    "embed",
    "noscript",
    "template",
    "applet",
}
_DROP = {"base", "link", "portal", "frameset"}
_URL_SCHEME = re.compile(
    r"^[\x00-\x20]*(?:j[\s]*a[\s]*v[\s]*a[\s]*s[\s]*c[\s]*r[\s]*i[\s]*p[\s]*t|vbscript|data)[\s]*:",
    re.I,
)


class _Inert(HTMLParser):
    """Re-writes HTML element by element: scripts, frames, plug-ins, <base>, <link>, refreshes,
    event handlers and script URLs go; text and the rest are written back escaped."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.skipping: list[str] = []
        self.style = False  # inside <style>: its text is CSS, written back as it was

    def _tag(self, tag: str, attrs, close: str) -> None:
        if self.skipping:
            if tag in _DROP_WITH_CONTENT and not close:
                self.skipping.append(tag)
            return
        if tag in _DROP_WITH_CONTENT:
            if not close:
                self.skipping.append(tag)
            return
        if tag in _DROP or (tag == "meta" and any(k == "http-equiv" for k, _ in attrs)):
            return
        kept = "".join(
            f' {k}="{escape(v or "", quote=True)}"'
            for k, v in attrs
            if re.fullmatch(r"[a-z][a-z0-9_.:-]*", k)
            and not k.startswith("on")
            and k not in ("srcdoc", "formaction")
            and not (v and _URL_SCHEME.match(v) and not v.strip().lower().startswith("data:image/"))
        )
        self.out.append(f"<{tag}{kept}{close}>")
        self.style = tag == "style" and not close

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs, "")

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs, " /")

    def handle_endtag(self, tag):
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        self.style = False
        if tag not in _DROP_WITH_CONTENT | _DROP:
            self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(data if self.style else escape(data, quote=False))

    def handle_entityref(self, name):
        if not self.skipping:
            self.out.append(f"&{name};")

    def handle_charref(self, name):
        if not self.skipping:
            self.out.append(f"&#{name};")


def inert_html(html: str) -> str:
    """A page's HTML as it is kept as evidence: opened in a browser from disk, nothing in it runs
    (no script, no handler, no script URL) and nothing loads, under a CSP that allows none, put
    first so it governs everything after it."""
    parser = _Inert()
    parser.feed(html)
    parser.close()
    return KEPT_CSP + "\n" + "".join(parser.out)


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@-]+", "_", text)[:80] or "account"


class Evidence:
    """Evidence and results for one account of one flow."""

    #: How long a photograph of a whole page may take (a 10 MB page can take minutes, or fail).
    FULL_PAGE_MS = 15000
    VIEWPORT_MS = 10000

    def __init__(self, flow: Flow, account: Account, options: RunOptions, log):
        self.flow, self.account, self.options, self.log = flow, account, options, log
        #: Why, and what of, the current setting's evidence could not be written or kept: said in
        #: its result, and so taken (the next setting starts with none).
        self.problem = ""
        self.missing: list[str] = []
        #: A password was typed and the engine has not opened a page of its own since: what the
        #: site shows now (an error echoing what was typed, drawn any way) is never photographed.
        self.password_typed = False

    def result(
        self,
        setting: Setting,
        state: State,
        detail: str = "",
        *,
        changed=False,
        evidence=(),
        kind: Kind | None = None,
    ) -> Result:
        if self.problem:
            detail = f"{detail}; no screenshot kept: evidence could not be written ({self.problem})"
            self.problem = ""
        if self.missing:
            detail = f"{detail}; {'; '.join(self.missing)}"
            self.missing = []
        return Result(
            platform=self.flow.id,
            setting=setting.id,
            state=state,
            changed=changed,
            detail=logs.scrub(detail),
            evidence=list(evidence),
            account=self.account.name,
            label=setting.label,
            flow_version=self.flow.version,
            flow_source=self.flow.flow_source,
            optional=not self.options.targets(self.flow.id, setting),
            kind=kind,
        )

    def path(self, setting: Setting, what: str, ext: str = "png") -> Path:
        return (
            self.options.evidence_dir
            / self.flow.id
            / _slug(self.account.name)
            / setting.id
            / f"{_stamp()}-{what}.{ext}"
        )

    def failed(self, exc: Exception, *paths: Path) -> None:
        """Evidence that cannot be written (a full disk, a read-only folder) is noted in the
        result's detail; it never changes what was read. Partly written files are removed."""
        for path in paths:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
        reason = (
            exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0]
        )
        self.problem = logs.scrub(reason)
        self.log.warning("evidence.failed", error=self.problem)

    def folder(self, path: Path) -> None:
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
        shot = self.path(setting, what)
        if why := await self.why_no_picture(page):
            self.missing.append(f"no screenshot was kept: {why}")
            self.log.warning("evidence.no_screenshot", reason=why)
            return []
        try:
            self.folder(shot)
            if control is not None:
                taken = await screenshot_area(control, shot)
            else:
                await page.screenshot(path=str(shot))
                taken = shot
            if taken and (why := await self.why_no_picture(page)):  # changed while photographed
                taken.unlink(missing_ok=True)
                self.missing.append(f"no screenshot was kept: {why}")
                return []
            make_private(*([taken] if taken else []))
            return [taken] if taken else []
        except OSError as exc:
            self.failed(exc, shot)
        except PlaywrightError as exc:
            self.log.warning("evidence.failed", error=logs.scrub(str(exc).splitlines()[0]))
        return []

    async def why_no_picture(self, page: Page) -> str:
        """Why no screenshot of the page may be kept ("" if one may): a password was typed on
        it, or its rendered text shows a secret or could not be checked."""
        if self.password_typed:
            return "the page was shown after a password was typed"
        try:
            await without_secret_fields(page)
            return await unsafe_to_keep(page)
        except PlaywrightError:
            return "the page's text could not be read, so it could not be checked for a secret"

    async def keep_broken_page(self, page: Page, setting: Setting) -> list[Path]:
        """The HTML and a screenshot of a page that did not match the flow. Secrets never reach a
        file: the page's password fields and any field holding a known secret are emptied first;
        a page whose rendered text (every frame, shadow roots, generated content) shows a secret
        or cannot be read keeps nothing, since its source may hold the secret in pieces; the
        HTML is scrubbed and made inert; a page whose source still holds a secret, or shown
        after a password was typed, keeps no screenshot. What can be kept is kept: the HTML first, then the
        whole page, else the visible part when the whole one fails or takes too long (a huge
        page); what could not be kept is said in the result's detail."""
        kept: list[Path] = []
        shot = self.path(setting, "broken")
        html_path = shot.with_suffix(".html")
        try:
            self.folder(shot)
            try:
                await without_secret_fields(page)
            except (
                PlaywrightError
            ):  # a page that cannot be touched any more: the scrubbing below still holds
                pass
            try:
                unsafe = await unsafe_to_keep(page)
            except PlaywrightError:
                unsafe = (
                    "the page's text could not be read, so it could not be checked for a secret"
                )
            if (
                unsafe
            ):  # its source may hold the secret in pieces no scrub can join: nothing is kept
                self.missing.append(f"neither the page's HTML nor a screenshot was kept: {unsafe}")
            else:
                try:
                    html = await page.content()
                except PlaywrightError as exc:
                    self.missing.append(f"the page's HTML could not be kept ({_why(exc)})")
                else:
                    scrubbed = logs.scrub(html)
                    unsafe = "the page showed a secret" if scrubbed != html else ""
                    write_private(html_path, inert_html(scrubbed).encode("utf-8"))
                    kept.append(html_path)
                if self.password_typed and not unsafe:
                    unsafe = "the page was shown after a password was typed"
                if unsafe:
                    self.missing.append(f"no screenshot was kept: {unsafe}")
            if unsafe:
                self.log.warning("evidence.no_screenshot", reason=unsafe)
            else:
                try:
                    await page.screenshot(path=str(shot), full_page=True, timeout=self.FULL_PAGE_MS)
                except PlaywrightError as exc:
                    shot.unlink(missing_ok=True)
                    whole = _why(exc)
                    try:
                        await page.screenshot(path=str(shot), timeout=self.VIEWPORT_MS)
                        self.missing.append(
                            f"the screenshot shows the visible part of the page only: the "
                            f"whole page could not be photographed ({whole})"
                        )
                    except PlaywrightError as again:
                        shot.unlink(missing_ok=True)
                        self.missing.append(
                            f"no screenshot of the page could be taken ({whole}; "
                            f"the visible part: {_why(again)})"
                        )
            if shot.exists() and (
                again := await self.why_no_picture(page)
            ):  # changed while photographed
                shot.unlink(missing_ok=True)
                self.missing.append(f"no screenshot was kept: {again}")
            if shot.exists():
                make_private(shot)
                kept.append(shot)
        except OSError as exc:
            self.failed(exc, *(p for p in (shot, html_path) if p not in kept))
        for note in self.missing:
            self.log.warning("evidence.partial", note=note)
        return [
            p for p in (shot, html_path) if p in kept
        ]  # the screenshot first, as reports show it


def _why(exc: Exception) -> str:
    """A Playwright error's first line, in short: "no answer within 15 s" for a timeout."""
    text = logs.scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    match = re.search(r"Timeout (\d+)ms exceeded", text)
    return f"no answer within {int(match.group(1)) / 1000:g} s" if match else text
