"""A flow that knows a second UI language reads and switches in it; one that does not is broken."""

from __future__ import annotations

from optout.sandbox.linkedin import GERMAN_LABEL


async def test_shipped_flow_switches_a_german_page(configure, run_flow, only_flows):
    replica = configure("linkedin", "german")
    results = await run_flow(
        "linkedin", "off", sessions=False, flows_dir=only_flows("linkedin"), history=False
    )
    [result] = [r for r in results if r.setting == "generative-ai"]
    assert result.state == "off" and result.changed, result.detail
    assert replica.state["settings"]["generative-ai"] is False
    assert GERMAN_LABEL.startswith("Ihre Daten zum Schulen")
