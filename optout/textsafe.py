"""Making untrusted text inert before it reaches a terminal or JSON: names and texts from flows,
captures, pages and file names may carry escape sequences. Light on purpose (no rich): commands
that print a catalogue import it without the report's machinery."""

from __future__ import annotations

import re

_ESCAPES = re.compile(
    r"""
      \x1b\[[0-?]*[ -/]*[@-~]             # CSI: colours, cursor moves, erase
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?  # OSC: titles, hyperlinks, clipboard
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?       # DCS, SOS, PM, APC strings
    | \x1b[ -/]*[0-~]                     # any other escape
    | \x9b[0-?]*[ -/]*[@-~]               # 8-bit CSI
    """,
    re.VERBOSE,
)
# C0 except \t and \n, DEL, C1, and the bidi overrides that make text read differently than it is.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def inert(text: object) -> str:
    """`text` with terminal escape sequences and control characters (except \\n, \\t) removed."""
    if text is None:
        return ""
    return _CONTROLS.sub("", _ESCAPES.sub("", str(text)))


def inert_all(value):
    """`value` with every string in it (keys included, nested) made inert, for JSON output."""
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, dict):
        return {inert(k): inert_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [inert_all(v) for v in value]
    return value
