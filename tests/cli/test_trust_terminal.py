"""Issue 23, item 10: names and texts from a stranger's flow, a shared capture and file names reach
the terminal inert (no escape sequence, no control character, no bidi override) in `flows add`,
`platforms`, `flows test` and `capture list`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from optout.cli import cli
from optout.paths import Profile, flows_dir

ESC = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e"
CAPTURES = Path(__file__).parent.parent / "captures"


def hostile_flow(tmp_path: Path) -> Path:
    data = yaml.safe_load((flows_dir() / "linkedin.yaml").read_text(encoding="utf-8"))
    data["name"] = f"Linked{ESC}In"
    data["settings"][0]["label"] = f"Use my data{ESC}"
    data["notes"] = f"Notes{ESC} here"
    path = tmp_path / "linkedin.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def assert_inert(output: str, where: str) -> None:
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", output), (
        where,
        output,
    )


def run(*args, browser_path=None):
    extra = ["--browser-path", browser_path] if browser_path else []
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, [*extra, *args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def test_a_strangers_names_reach_the_terminal_inert(tmp_path, browser_path):
    flow_file = hostile_flow(tmp_path)
    added = run("flows", "add", str(flow_file))
    assert added.exit_code == 0, added.output
    assert_inert(added.output, "flows add")
    shown = run("platforms")
    assert "LinkedIn" in shown.output or "Linked" in shown.output
    assert_inert(shown.output, "platforms")

    captures = Profile("default").captures
    captures.mkdir(parents=True, exist_ok=True)
    named = captures / f"linkedin-generative-ai-{ESC}-20261202T131736Z.html"
    shutil.copy(CAPTURES / "linkedin-generative-ai-on.html", named)
    (captures / f"broken{ESC}.html").write_text("not a capture")
    listed = run("capture", "list")
    assert listed.exit_code == 0 and "linkedin" in listed.output
    assert_inert(listed.output, "capture list")

    tested = run(
        "flows", "test", str(flow_file), "--capture", str(named), browser_path=browser_path
    )
    assert "capture" in tested.output
    assert_inert(tested.output, "flows test")
