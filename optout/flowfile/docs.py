"""The flow syntax reference, docs/flows.md, and the flow JSON Schema, docs/json-schema/flow.json,
both generated from the schema (pydantic's model_json_schema), so they cannot drift from it:

    python -m optout.flowfile.docs           # write both
    python -m optout.flowfile.docs --check   # exit 1 when either differs (the tests run it)

Each key's meaning is the `#:` comment above it (or the `#` comment after it) in
optout/flowfile/schema.py, controls.py and parts.py, the same words a reader of the code sees."""

from __future__ import annotations

import inspect
import json
import re
import sys
from pathlib import Path

from pydantic import BaseModel

from optout.flowfile import controls, parts, schema
from optout.flowfile.schema import Flow

ROOT = Path(__file__).resolve().parents[2]
MARKDOWN = Path("docs/flows.md")
JSON_SCHEMA = Path("docs/json-schema/flow.json")
INTRO = """\
A flow is one YAML file per platform in `flows/`, named after its `id` (`flows/linkedin.yaml`). It
is data, safe-loaded and checked against this schema: it cannot run code, and every URL it names
must be https inside the flow's `domains`. Start a new one with `optout flows new ID` (see the
README, "Adding a platform"); check one with `optout flows test` and the tests. Unknown keys are
refused. Every fact a flow relies on names its public source in the file's header comments.

Texts matched on a page (`names`, `texts`, option labels) are per UI language: a map from a BCP 47
primary tag (`en`, `de`) to a list of labels. Patterns (`urls`, `texts` of a Signal, `pattern`)
are regular expressions checked when the flow loads: no nested quantifiers, no backreferences, and
`*`/`+` only in a pattern anchored with `^`."""


def _models() -> dict[str, type[BaseModel]]:
    found = {}
    for module in (schema, controls, parts):
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
            ):
                found[name] = value
    return found


def field_notes(model: type[BaseModel]) -> dict[str, str]:
    """Each field's comment in the class source: the `#:` lines above it, else a `#` after it."""
    notes: dict[str, str] = {}
    above: list[str] = []
    for line in inspect.getsource(model).splitlines()[1:]:
        text = line.strip()
        if text.startswith("#:"):
            above.append(text[2:].strip())
            continue
        field = re.match(r"^    ([a-z_][a-z0-9_]*)\s*:", line)
        if field and not field.group(1).startswith("_"):
            after = re.search(r"\s#\s+(?!noqa|type:)(.+)$", line)
            note = " ".join(above) or (after.group(1).strip() if after else "")
            if note:
                notes[field.group(1)] = note
        above = []
    return notes


def _ref(ref: str) -> str:
    name = ref.rsplit("/", 1)[-1]
    return f"[{name}](#{name.lower()})"


def type_of(prop: dict) -> str:
    """A JSON Schema property in words."""
    if "$ref" in prop:
        return _ref(prop["$ref"])
    if "anyOf" in prop:
        kinds = [type_of(p) for p in prop["anyOf"] if p.get("type") != "null"]
        return " or ".join(kinds)
    if "oneOf" in prop:
        by = prop.get("discriminator", {}).get("propertyName")
        return (
            "one of "
            + ", ".join(type_of(p) for p in prop["oneOf"])
            + (f", told apart by `{by}`" if by else "")
        )
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    kind = prop.get("type")
    if kind == "array":
        words = f"list of {type_of(prop.get('items', {}))}"
        if "minItems" in prop:
            words += f" (at least {prop['minItems']})"
        return words
    if kind == "object":
        return f"map of text to {type_of(prop.get('additionalProperties', {}))}"
    words = {"string": "text", "integer": "whole number", "boolean": "`true` or `false`"}.get(
        kind, kind or "any"
    )
    if prop.get("format") == "date":
        words = "date (YYYY-MM-DD)"
    if "pattern" in prop:
        words += f" matching `{prop['pattern']}`"
    if "minimum" in prop or "maximum" in prop:
        words += f" from {prop.get('minimum', '…')} to {prop.get('maximum', '…')}"
    return words


def _default(prop: dict) -> str:
    if "default" not in prop:
        return ""
    value = prop["default"]
    if value is None:
        return "none"
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def _order(full: dict) -> list[str]:
    """Flow first, then every part in the order a reader meets it."""
    seen, queue = ["Flow"], ["Flow"]
    while queue:
        name = queue.pop(0)
        body = full if name == "Flow" else full["$defs"][name]
        for ref in re.findall(r'"#/\$defs/(\w+)"', json.dumps(body.get("properties", {}))):
            if ref not in seen:
                seen.append(ref)
                queue.append(ref)
    return seen


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown() -> str:
    full = Flow.model_json_schema()
    models = _models()
    out = [
        "# Flow files",
        "",
        "<!-- generated by `python -m optout.flowfile.docs` from optout/flowfile/schema.py; do not edit -->",
        "",
        INTRO,
        "",
        "Parts: " + ", ".join(_ref(n) for n in _order(full)) + ".",
        "",
    ]
    for name in _order(full):
        body = full if name == "Flow" else full["$defs"][name]
        notes = field_notes(models[name])
        out += [f"## {name}", ""]
        doc = inspect.getdoc(models[name])
        if doc and doc != inspect.getdoc(BaseModel) and name != "Strict":
            out += [" ".join(doc.split()), ""]
        out += ["| key | type | required / default | meaning |", "|---|---|---|---|"]
        required = set(body.get("required", ()))
        for key, prop in body["properties"].items():
            need = "required" if key in required else (_default(prop) or "optional")
            out.append(
                f"| `{key}` | {_cell(type_of(prop))} | {need} | {_cell(notes.get(key, ''))} |"
            )
        out.append("")
    return "\n".join(out)


def json_schema() -> str:
    return json.dumps(Flow.model_json_schema(), indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    wanted = {ROOT / MARKDOWN: markdown(), ROOT / JSON_SCHEMA: json_schema()}
    if "--check" in argv:
        stale = [
            str(p.relative_to(ROOT))
            for p, text in wanted.items()
            if not p.exists() or p.read_text(encoding="utf-8") != text
        ]
        if stale:
            print(
                f"{', '.join(stale)}: not what the flow schema says. Run: python -m optout.flowfile.docs",
                file=sys.stderr,
            )
            return 1
        return 0
    for path, text in wanted.items():
        path.write_text(text, encoding="utf-8")
        print(path.relative_to(ROOT), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
