"""Drift is found by every run that reads a setting, `off` and scheduled `--fix` runs included:
real Chromium against the LinkedIn replica, switched back on behind optout's back between runs."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from optout.cli import cli
from optout.history import History
from optout.notify import save_urls
from optout.paths import Profile
from optout.sandbox import SANDBOX_USERNAME, Sandbox
from tests.cli.test_everyday import SCHEMA, check_schema

SENTINEL_PASSWORD = "sentinel-pw-Drift8Mv"


@pytest.fixture
def invoke(browser_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)  # the notification goes to the receiver only
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)

    def _invoke(*args, input=None):
        return CliRunner().invoke(
            cli,
            ["--browser-path", browser_path, "--sandbox", *args],
            input=input,
            env={"COLUMNS": "80"},
            catch_exceptions=False,
        )

    return _invoke


def flip_on(invoke) -> None:
    assert invoke("sandbox", "flip", "linkedin", "generative-ai", "on").exit_code == 0


def test_off_and_scheduled_fix_report_a_setting_switched_back_on(invoke, apprise_receiver):
    url, received = apprise_receiver
    Sandbox.for_profile("sandbox-default").configure("linkedin", password=SENTINEL_PASSWORD)
    invoke("account", "add", "linkedin", input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n")
    first = invoke("off", "linkedin", "--json")
    assert first.exit_code == 0, first.output
    assert (
        json.loads(first.stdout)["drift"] == []
    )  # the first switch is no drift: nothing was off before

    flip_on(invoke)
    again = invoke("off", "linkedin", "--json")
    data = json.loads(again.stdout)
    assert check_schema(data, SCHEMA) == []
    [gen] = [r for r in data["results"] if r["setting"] == "generative-ai"]
    assert gen["state"] == "off" and gen["changed"]  # fixed, and verified after a reload
    assert [(d["kind"], d["setting"], d["fixed"]) for d in data["drift"]] == [
        ("switched_on", "generative-ai", True)
    ]
    assert again.exit_code == 6  # all off now, but the platform had switched it back on

    flip_on(invoke)
    save_urls("sandbox-default", [url])
    scheduled = invoke("off", "linkedin", "--scheduled")
    assert scheduled.exit_code == 6
    said = " ".join(scheduled.stdout.split())
    assert "switched back on" in said and "switched it off again" in said, scheduled.stdout
    assert all(len(line) <= 80 for line in scheduled.stdout.splitlines())
    [note] = received
    assert "linkedin" in note["message"] and "switched it off again" in note["message"]
    assert SENTINEL_PASSWORD not in json.dumps(note)

    with History(Profile("sandbox-default"), read_only=True) as h:
        logged = h.drift_log()
    assert [(d["kind"], d["setting"], d["fixed"]) for d in logged] == [
        ("switched_on", "generative-ai", True)
    ] * 2
    history = json.loads(invoke("history", "--json").stdout)
    assert check_schema(history, SCHEMA) == [] and len(history["drift"]) == 2


def test_a_quiet_scheduled_fix_stays_quiet(invoke, apprise_receiver):
    """Nothing changed, nothing drifted: no output and no notification (the promise of --scheduled)."""
    url, received = apprise_receiver
    Sandbox.for_profile("sandbox-default").configure("linkedin", password=SENTINEL_PASSWORD)
    invoke("account", "add", "linkedin", input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n")
    assert invoke("off", "linkedin", "--json").exit_code == 0
    save_urls("sandbox-default", [url])
    quiet = invoke("off", "linkedin", "--scheduled")
    assert quiet.exit_code == 0 and quiet.stdout == "" and received == []
