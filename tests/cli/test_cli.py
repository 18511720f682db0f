"""The CLI end to end with click's CliRunner, against the sandbox (`--sandbox`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from click.testing import CliRunner

from optout.cli import cli
from optout.sandbox import SANDBOX_USERNAME, Sandbox

SENTINEL_PASSWORD = "sentinel-pw-Cli7Hq2W"


@pytest.fixture
def invoke(browser_path):
    def _invoke(*args, input=None):
        runner = CliRunner()
        return runner.invoke(
            cli, ["--browser-path", browser_path, *args], input=input, catch_exceptions=False
        )

    return _invoke


def replica(*misbehaviours, password=SENTINEL_PASSWORD):
    box = Sandbox.for_profile("default")
    box.configure("linkedin", *misbehaviours, password=password)
    return box


def test_check_without_account_needs_login(invoke):
    result = invoke("--json", "check", "linkedin")
    assert result.exit_code == 4, result.output
    [row] = [r for r in json.loads(result.stdout)["results"] if r["setting"] == "generative-ai"]
    assert row["state"] == "needs_login"
    assert "optout account add linkedin" in row["detail"]


def test_account_add_list_remove_keeps_secret_out_of_output(invoke, memory_keyring):
    added = invoke("account", "add", "linkedin", input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n")
    assert added.exit_code == 0, added.output
    listed = invoke("account", "list")
    assert SANDBOX_USERNAME in listed.stdout
    for out in (added.output, listed.output):
        assert SENTINEL_PASSWORD not in out
    assert any(SENTINEL_PASSWORD in v for v in memory_keyring.data.values())
    removed = invoke("account", "remove", "linkedin")
    assert removed.exit_code == 0
    assert not any(SENTINEL_PASSWORD in v for v in memory_keyring.data.values())


def test_account_add_refuses_a_machine_without_keyring(invoke):
    keyring.set_keyring(keyring.backends.fail.Keyring())
    result = invoke(
        "account", "add", "linkedin", input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n"
    )
    assert result.exit_code == 1
    assert "gnome-keyring" in result.output and "keyrings.cryptfile" in result.output
    assert "Traceback" not in result.output


def test_sandbox_off_then_drift_back_on(invoke, optout_home):
    replica()
    invoke(
        "--sandbox",
        "account",
        "add",
        "linkedin",
        input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n",
    )
    dry = invoke("--sandbox", "--json", "off", "--dry-run", "linkedin")
    assert dry.exit_code == 3, dry.output
    assert "would switch it off" in json.loads(dry.stdout)["results"][0]["detail"]
    off = invoke("--sandbox", "off", "linkedin")
    assert off.exit_code == 0, off.output
    assert "off" in off.stdout
    again = invoke("--sandbox", "--json", "check", "linkedin")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["results"][0]["state"] == "off"
    assert invoke("--sandbox", "sandbox", "flip", "linkedin", "generative-ai", "on").exit_code == 0
    drifted = invoke("--sandbox", "--json", "check", "linkedin")
    assert drifted.exit_code == 3
    # The sentinel password never left the keyring: not in output, logs, sessions or evidence.
    for out in (dry.output, off.output, again.output, drifted.output):
        assert SENTINEL_PASSWORD not in out
    for path in optout_home.rglob("*"):
        if path.is_file():
            assert SENTINEL_PASSWORD.encode() not in path.read_bytes(), path


def test_broken_page_exit_code_and_evidence(invoke):
    replica("label_gone")
    invoke(
        "--sandbox",
        "account",
        "add",
        "linkedin",
        input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n",
    )
    result = invoke("--sandbox", "--json", "off", "linkedin")
    assert result.exit_code == 5
    [row] = [r for r in json.loads(result.stdout)["results"] if r["setting"] == "generative-ai"]
    assert row["state"] == "broken" and any(p.endswith(".html") for p in row["evidence"])


def test_unknown_platform_is_a_usage_error(invoke):
    result = invoke("check", "myspace")
    assert result.exit_code == 2
    assert "optout has no flow for myspace" in result.output and "linkedin" in result.output


def test_platforms_lists_linkedin_with_meaning(invoke):
    result = invoke("--json", "platforms")
    [flow] = [f for f in json.loads(result.stdout) if f["platform"] == "linkedin"]
    assert flow["settings"][0]["label"] == "Use my data for training content creation AI models"
    assert "EU" in flow["settings"][0]["regions"]


def test_demo_runs_the_whole_cycle(invoke):
    result = invoke("--json", "demo")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)

    def linkedin(rows):
        return [
            (r["setting"], r["state"], r["changed"]) for r in rows if r["platform"] == "linkedin"
        ]

    assert linkedin(data["check"]) == [
        ("generative-ai", "on", False),
        ("ai-objection", "on", False),
    ]
    assert linkedin(data["off"]) == [
        ("generative-ai", "off", True),
        ("ai-objection", "submitted", True),
    ]
    assert linkedin(data["verify"]) == [
        ("generative-ai", "off", False),
        ("ai-objection", "submitted", False),
    ]
    # Every replica's fresh account ends opted out: switches off, objection forms submitted.
    assert {r["state"] for r in data["verify"]} <= {"off", "submitted"}, [
        (r["platform"], r["setting"], r["state"])
        for r in data["verify"]
        if r["state"] not in ("off", "submitted")
    ]


def test_demo_says_one_summary_and_a_next_step_that_fits(invoke):
    """Issue 22: one line of counts and where the report is, not three 29-row tables; the last
    words are the next step on a real account, starting with `optout check`, within 80 columns."""
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) <= 10, result.output  # step titles, the summary, the report, the next step
    said = " ".join(result.output.split())
    assert re.search(r"\d+ switched off and verified, \d+ objections sent, 0 failed\.", said), said
    assert "Report (a sample, made on replicas): " in said
    report = Path(said.split("Report (a sample, made on replicas): ")[1].split()[0])
    assert "Sample, made on replicas" in report.read_text()
    assert lines[-1].startswith("optout check") and "objection forms in your name" in lines[-1]
    assert all(len(line) <= 80 for line in lines[-2:]), lines[-2:]


def test_doctor_reports_browser_keyring_and_data_dir(invoke):
    result = invoke("--json", "doctor")
    names = {line["name"] for line in json.loads(result.stdout)}
    assert {"browser", "keyring"} <= names, names


def test_drift_between_two_checks_shows_in_exit_code_history_and_report(invoke, tmp_path):
    replica()
    invoke(
        "--sandbox",
        "account",
        "add",
        "linkedin",
        input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n",
    )
    assert invoke("--sandbox", "off", "linkedin").exit_code == 0
    first = invoke("--sandbox", "--json", "check", "linkedin")
    assert first.exit_code == 0 and json.loads(first.stdout)["drift"] == []
    invoke("--sandbox", "sandbox", "flip", "linkedin", "generative-ai", "on")
    second = invoke("--sandbox", "check", "linkedin")
    assert second.exit_code == 3
    flat = " ".join(second.stdout.split())
    assert "switched back on (linkedin)" in flat and "was off and is on again" in flat
    history = invoke("--sandbox", "--json", "history", "linkedin")
    assert '"switched_on"' in history.stdout
    out = tmp_path / "report.html"
    assert invoke("--sandbox", "report", "-o", str(out)).exit_code == 0
    page = out.read_text()
    assert "on again" in page and SENTINEL_PASSWORD not in page


def test_check_everything_with_nothing_set_up_says_what_to_do(invoke):
    result = invoke("check")
    assert result.exit_code == 4
    assert "optout account add" in result.output and "Traceback" not in result.output
