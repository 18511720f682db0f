"""Reading flow files: a YAML text (safe-loaded without anchors or aliases, size- and depth-bounded) checked against the schema
(optout.flowfile.schema), one file, or every flow in one folder. Which folders are read is always
the caller's choice: the person's layered flows are optout.flowfile.layers."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from optout.errors import FlowError, UnknownPlatform
from optout.flowfile import yamlsafe
from optout.flowfile.schema import Flow

MAX_FLOW_BYTES = 256 * 1024


def _where(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def load_flow(path: Path) -> Flow:
    try:
        size = path.stat().st_size
        if size > MAX_FLOW_BYTES:
            raise FlowError(
                f"{path}: {size} bytes is too large for a flow file (limit {MAX_FLOW_BYTES})."
            )
        text = path.read_text(encoding="utf-8")
    except FlowError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError(f"{path}: cannot read this flow file: {exc}") from None
    return parse_flow(text, str(path), path.stem)


def parse_flow(text: str, where: str, stem: str) -> Flow:
    """A flow from its YAML `text`; `where` names it in errors (a path, or a file in a bundle) and
    `stem` is the file name its id must match."""
    name = where.rsplit("/", 1)[-1]
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FLOW_BYTES:
        raise FlowError(f"{where}: too large for a flow file (limit {MAX_FLOW_BYTES} bytes).")
    try:
        data = yamlsafe.load(text, where)  # safe constructors, no anchors or aliases
    except yaml.YAMLError as exc:
        raise FlowError(f"{where}: cannot read this flow file: {exc}") from None
    except RecursionError:
        raise FlowError(f"{where}: this flow file is nested too deeply to be a flow.") from None
    if not isinstance(data, dict):
        raise FlowError(f"{where}: a flow file must be a YAML mapping at the top level.")
    try:
        flow = Flow.model_validate(data)
    except ValidationError as exc:
        problems = "\n".join(f"  {name}: {_where(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise FlowError(f"{where}: this flow file does not match the schema:\n{problems}") from None
    if flow.id != stem:
        raise FlowError(f"{where}: id: '{flow.id}' must match the file name '{stem}'.")
    return flow


def load_flows(directory: Path) -> dict[str, Flow]:
    """The flows of `directory` alone, by id."""
    return {p.stem: load_flow(p) for p in sorted(directory.glob("*.yaml"))}


def pick(flows: dict[str, Flow], platforms: list[str] | None) -> list[Flow]:
    """The flows of `platforms` (all of them when none is named); an unknown name is refused with
    the nearest known one."""
    if not platforms:
        return list(flows.values())
    unknown = [p for p in platforms if p not in flows]
    if unknown:
        from difflib import get_close_matches  # only for the error: difflib is slow to import

        guesses = [g for p in unknown for g in get_close_matches(p, flows, n=1)]
        raise UnknownPlatform(
            f"optout has no flow for {', '.join(unknown)}."
            + (f" Did you mean {' or '.join(dict.fromkeys(guesses))}?" if guesses else ""),
            f"Supported: {', '.join(flows)} (see `optout platforms`).",
        )
    return [flows[p] for p in platforms]
