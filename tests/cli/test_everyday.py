"""Everyday use: `--json` output matches its documented schema, output fits 80 and 160 columns,
`optout status` (and bare `optout`) from history alone, shell completion, progress only on a terminal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from optout import render
from optout.cli import cli
from optout.doctor import DoctorLine
from optout.results import Result
from optout.sandbox import SANDBOX_USERNAME, Sandbox
from optout.states import State
from optout.status import Standing

SENTINEL_PASSWORD = "sentinel-pw-Everyday4Kx"
SCHEMA = json.loads(
    (Path(__file__).parents[2] / "docs" / "json-schema" / "results.json").read_text()
)
LONG_LABEL = "Use my data for training content creation AI models and improving generative features"


def check_schema(value, schema: dict, path: str = "$") -> list[str]:
    """The problems of `value` against the subset of JSON Schema 2020-12 the schema file uses
    ($ref to $defs, anyOf, type, enum, const, required, properties, items)."""
    if "$ref" in schema:
        return check_schema(value, SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[1]], path)
    if "anyOf" in schema:
        failures = [check_schema(value, s, path) for s in schema["anyOf"]]
        return (
            [] if any(not f for f in failures) else [f"{path}: matches none of anyOf: {failures}"]
        )
    problems = []
    kinds = {"string": str, "boolean": bool, "array": list, "object": dict, "null": type(None)}
    if "type" in schema:
        types = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
        ok = any(
            (isinstance(value, int) and not isinstance(value, bool))
            if t == "integer"
            else isinstance(value, kinds[t])
            for t in types
        )
        if not ok:
            return [f"{path}: {value!r} is not {types}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        problems.append(f"{path}: {value!r} is not {schema['const']!r}")
    if isinstance(value, dict):
        problems += [f"{path}: missing {k}" for k in schema.get("required", []) if k not in value]
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                problems += check_schema(value[key], sub, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += check_schema(item, schema["items"], f"{path}[{i}]")
    return problems


def test_the_schema_checker_catches_what_it_should():
    assert check_schema({"results": [], "drift": []}, {"$ref": "#/$defs/run"}) == []
    assert check_schema({"results": [{"platform": "x"}], "drift": []}, {"$ref": "#/$defs/run"})
    assert check_schema({"profile": "p", "settings": [], "next": 3}, {"$ref": "#/$defs/status"})
    assert check_schema({"results": [], "drift": [], "profile": 1}, {"$ref": "#/$defs/history"})


@pytest.fixture
def invoke(browser_path):
    def _invoke(*args, input=None, columns=None):
        env = {"COLUMNS": str(columns)} if columns else {}
        return CliRunner().invoke(
            cli,
            ["--browser-path", browser_path, *args],
            input=input,
            env=env,
            catch_exceptions=False,
        )

    return _invoke


def fits(text: str, width: int) -> bool:
    return all(len(line) <= width for line in text.splitlines())


def test_sandbox_runs_json_status_and_bare_optout(invoke):
    assert "Usage:" in invoke().stdout  # nothing yet: bare optout shows help
    Sandbox.for_profile("default").configure("linkedin", password=SENTINEL_PASSWORD)
    invoke(
        "--sandbox",
        "account",
        "add",
        "linkedin",
        input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n",
    )
    unread = json.loads(invoke("--sandbox", "status", "--json").stdout)
    assert (
        unread["next"] == "optout --sandbox check linkedin"
        and unread["settings"][0]["state"] == "unread"
    )
    off = invoke("--sandbox", "off", "linkedin", "--json")
    assert off.exit_code == 0, off.output
    invoke("--sandbox", "sandbox", "flip", "linkedin", "generative-ai", "on")
    check = invoke("--sandbox", "check", "linkedin", "--json")
    assert check.exit_code == 3
    history = invoke("--sandbox", "history", "--json")
    status = invoke("--sandbox", "status", "--json")
    for out, shape in ((off, "run"), (check, "run"), (history, "history"), (status, "status")):
        data = json.loads(out.stdout)
        assert check_schema(data, {"$ref": f"#/$defs/{shape}"}) == [], shape
        assert check_schema(data, SCHEMA) == []
    for shape in (
        "result",
        "row",
    ):  # a form sent unconfirmed says so in its kind; a plain result: null
        sent = {
            **json.loads(off.stdout)["results"][0],
            "run_id": 1,
            "run_kind": "off",
            "profile": "default",
        }
        assert (
            check_schema(
                {**sent, "state": "needs_human", "kind": "sent_unconfirmed"},
                {"$ref": f"#/$defs/{shape}"},
            )
            == []
        )
        assert (
            check_schema({**sent, "kind": "sent unconfirmed"}, {"$ref": f"#/$defs/{shape}"}) != []
        )
    assert {r["kind"] for r in json.loads(history.stdout)["results"]} == {None}
    standing = json.loads(status.stdout)
    [gen] = [s for s in standing["settings"] if s["setting"] == "generative-ai"]
    assert gen["state"] == "on" and gen["next"] == "optout --sandbox off linkedin" and gen["drift"]
    assert (
        standing["next"] == "optout --sandbox off linkedin"
    )  # a hint of a replica run stays there
    for width in (80, 160):
        shown = invoke("--sandbox", "status", columns=width).stdout
        assert fits(shown, width), shown
        assert (
            "generative-ai" in shown
            and "Use my data for training content creation AI models" in shown
        )
        assert "Next: optout --sandbox off linkedin" in " ".join(shown.split())
    bare = invoke("--sandbox", columns=80).stdout
    assert "Usage:" not in bare and "Next: optout --sandbox off linkedin" in " ".join(bare.split())


def results(n: int = 3) -> list[Result]:
    return [
        Result(
            "linkedin",
            f"setting-{i}",
            State.ON if i else State.OFF,
            changed=bool(i),
            label=LONG_LABEL,
            detail="read as on after a reload; run `optout off linkedin` to switch it off",
            account="a@b.c",
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("width", [80, 160])
def test_results_fit_the_terminal_with_labels_intact(width):
    console = Console(width=width, record=True, force_terminal=False)
    render.results(results(), console)
    text = console.export_text()
    assert fits(text, width), text
    words = set(text.replace("│", " ").split())
    assert set(LONG_LABEL.split()) <= words  # no word of the label cut in pieces
    if width < 120:  # the label on lines of its own under the setting, not a tower of fragments
        assert LONG_LABEL in " ".join(text.split()) and "setting-1" in text


def test_history_blocks_at_80_columns():
    from optout.report import timeline_table

    console = Console(width=80, record=True)
    rows = [{**r.to_dict(), "run_kind": "check"} for r in results(2)]
    timeline_table(rows, console, title="History")
    text = console.export_text()
    assert fits(text, 80) and LONG_LABEL in " ".join(text.split()) and "(check)" in text


@pytest.mark.parametrize("width", [80, 160])
def test_doctor_lists_each_check_with_its_fix_under_it(width):
    fix = "Install gnome-keyring and dbus, then run optout inside `dbus-run-session -- sh`."
    lines = [
        DoctorLine("browser", True, "/usr/bin/chromium"),
        DoctorLine("keyring", False, "none", fix),
    ]
    console = Console(width=width, record=True)
    render.doctor(lines, console)
    text = console.export_text().splitlines()
    assert fits("\n".join(text), width)
    assert text[0].startswith("ok browser") and text[1].startswith("!! keyring")
    assert text[2].strip().startswith("fix: Install gnome-keyring")


@pytest.mark.parametrize("width", [80, 160])
def test_status_fits(width):
    found = [
        Standing(
            "linkedin",
            None,
            "generative-ai",
            LONG_LABEL,
            "on",
            "2026-12-01T10:00:00+00:00",
            "1 day ago",
            ["was off and is on again"],
            "optout off linkedin",
        )
    ]
    console = Console(width=width, record=True)
    render.status(found, "optout off linkedin", "default", console)
    text = console.export_text()
    assert fits(text, width) and "Next: optout off linkedin" in text
    assert LONG_LABEL in " ".join(text.split())


def test_status_imports_no_browser(tmp_path):
    code = (
        "import sys; from optout.cli import cli; "
        "cli.main(['status'], standalone_mode=False); "
        "assert 'playwright' not in ' '.join(sys.modules), 'playwright imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_completion_of_commands_platforms_and_settings(invoke):
    def complete(*words):
        env = {
            "_OPTOUT_COMPLETE": "bash_complete",
            "COMP_WORDS": " ".join(["optout", *words]),
            "COMP_CWORD": str(len(words)),
        }
        return CliRunner().invoke(cli, [], env=env, prog_name="optout").stdout

    assert "plain,status" in complete("sta")
    assert "plain,linkedin" in complete("check", "link")
    assert "plain,generative-ai" in complete("off", "linkedin", "--setting", "gen")
    script = invoke("completion", "bash").stdout
    assert "_OPTOUT_COMPLETE" in script and "complete " in script


def test_progress_only_on_a_terminal():
    import io

    piped = io.StringIO()
    quiet = Console(file=piped, force_terminal=False)
    with render.progress(quiet, ["linkedin"], True, delay=0) as advance:
        advance(results(1)[0])
    assert piped.getvalue() == ""  # not a terminal: no bar
    term = Console(record=True, force_terminal=True, width=80)
    with render.progress(term, ["linkedin"], False) as advance:
        advance(results(1)[0])
    assert term.export_text() == ""


def test_progress_names_the_platform_and_counts_on_a_terminal():
    import io

    out = io.StringIO()
    term = Console(file=out, force_terminal=True, width=100)
    with render.progress(term, ["linkedin", "x"], True, delay=0) as advance:
        advance(results(1)[0])
        term.print("  linkedin setting-0: off")  # result lines print above the bar
    assert "reading linkedin" in out.getvalue() and "1/2" in out.getvalue()


@pytest.mark.parametrize("columns", [80, 160])
def test_platforms_fit_the_terminal_and_keep_labels_whole(columns):
    from optout.cli import cli

    out = CliRunner(env={"COLUMNS": str(columns)}).invoke(cli, ["platforms"]).output
    assert max(len(line) for line in out.splitlines()) <= columns
    if columns < 120:  # one block per setting: the label on a line of its own
        assert "    Use my data for training content creation AI models" in out
