"""The settings of issue 16 (2026's new AI-training settings): Atlassian's organisation-level
"In-app data contribution" and ChatGPT Codex's "Include environments", each driven through a real
Chromium against its replica, one browser run per case; and the guides for what only an app or a
form offers."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from optout.cli import cli
from optout.flowfile.folders import Layers
from optout.flowfile.layers import load_flows

#: platform → (setting, whether the flow rides on a saved session only).
SETTINGS = {
    "atlassian": ("in-app-data-contribution", True),
    "chatgpt": ("include-environments", False),
}
PLATFORMS = list(SETTINGS)


async def run_one(configure, run_flow, platform, mode, *misbehaviours, **opts):
    setting, session = SETTINGS[platform]
    replica = configure(platform, *misbehaviours, session=session)
    results = [
        r
        for r in await run_flow(platform, mode, selected=[setting], **opts)
        if r.setting == setting
    ]
    assert len(results) == 1, results
    return replica, results[0]


def saves_of(replica, setting: str) -> list[dict]:
    """The replica's saves of this setting (the one-setting replicas record no setting name)."""
    return [e for e in replica.events("save") if e.get("setting", setting) == setting]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(
    ("mode", "misbehaviour", "state", "changed", "saves"),
    [
        ("check", None, "on", False, []),
        ("off", None, "off", True, [(False, 200)]),
        ("off", "already_off", "off", False, []),
        ("off", "save_fails", "on", False, [(False, 500)]),
    ],
)
async def test_reads_and_switches(
    configure, run_flow, platform, mode, misbehaviour, state, changed, saves
):
    setting = SETTINGS[platform][0]
    replica, r = await run_one(configure, run_flow, platform, mode, *filter(None, [misbehaviour]))
    assert (r.state, r.changed) == (state, changed), r.detail
    assert [(e["on"], e["status"]) for e in saves_of(replica, setting)] == saves
    if state == "off" and changed:
        assert replica.state["settings"][setting] is False and "reload" in r.detail


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("misbehaviour", ["label_gone", "absent"])
async def test_changed_or_missing_page(configure, run_flow, platform, misbehaviour):
    """A member who is not an Atlassian admin sees a page that says so: unavailable. Anything else
    missing or renamed is broken, and nothing is clicked."""
    replica, r = await run_one(configure, run_flow, platform, "off", misbehaviour, find_timeout_s=2)
    expected = "unavailable" if (platform, misbehaviour) == ("atlassian", "absent") else "broken"
    assert r.state == expected, r.detail
    assert saves_of(replica, SETTINGS[platform][0]) == []


GUIDES = [
    "instagram-reuse",
    "whatsapp",
    "alexa",
    "meta-muse",
    "meta-glasses",
    "google-search",
    "discord",
    "tiktok",
    "grindr",
]


def test_guides_are_guides_with_links():
    flows = load_flows(Layers.person())
    for name in GUIDES:
        guide = flows[name].guide
        assert guide is not None and guide.steps and guide.links, name
        assert flows[name].settings == [] and flows[name].login is None, name


def invoke(*args):
    return CliRunner(env={"COLUMNS": "300"}).invoke(cli, list(args), catch_exceptions=False)


def test_platforms_lists_every_new_item_with_its_control_and_source():
    listed = {p["platform"]: p for p in json.loads(invoke("--json", "platforms").stdout)}
    [atlassian] = listed["atlassian"]["settings"]
    assert (
        atlassian["control"] == "switch"
        and "support.atlassian.com" in listed["atlassian"]["source"]
    )
    assert "Enterprise" in atlassian["meaning"]  # the metadata limit, said plainly
    codex = [s for s in listed["chatgpt"]["settings"] if s["id"] == "include-environments"]
    assert codex and codex[0]["control"] == "switch"
    for name in GUIDES:
        assert listed[name]["guide"]["state"] == "needs_human" and listed[name]["source"], name
    table = invoke("platforms").stdout
    assert "source:" in table and "guide (nothing to automate)" in table


def test_off_whatsapp_prints_the_form_and_its_text():
    result = invoke("off", "whatsapp")
    assert result.exit_code == 4, result.output
    assert "whatsapp.com/contact/forms/382532939919295" in result.output
    assert "Article 21" in result.output
