"""`optout check --capture`, `optout capture show|list` and `optout flows test` end to end with
CliRunner against the sandbox, and the offer of a capture when a flow is broken."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from optout.cli import cli
from optout.paths import Profile, flows_dir
from optout.sandbox import SANDBOX_USERNAME, Sandbox

SENTINEL_PASSWORD = "sentinel-pw-CapCli&<>\"' %/4"


@pytest.fixture
def invoke(browser_path):
    def _invoke(*args, input=None):
        result = CliRunner().invoke(
            cli, ["--browser-path", browser_path, *args], input=input, catch_exceptions=False
        )
        assert "Traceback" not in result.output
        return result

    return _invoke


def replica(*misbehaviours):
    Sandbox.for_profile("default").configure("linkedin", *misbehaviours, password=SENTINEL_PASSWORD)


def test_capture_review_and_replay(invoke, tmp_path):
    replica()
    assert (
        invoke(
            "--sandbox",
            "account",
            "add",
            "linkedin",
            input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n",
        ).exit_code
        == 0
    )
    checked = invoke("--sandbox", "check", "linkedin", "--capture")
    assert checked.exit_code == 3, checked.output
    written = dict(re.findall(r"^Captured linkedin (\S+):\n  (.+)$", checked.stdout, re.M))
    assert set(written) == {"generative-ai", "ai-objection"}, checked.stdout
    assert "optout capture show FILE" in checked.stdout
    assert all(len(line) <= 80 for line in checked.stdout.splitlines() if "/" not in line), (
        checked.stdout
    )
    folder = Profile("sandbox-default").captures
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in map(Path, written.values()):
        assert path.parent == folder and stat.S_IMODE(path.stat().st_mode) == 0o600
        text = path.read_text(encoding="utf-8")
        assert SANDBOX_USERNAME not in text and "CapCli" not in text

    switch = written["generative-ai"]
    shown = invoke("capture", "show", switch)
    assert shown.exit_code == 0 and all(len(line) <= 80 for line in shown.stdout.splitlines())
    assert (
        "state         on" in shown.stdout
        and "Use my data for training content creation AI models" in shown.stdout
    )
    as_json = json.loads(invoke("capture", "show", switch, "--json").stdout)
    assert as_json["header"]["setting"] == "generative-ai" and as_json["page"]["children"]
    listed = invoke("--sandbox", "capture", "list")
    assert listed.exit_code == 0 and Path(switch).name in listed.stdout

    flow = str(flows_dir() / "linkedin.yaml")
    same = invoke("flows", "test", flow, "--capture", switch)
    assert same.exit_code == 0 and "generative-ai: read on (as captured)" in same.stdout, (
        same.output
    )
    # A capture saying it was read off, while its page shows the switch on: the replay says so.
    lying = tmp_path / "lying.html"
    lying.write_text(
        Path(switch).read_text(encoding="utf-8").replace('"state": "on"', '"state": "off"', 1)
    )
    differs = invoke("flows", "test", flow, "--capture", str(lying), "--json")
    assert differs.exit_code == 1
    [row] = json.loads(differs.stdout)["replays"]
    assert (row["expected"], row["read"], row["matches"]) == ("off", "on", False)


def test_broken_offers_a_capture_and_bad_files_are_refused(invoke, tmp_path):
    replica("label_gone")
    assert (
        invoke(
            "--sandbox",
            "account",
            "add",
            "linkedin",
            input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n",
        ).exit_code
        == 0
    )
    broken = invoke("--sandbox", "check", "linkedin")
    assert broken.exit_code == 3  # the objection form still reads on; the switch is broken
    assert "broken" in broken.stdout
    assert "without your data: optout --sandbox check linkedin --capture" in broken.stdout
    captured = json.loads(invoke("--sandbox", "--json", "check", "linkedin", "--capture").stdout)
    notes = {n["setting"]: n for n in captured["captures"]}
    assert [r["state"] for r in captured["results"] if r["setting"] == "generative-ai"] == [
        "broken"
    ]
    assert notes["generative-ai"]["file"] and notes["generative-ai"]["refused"] is None
    not_capture = tmp_path / "page.html"
    not_capture.write_text("<html></html>")
    refused = invoke("capture", "show", str(not_capture))
    assert refused.exit_code == 1 and "is not an optout capture" in refused.output
    shipped = Path(__file__).parents[1] / "captures"
    other = invoke(
        "flows",
        "test",
        str(flows_dir() / "x.yaml"),
        "--capture",
        str(shipped / "linkedin-generative-ai-on.html"),
        str(shipped / "x-grok-training-off.html"),
    )
    assert other.exit_code == 1, other.output
    assert "not replayed: the capture is of 'linkedin'" in other.stdout
    assert "training: read off (as captured)" in other.stdout
    assert invoke("flows", "test", str(flows_dir() / "x.yaml")).exit_code == 2
