"""A flow that knows a second UI language reads and switches in it; one that does not is broken."""

from __future__ import annotations

import yaml

from optout import api
from optout.credentials import Credential
from optout.flowspec import flows_dir
from optout.sandbox import SANDBOX_USERNAME, Sandbox
from optout.sandbox.linkedin import GERMAN_LABEL

SENTINEL_PASSWORD = "sentinel-pw-Lang4Tz"


async def test_flow_with_german_labels_switches_a_german_page(tmp_path, browser_path):
    data = yaml.safe_load((flows_dir() / "linkedin.yaml").read_text())
    data["languages"] = ["en", "de"]
    for setting in data["settings"]:
        if setting["id"] == "generative-ai":
            setting["control"]["names"]["de"] = [GERMAN_LABEL]
    (tmp_path / "linkedin.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    sandbox = Sandbox()
    replica = sandbox.configure("linkedin", "language", password=SENTINEL_PASSWORD)
    results = await api.switch_off(
        ["linkedin"], credentials={"linkedin": Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD)},
        setup_context=sandbox.install, browser_path=browser_path, sessions=False, flows_dir=tmp_path,
        history=False,
    )
    [result] = [r for r in results if r.setting == "generative-ai"]
    assert result.state == "off" and result.changed, result.detail
    assert replica.state["settings"]["generative-ai"] is False
