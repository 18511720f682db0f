"""Cookie-consent dialogs (DESIGN.md principle 6) on Facebook, Instagram, LinkedIn and X, driven
through a real Chromium against replicas that show each platform's dialog over every page of a
fresh browser profile. Optional cookies are declined, never accepted; a dialog that cannot be
declined stops the flow before anything is typed."""

from __future__ import annotations

import pytest

from optout.errors import FlowError
from optout.sandbox import MISBEHAVIOURS

SENTINEL_PASSWORD = "sentinel-pw-Consent5Kd"
PLATFORMS = ["facebook", "instagram", "linkedin", "x"]
every = pytest.mark.parametrize("platform", PLATFORMS)


@pytest.fixture
def run(run_flow, only_flows):
    """check/off on one platform, reading only its shipped flow; no saved session (a fresh profile)."""

    async def _run(platform, mode="check", **opts):
        return await run_flow(platform, mode, flows_dir=only_flows(platform), **opts)

    return _run


def consent_events(replica) -> dict[str, int]:
    return {kind: len(replica.events(f"consent_{kind}")) for kind in ("accept", "decline", "typed")}


def test_the_variants_are_misbehaviours():
    for name in (
        "cookie_consent",
        "cookie_consent_late",
        "cookie_consent_accept_only",
        "cookie_consent_reworded",
    ):
        assert name in MISBEHAVIOURS


@every
async def test_dialog_is_declined_then_signs_in_and_reads(configure, run, platform):
    replica = configure(platform, "cookie_consent")
    results = await run(platform, "check")
    assert {str(r.state) for r in results} == {"on"}, [
        (r.setting, r.state, r.detail) for r in results
    ]
    assert consent_events(replica) == {"accept": 0, "decline": 1, "typed": 0}
    assert [e["ok"] for e in replica.events("login")] == [True]


@every
async def test_late_dialog_is_declined(configure, run, platform):
    """The dialog shows 1 s after each page loads, the setting 2 s after: it is met at the latest on
    the settings page, covering the control, and declined there."""
    replica = configure(platform, "cookie_consent_late", "slow_render")
    results = await run(platform, "check")
    assert {str(r.state) for r in results} == {"on"}, [
        (r.setting, r.state, r.detail) for r in results
    ]
    assert consent_events(replica) == {"accept": 0, "decline": 1, "typed": 0}


@every
async def test_dialog_without_decline_stops_before_typing(configure, run, platform):
    replica = configure(platform, "cookie_consent_accept_only")
    results = await run(platform, "check")
    assert {str(r.state) for r in results} == {"broken"}, [
        (r.setting, r.state, r.detail) for r in results
    ]
    detail = results[0].detail
    assert "cookie-consent dialog" in detail and "no button to decline" in detail
    assert f"optout login {platform}" in detail
    assert consent_events(replica) == {"accept": 0, "decline": 0, "typed": 0}
    assert replica.events("login") == []
    assert SENTINEL_PASSWORD not in detail


@pytest.mark.parametrize("platform", ["facebook", "instagram", "linkedin"])
async def test_other_decline_words(configure, run, platform):
    """Meta's older "Only allow essential cookies"; LinkedIn's German "Ablehnen"."""
    replica = configure(platform, "cookie_consent_reworded")
    results = await run(platform, "check")
    assert {str(r.state) for r in results} == {"on"}, [
        (r.setting, r.state, r.detail) for r in results
    ]
    assert consent_events(replica) == {"accept": 0, "decline": 1, "typed": 0}


@pytest.mark.parametrize("platform", ["linkedin", "x"])
async def test_switch_off_under_a_dialog(configure, run, platform):
    replica = configure(platform, "cookie_consent")
    results = await run(platform, "off")
    [switch] = [r for r in results if r.setting in ("generative-ai", "training")]
    assert (str(switch.state), switch.changed) == ("off", True), switch.detail
    assert consent_events(replica)["accept"] == 0 and consent_events(replica)["typed"] == 0


async def test_no_dialog_no_consent_events(configure, run):
    replica = configure("x")
    results = await run("x", "check")
    assert {str(r.state) for r in results} == {"on"}
    assert consent_events(replica) == {"accept": 0, "decline": 0, "typed": 0}


def test_a_decline_name_that_overlaps_an_accept_name_is_refused(tmp_path):
    from optout.flowfile.load import load_flow
    from optout.paths import flows_dir

    text = (flows_dir() / "linkedin.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "linkedin.yaml"
    bad.write_text(text.replace('en: ["Reject"]', 'en: ["Reject", "Accept all"]'), encoding="utf-8")
    with pytest.raises(FlowError, match="overlaps a never name"):
        load_flow(bad)


async def test_a_button_named_both_ways_is_never_clicked(browser_path):
    """A decline name inside a button that also reads as an accept ("Reject or Accept all") is not a
    decline: nothing is clicked and the flow stops broken."""
    from optout import browser as browser_mod
    from optout.engine.consent import ConsentGuard
    from optout.engine.options import Outcome
    from optout.flowfile.folders import Layers
    from optout.flowfile.layers import load_flows

    guard = ConsentGuard(load_flows(Layers.person())["linkedin"])
    html = (
        '<div class="artdeco-global-alert" type="COOKIE_CONSENT"><h2>LinkedIn respects your privacy</h2>'
        '<button action-type="DENY" onclick="window.clicked = true">Reject or Accept all</button></div>'
    )
    async with browser_mod.started(browser_path) as browser:
        context = await browser.new_context()
        page = await context.new_page()
        await page.set_content(html)
        with pytest.raises(Outcome) as ended:
            await guard.clear(page)
        assert str(ended.value.state) == "broken" and "no button to decline" in ended.value.detail
        assert await page.evaluate("() => window.clicked === undefined")
