"""A flow that knows a second UI language reads and switches in it; one that does not is broken."""

from __future__ import annotations

import yaml

from optout.flowspec import flows_dir
from optout.sandbox.linkedin import GERMAN_LABEL

SENTINEL_PASSWORD = "sentinel-pw-Lang4Tz"


async def test_flow_with_german_labels_switches_a_german_page(tmp_path, configure, run_flow):
    data = yaml.safe_load((flows_dir() / "linkedin.yaml").read_text())
    data["languages"] = ["en", "de"]
    for setting in data["settings"]:
        if setting["id"] == "generative-ai":
            setting["control"]["names"]["de"] = [GERMAN_LABEL]
    (tmp_path / "linkedin.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    replica = configure("linkedin", "language")
    results = await run_flow("linkedin", "off", sessions=False, flows_dir=tmp_path, history=False)
    [result] = [r for r in results if r.setting == "generative-ai"]
    assert result.state == "off" and result.changed, result.detail
    assert replica.state["settings"]["generative-ai"] is False
