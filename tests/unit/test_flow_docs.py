"""docs/flows.md and docs/json-schema/flow.json say what the flow schema says: a key added to,
renamed in or dropped from the schema, or a comment changed, fails here until they are generated
again (python -m optout.flowfile.docs)."""

from __future__ import annotations

import json

from optout.flowfile import docs
from optout.flowfile.schema import Flow


def test_the_flow_reference_and_json_schema_match_the_schema():
    assert docs.main(["--check"]) == 0, "run: python -m optout.flowfile.docs"
    written = (docs.ROOT / docs.MARKDOWN).read_text(encoding="utf-8")
    assert written == docs.markdown()
    assert (
        json.loads((docs.ROOT / docs.JSON_SCHEMA).read_text(encoding="utf-8"))
        == Flow.model_json_schema()
    )


def test_every_key_of_every_part_is_in_the_reference_with_its_meaning():
    schema = Flow.model_json_schema()
    written = (docs.ROOT / docs.MARKDOWN).read_text(encoding="utf-8")
    for name, body in [("Flow", schema), *schema["$defs"].items()]:
        assert f"\n## {name}\n" in written
        section = written.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        for key in body["properties"]:
            row = next(line for line in section.splitlines() if line.startswith(f"| `{key}` |"))
            assert not row.endswith("|  |"), (
                f"{name}.{key} has no meaning: add a #: comment in the schema"
            )


def test_a_stale_reference_is_caught(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(docs, "ROOT", tmp_path)
    (tmp_path / "docs" / "json-schema").mkdir(parents=True)
    (tmp_path / docs.MARKDOWN).write_text(
        docs.markdown().replace("`consent`", "`cookies`"), encoding="utf-8"
    )
    (tmp_path / docs.JSON_SCHEMA).write_text(docs.json_schema(), encoding="utf-8")
    assert docs.main(["--check"]) == 1
    assert "docs/flows.md" in capsys.readouterr().err
