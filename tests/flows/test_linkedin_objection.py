"""LinkedIn's second setting: the Data Processing Objection Form (AI that does not generate content),
through a real Chromium against the replica. Sent once; history answers afterwards."""

from __future__ import annotations

import pytest

SENTINEL_PASSWORD = "sentinel-pw-LiObj6Tr"


@pytest.fixture
def run(run_flow):
    """Run check/off on LinkedIn with the sentinel password; {setting id: result}."""

    async def _run(mode="check", **opts):
        return {r.setting: r for r in await run_flow("linkedin", mode, **opts)}

    return _run


def li(sandbox, *misbehaviours):
    return sandbox.configure("linkedin", *misbehaviours, password=SENTINEL_PASSWORD)


async def test_off_switches_off_and_sends_the_objection_once(sandbox, run):
    replica = li(sandbox)
    checked = await run("check")
    assert checked["ai-objection"].state == "on" and replica.events("submission") == []
    first = await run("off", form_reason="I object to profiling.")
    assert first["generative-ai"].state == "off"
    objection = first["ai-objection"]
    assert objection.state == "submitted" and objection.changed, objection.detail
    assert (
        objection.evidence[0].name.endswith("confirmation.png") and objection.evidence[0].exists()
    )
    assert [(e["setting"], e["reason"]) for e in replica.events("submission")] == [
        ("ai-objection", "I object to profiling.")
    ]
    # LinkedIn's form does not say it was sent before: history is what keeps it to one objection.
    second = await run("off")
    assert second["ai-objection"].state == "submitted" and not second["ai-objection"].changed
    assert "from history" in second["ai-objection"].detail
    assert (await run("check"))["ai-objection"].state == "submitted"
    assert len(replica.events("submission")) == 1


async def test_form_not_offered_is_unavailable(sandbox, run):
    replica = li(sandbox, "absent")
    results = await run("off")
    assert results["ai-objection"].state == "unavailable"
    assert replica.events("submission") == []


async def test_changed_form_is_broken_and_not_sent(sandbox, run):
    replica = li(sandbox, "label_gone")
    results = await run("off", find_timeout_s=3)
    assert results["ai-objection"].state == "broken"
    assert replica.events("submission") == []


async def test_server_error_on_submit_is_not_submitted(sandbox, run):
    replica = li(sandbox, "save_fails")
    results = await run("off")
    assert results["ai-objection"].state == "error" and "HTTP 500" in results["ai-objection"].detail
    assert [e["status"] for e in replica.events("submission")] == [500]
