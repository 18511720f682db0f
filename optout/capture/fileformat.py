"""The capture file: one page, as an HTML file whose first line is a JSON header in a comment.

    <!-- optout-capture {"format": 1, "platform": "linkedin", "setting": "generative-ai",
         "url": "https://www.linkedin.com/mypreferences/d/...", "captured_at": "2026-12-02T13:00:00Z",
         "flow_version": 3, "state": "on", "label": "..."} -->
    <!doctype html>
    <html lang="en">...the scrubbed page...</html>

One file, so what is shared is what is shown (`optout capture show`) and what is replayed
(`optout flows test`); the header is one line of JSON whose `<` and `>` are escaped, so it can never
close its comment. `url` has no query or fragment; `state` is what optout read on that page;
`truncated: true` when the page had more elements than a capture walks (60,000).
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from optout.errors import OptoutError

FORMAT = 1
MAGIC = "<!-- optout-capture "
HEADER_FIELDS = (
    "format",
    "platform",
    "setting",
    "label",
    "url",
    "captured_at",
    "flow_version",
    "state",
)
MAX_BYTES = 8 * 1024 * 1024


@dataclass
class Capture:
    header: dict
    page: str  # the HTML document, as served back
    path: Path | None = None

    @property
    def setting(self) -> str:
        return self.header["setting"]

    def text(self) -> str:
        head = json.dumps(self.header, ensure_ascii=False, sort_keys=True)
        head = head.replace("<", "\\u003c").replace(">", "\\u003e").replace("--", "-\\u002d")
        return f"{MAGIC}{head} -->\n{self.page}"


def parse(text: str, path: Path | None = None) -> Capture:
    """A capture file's header and page; OptoutError naming the file when it is not one."""
    where = str(path) if path else "the capture"
    first, _, page = text.partition("\n")
    if not (first.startswith(MAGIC) and first.endswith(" -->")):
        raise OptoutError(
            f"{where} is not an optout capture (it does not start with its header).",
            "Captures are written by `optout check PLATFORM --capture`.",
        )
    try:
        header = json.loads(first[len(MAGIC) : -4])
    except ValueError as exc:
        raise OptoutError(f"{where}: its header is not valid JSON ({exc}).") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise OptoutError(
            f"{where}: capture format {header.get('format') if isinstance(header, dict) else '?'!r} "
            f"is not the one this optout reads ({FORMAT}).",
            "Update optout, or capture again.",
        )
    missing = [
        f for f in HEADER_FIELDS if f != "label" and not isinstance(header.get(f), (str, int))
    ]
    if missing:
        raise OptoutError(f"{where}: its header lacks {', '.join(missing)}.")
    return Capture(header, page, path)


def read(path: Path) -> Capture:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise OptoutError(f"{path} is too large for a capture ({path.stat().st_size} bytes).")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OptoutError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise OptoutError(f"{path} is not an optout capture (not UTF-8 text).") from None
    return parse(text, path)


# --- showing a capture --------------------------------------------------------------------------

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


#: How deep the tree of a capture goes: elements nested deeper are shown at this depth, in order,
#: so a hostile file nested thousands deep is read, shown and written as JSON without recursing.
MAX_DEPTH = 100


class _Tree(HTMLParser):
    """The page as nested {"tag", "attrs", "children"} with texts as {"text"}, at most MAX_DEPTH
    deep (the root says "flattened" when deeper elements were brought up to that depth)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = {"tag": "#document", "attrs": {}, "children": []}
        self.stack = [self.root]
        self.deeper = 0  # elements open beyond MAX_DEPTH, shown as children of the deepest kept one

    def handle_starttag(self, tag, attrs):
        node = {"tag": tag, "attrs": {k: v for k, v in attrs}, "children": []}
        self.stack[-1]["children"].append(node)
        if tag in VOID:
            return
        if len(self.stack) > MAX_DEPTH:
            self.deeper += 1
            self.root["flattened"] = True
        else:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1]["children"].append(
            {"tag": tag, "attrs": {k: v for k, v in attrs}, "children": []}
        )

    def handle_endtag(self, tag):
        if self.deeper:
            self.deeper -= 1
            return
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if data.strip():
            self.stack[-1]["children"].append({"text": " ".join(data.split())})

    def handle_comment(self, data):
        self.stack[-1]["children"].append({"comment": data})


def tree(capture: Capture) -> dict:
    parser = _Tree()
    parser.feed(capture.page)
    parser.close()
    return parser.root


def as_json(capture: Capture) -> dict:
    return {
        "file": str(capture.path) if capture.path else None,
        "header": capture.header,
        "page": tree(capture),
    }


def _element_line(node: dict) -> str:
    attrs = node["attrs"]
    head = node["tag"]
    if attrs.get("id"):
        head += f"#{attrs['id']}"
    if attrs.get("class"):
        head += "".join(f".{c}" for c in attrs["class"].split())
    rest = [
        k if v in (None, "") else f"{k}={json.dumps(v, ensure_ascii=False)}"
        for k, v in attrs.items()
        if k not in ("id", "class")
    ]
    return " ".join([head, *rest])


def show(capture: Capture, width: int = 80) -> str:
    """Everything the file holds, in plain text: the header's fields, then the page as an indented
    tree (an element's tag, #id, .classes and other attributes; texts in quotes), wrapped to `width`."""
    lines = [f"Capture {capture.path.name}" if capture.path else "Capture"]
    keys = [k for k in HEADER_FIELDS if k in capture.header] + sorted(
        set(capture.header) - set(HEADER_FIELDS)
    )
    for key in keys:
        lines += _wrap(f"{key:<13} {capture.header[key]}", "  ", width)
    lines.append("Page")

    page = tree(capture)
    if page.get("flattened"):
        lines.append(f"  (elements nested deeper than {MAX_DEPTH} are shown at depth {MAX_DEPTH})")
    todo = [(child, 1) for child in reversed(page["children"])]
    while todo:  # depth first, without recursion
        node, depth = todo.pop()
        indent = "  " * min(depth, 16)
        if "text" in node:
            lines.extend(_wrap(json.dumps(node["text"], ensure_ascii=False), indent, width))
        elif "comment" in node:
            lines.extend(_wrap(f"<!-- {node['comment']} -->", indent, width))
        else:
            lines.extend(_wrap(_element_line(node), indent, width))
            todo.extend((child, depth + 1) for child in reversed(node["children"]))
    return "\n".join(lines)


def _wrap(text: str, indent: str, width: int) -> list[str]:
    text = re.sub(r"[\x00-\x1f\x7f-\x9f]", "?", text)  # no terminal escapes from a shared file
    return textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=indent + "    ",
        break_long_words=True,
        break_on_hyphens=False,
        drop_whitespace=True,
    ) or [indent]
