"""`optout check PLATFORM --capture`: after each setting's page is read, the engine calls a Capturer
(RunOptions.capture), which walks the page, scrubs it and writes one capture file, 0600, in the
profile's captures folder (0700); or writes nothing and says why, when the page would keep the
account's name or a secret."""

from __future__ import annotations

import asyncio
import re
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog

from optout.capture import fileformat, snapshot
from optout.capture.keep import Keeper
from optout.errors import OptoutError

log = structlog.get_logger()


@dataclass
class Note:
    """What became of one page: the file written, or why nothing was."""

    platform: str
    setting: str
    path: Path | None = None
    refused: str = ""

    def line(self, width: int = 80) -> str:
        """What became of the page, wrapped to `width` (a path on a line of its own)."""

        if self.path:
            return f"Captured {self.platform} {self.setting}:\n  {self.path}"
        return textwrap.fill(
            f"Not captured {self.platform} {self.setting}: {self.refused}; nothing was written.",
            width,
            subsequent_indent="  ",
        )

    def as_dict(self) -> dict:
        return {
            "platform": self.platform,
            "setting": self.setting,
            "file": str(self.path) if self.path else None,
            "refused": self.refused or None,
        }


async def take(page, flow, keeper: Keeper | None = None) -> tuple[str, dict]:
    """(the scrubbed page as HTML, what the walker reported) for the page as it is now."""
    walked = await page.evaluate(snapshot.WALK_JS)
    return snapshot.to_html(walked, keeper or Keeper.for_flow(flow)), walked


def header(flow, setting, url: str, state: str, item: tuple[str, str] | None = None) -> dict:
    """The capture's header. `item`: (the account's own item name, its stand-in) for a per-item
    setting (a blog, a site): the name is in neither the header nor the file name."""
    setting_id, label, kept_url = (
        setting.id,
        setting.label,
        snapshot.bare_url(url),
    )  # replay serves it there
    if item is not None:
        name, stand_in = item
        setting_id = setting_id.split("/", 1)[0] + "/" + stand_in
        label = label.replace(f"({name})", f"({stand_in})").replace(name, stand_in)
        kept_url = kept_url.replace(name, stand_in)
    return {
        "format": fileformat.FORMAT,
        "platform": flow.id,
        "setting": setting_id,
        "label": label,
        "url": kept_url,
        "flow_version": flow.version,
        "captured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "state": state,
    }


def item_of(flow, setting) -> str | None:
    """The item name of a per-item setting (`ai-training/janeblog` → `janeblog`), else None."""
    base, _, item = setting.id.partition("/")
    spec = next((s for s in flow.settings if s.id == base), None)
    return item if item and spec is not None and spec.items is not None else None


@dataclass
class Capturer:
    """The engine's capture hook: one file per setting's page read."""

    folder: Path
    notes: list[Note] = field(default_factory=list)
    timeout_s: float = 30.0
    _keepers: dict[str, Keeper] = field(default_factory=dict)
    _items: dict[str, dict[str, str]] = field(
        default_factory=dict
    )  # flow → item name → its stand-in

    async def __call__(self, page, flow, account, setting, result) -> None:
        note = Note(flow.id, setting.id)
        self.notes.append(note)
        if not flow.owns(page.url):
            note.refused = (
                f"the page had left {flow.name} ({snapshot.bare_url(page.url) or 'no page'})"
            )
            return
        keeper = self._keepers.setdefault(flow.id, Keeper.for_flow(flow))
        try:
            page_html, walked = await asyncio.wait_for(take(page, flow, keeper), self.timeout_s)
        except TimeoutError:
            note.refused = f"the page could not be walked within {self.timeout_s:g} s"
            return
        except Exception as exc:  # a page that went away: this setting's capture only
            note.refused = f"the page could not be read ({type(exc).__name__})"
            return
        name = item_of(flow, setting)
        item = None
        if name is not None:
            seen = self._items.setdefault(flow.id, {})
            item = (name, seen.setdefault(name, f"item-{len(seen) + 1}"))
        capture = fileformat.Capture(
            header(flow, setting, page.url, str(result.state), item), page_html
        )
        if walked.get("truncated"):  # a huge page: the walker stopped at its budget of elements
            capture.header["truncated"] = True
        text = capture.text()
        why = snapshot.leaks(text, account.name, account.credential, also=(name,) if name else ())
        if why:
            note.refused = f"{why} (a name, id or pattern matched it), so it was refused"
            log.warning("capture.refused", platform=flow.id, setting=setting.id, reason=why)
            return
        from optout.paths import private_dir, write_private

        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        stem = re.sub(r"[^a-z0-9-]+", "_", f"{flow.id}-{capture.header['setting']}")[:100]
        path = self.folder / f"{stem}-{stamp}.html"
        try:
            private_dir(self.folder)
            write_private(path, text.encode("utf-8"))
        except OptoutError as exc:  # a full disk, a read-only folder: said, and the run goes on
            note.refused = f"it could not be written ({exc.message})"
            return
        note.path = path
        log.info("capture.written", platform=flow.id, setting=setting.id)
