"""Drift end to end: real Chromium, LinkedIn replica switched back on between two recorded runs."""

from __future__ import annotations

import base64

import pytest

from optout.history import History
from optout.paths import Profile
from optout.report import html_report
from optout.states import exit_code

SENTINEL_PASSWORD = "sentinel-pw-Watch9Lq"


@pytest.fixture
def run(run_flow, sandbox):
    sandbox.configure("linkedin", password=SENTINEL_PASSWORD)

    async def _run(mode: str, kind: str):
        # The API records every run in the profile's history and computes its drift.
        results = await run_flow("linkedin", mode, kind=kind)
        # LinkedIn's objection form is sent once and then answered from history: this is about the switch.
        return [r for r in results if r.setting == "generative-ai"], results.drift

    _run.sandbox = sandbox
    return _run


async def test_switched_back_on_is_drift_in_history_and_report(run):
    results, drift = await run("off", "off")
    assert [r.state for r in results] == ["off"] and results[0].changed and drift == []
    # The platform "forgets" the choice.
    run.sandbox.data["linkedin"]["settings"]["generative-ai"] = True
    results, drift = await run("check", "scheduled")
    assert [r.state for r in results] == ["on"]
    assert exit_code([r.state for r in results]) == 3
    assert [(d.kind, d.platform, d.setting) for d in drift] == [
        ("switched_on", "linkedin", "generative-ai")
    ]
    with History(Profile("sandbox-default")) as h:
        assert [r["state"] for r in h.timeline() if r["setting"] == "generative-ai"] == [
            "off",
            "on",
        ]
        assert [d["kind"] for d in h.drift_log()] == ["switched_on"]
        evidence = [
            p for row in h.timeline() if row["setting"] == "generative-ai" for p in row["evidence"]
        ]
    page = html_report(Profile("sandbox-default"))
    assert "is on again" in page and SENTINEL_PASSWORD not in page
    for path in evidence:  # before/after of the switch, and the reading that found it on again
        with open(path, "rb") as f:
            assert base64.b64encode(f.read()).decode() in page
