"""What one account's run keeps as proof: screenshots of a setting's area, the scrubbed page that
did not match its flow, and the Result that cites them. Files are readable by the owner only."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from optout import logs
from optout.engine.options import Account, RunOptions
from optout.engine.pageprobe import screenshot_area
from optout.flowspec import Flow, Setting
from optout.paths import make_private, private_dir, write_private
from optout.results import Result
from optout.states import State


#: Every field's value, a password field's as "" (it is emptied whatever it holds).
FIELD_VALUES_JS = """() => Array.from(document.querySelectorAll('input, textarea'))
  .map((el) => (el.type === 'password' ? '' : String(el.value || '') + ' ' + (el.getAttribute('value') || '')))"""
#: Empty the password fields and the fields at the given indexes, value and value attribute.
CLEAR_FIELDS_JS = """(indexes) => Array.from(document.querySelectorAll('input, textarea')).forEach((el, i) => {
  if (el.type === 'password' || indexes.includes(i)) { el.value = ''; el.removeAttribute('value'); }
})"""


async def without_secret_fields(page: Page) -> None:
    """Empty, in the page itself, every password field and every field holding a registered
    secret, before the page is kept. The secrets never go into the page: fields are compared here."""
    try:
        values = await page.evaluate(FIELD_VALUES_JS)
        await page.evaluate(CLEAR_FIELDS_JS, [i for i, v in enumerate(values) if logs.scrub(v) != v])
    except PlaywrightError:  # the page went away: what is kept is scrubbed anyway
        pass


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@-]+", "_", text)[:80] or "account"


class Evidence:
    """Evidence and results for one account of one flow."""

    #: How long a photograph of a whole page may take (a 10 MB page can take minutes, or fail).
    FULL_PAGE_MS = 15000
    VIEWPORT_MS = 10000

    def __init__(self, flow: Flow, account: Account, options: RunOptions, log):
        self.flow, self.account, self.options, self.log = flow, account, options, log
        self.problem = ""  # why the current setting's evidence could not be written
        self.missing: list[str] = []  # what of the current setting's evidence could not be kept

    def result(self, setting: Setting, state: State, detail: str = "", *, changed=False, evidence=()) -> Result:
        if self.problem:
            detail = f"{detail}; no screenshot kept: evidence could not be written ({self.problem})"
        if self.missing:
            detail = f"{detail}; {'; '.join(self.missing)}"
            self.missing = []
        return Result(
            platform=self.flow.id, setting=setting.id, state=state, changed=changed,
            detail=logs.scrub(detail), evidence=list(evidence), account=self.account.name,
            label=setting.label, flow_version=self.flow.version, flow_source=self.flow.flow_source,
            optional=not self.options.targets(self.flow.id, setting),
        )

    def path(self, setting: Setting, what: str, ext: str = "png") -> Path:
        return (
            self.options.evidence_dir / self.flow.id / _slug(self.account.name) / setting.id
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
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0]
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
        try:
            self.folder(shot)
            if control is not None:
                taken = await screenshot_area(control, shot)
            else:
                await page.screenshot(path=str(shot))
                taken = shot
            make_private(*([taken] if taken else []))
            return [taken] if taken else []
        except OSError as exc:
            self.failed(exc, shot)
        except PlaywrightError as exc:
            self.log.warning("evidence.failed", error=logs.scrub(str(exc).splitlines()[0]))
        return []

    async def keep_broken_page(self, page: Page, setting: Setting) -> list[Path]:
        """The HTML and a screenshot of a page that did not match the flow. Secrets never reach a
        file: the page's password fields and any field holding a known secret are emptied first,
        the HTML is scrubbed, and a page that still shows a secret anywhere (echoed back in its
        text) is kept as scrubbed HTML only. What can be kept is kept: the HTML first, then the
        whole page, else the visible part when the whole one fails or takes too long (a huge
        page); what could not be kept is said in the result's detail."""
        kept: list[Path] = []
        shot = self.path(setting, "broken")
        html_path = shot.with_suffix(".html")
        try:
            self.folder(shot)
            try:
                await without_secret_fields(page)
            except PlaywrightError:  # a page that cannot be touched any more: the scrubbing below still holds
                pass
            shows_secret = False
            try:
                html = await page.content()
            except PlaywrightError as exc:
                self.missing.append(f"the page's HTML could not be kept ({_why(exc)})")
            else:
                scrubbed = logs.scrub(html)
                shows_secret = scrubbed != html
                write_private(html_path, scrubbed.encode("utf-8"))
                kept.append(html_path)
            if shows_secret:
                self.log.warning("evidence.no_screenshot", reason="the page shows a secret")
                self.missing.append("no screenshot was kept: the page showed a secret")
            else:
                try:
                    await page.screenshot(path=str(shot), full_page=True, timeout=self.FULL_PAGE_MS)
                except PlaywrightError as exc:
                    shot.unlink(missing_ok=True)
                    whole = _why(exc)
                    try:
                        await page.screenshot(path=str(shot), timeout=self.VIEWPORT_MS)
                        self.missing.append(f"the screenshot shows the visible part of the page only: the "
                                            f"whole page could not be photographed ({whole})")
                    except PlaywrightError as again:
                        shot.unlink(missing_ok=True)
                        self.missing.append(f"no screenshot of the page could be taken ({whole}; "
                                            f"the visible part: {_why(again)})")
            if shot.exists():
                make_private(shot)
                kept.append(shot)
        except OSError as exc:
            self.failed(exc, *(p for p in (shot, html_path) if p not in kept))
        for note in self.missing:
            self.log.warning("evidence.partial", note=note)
        return [p for p in (shot, html_path) if p in kept]  # the screenshot first, as reports show it


def _why(exc: Exception) -> str:
    """A Playwright error's first line, in short: "no answer within 15 s" for a timeout."""
    text = logs.scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    match = re.search(r"Timeout (\d+)ms exceeded", text)
    return f"no answer within {int(match.group(1)) / 1000:g} s" if match else text
