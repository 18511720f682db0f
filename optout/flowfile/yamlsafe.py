"""Reading a flow file's YAML: safe constructors only, and no anchors or aliases.

Flow files are written by strangers (local flows, updates). A YAML alias repeats a node by
reference, so a few kilobytes of `&a [*b, *b, …]` expand to billions of nodes (a 7 KB file cost
11 s and 735 MB). A flow never needs one, so an anchor or alias is refused before anything is
built, naming the file and the line: the scan reads the event stream, which stays the size of
the text.
"""

from __future__ import annotations

import re

import yaml

from optout.errors import FlowError


class AliasFreeSafeLoader(yaml.SafeLoader):
    """The pure-Python safe loader, refusing anchors and aliases as it composes."""

    where = "flow file"

    def compose_node(self, parent, index):  # PyYAML's hook
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise FlowError(_refusal(self.where, event))
        return super().compose_node(parent, index)


def _refusal(where: str, event) -> str:
    line = event.start_mark.line + 1 if event.start_mark else "?"
    return (
        f"{where}: line {line} uses a YAML anchor or alias (&name or *name); flow files may not "
        "use them (a few of them can expand to millions of entries). Write the values out."
    )


def _nesting(text: str) -> int:
    """How deep brackets nest, counting every bracket (quoted ones too: an overestimate is safe)."""
    depth = deepest = 0
    for ch in re.findall(r"[\[\]{}]", text):
        depth = depth + 1 if ch in "[{" else max(0, depth - 1)
        deepest = max(deepest, depth)
    return deepest


def load(text: str, where: str):
    """The data of a flow file's YAML `text` (`where` names it in errors). Raises FlowError for an
    anchor or alias, yaml.YAMLError for YAML that cannot be read, RecursionError for absurd
    nesting."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None and _nesting(text) < 64:
        # libyaml is ten times faster but composes in C, past any Python hook: scan its events
        # first (no node is built, so an alias costs nothing), then load.
        for event in yaml.parse(text, Loader=fast):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise FlowError(_refusal(where, event))
        return yaml.load(text, Loader=fast)  # noqa: S506 - libyaml's safe loader
    # the pure-Python loader reports absurd nesting as an error where libyaml overflows the C stack
    loader = type("Loader", (AliasFreeSafeLoader,), {"where": where})
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
