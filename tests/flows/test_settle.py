"""A missing control is decided once the page has settled (no request in flight, no change to the
page for a moment, its load a few seconds behind it), not when the fixed `find_timeout_s` runs out;
and a page still fetching is never called broken, however long its spinner turns.

No test here measures time: each one sets a ceiling (find_timeout_s) far above what settling takes
and tells from the result's detail which of the two decided."""

from __future__ import annotations

import pytest

CEILING_S = 60.0  # far above settling: a test that reached it would say "while the page was still loading"


@pytest.mark.parametrize("platform", ["chatgpt", "copilot"])
async def test_control_after_six_seconds_of_fetching_is_read(configure, run_flow, platform):
    """The spinner fetches for 6 s, requests under a second apart, then the setting appears: it is
    read (and switched off), never broken while the page was still busy."""
    configure(platform, "slow_fetch")
    results = await run_flow(platform, "off", find_timeout_s=CEILING_S)
    assert results and {(str(r.state), r.changed) for r in results} == {("off", True)}, [r.detail for r in results]


async def test_objection_form_after_six_seconds_of_fetching_is_found(sandbox, run_flow):
    sandbox.configure("facebook", "slow_fetch", password="sentinel-pw-Settle7Fb")
    from optout.credentials import Credential
    from optout.sandbox import SANDBOX_USERNAME

    results = await run_flow("facebook", "check", credential=Credential(SANDBOX_USERNAME, "sentinel-pw-Settle7Fb"),
                             find_timeout_s=CEILING_S)
    assert results and {str(r.state) for r in results} == {"on"}, [r.detail for r in results]


@pytest.mark.parametrize("platform", ["chatgpt", "claude"])
async def test_changed_page_is_broken_once_settled_not_at_the_ceiling(configure, run_flow, platform):
    configure(platform, "label_gone", session=platform == "claude")
    results = await run_flow(platform, "check", find_timeout_s=CEILING_S)
    for r in results:
        assert str(r.state) == "broken", r.detail
        assert "once the page had finished loading" in r.detail, r.detail
        assert r.evidence, "a broken page keeps its evidence"


async def test_page_without_the_form_is_broken_once_settled(sandbox, run_flow):
    sandbox.configure("instagram", "label_gone", password="sentinel-pw-Settle7Ig")
    from optout.credentials import Credential
    from optout.sandbox import SANDBOX_USERNAME

    results = await run_flow("instagram", "off", credential=Credential(SANDBOX_USERNAME, "sentinel-pw-Settle7Ig"),
                             find_timeout_s=CEILING_S)
    assert results and {str(r.state) for r in results} == {"broken"}, [r.detail for r in results]
    assert all("once the page had finished loading" in r.detail for r in results)


async def test_ceiling_still_ends_a_page_that_never_settles(configure, run_flow):
    """The fixed limit stays the ceiling: a page still fetching when it runs out is broken, and
    says it was still loading."""
    configure("chatgpt", "slow_fetch")
    results = [r for r in await run_flow("chatgpt", "check", find_timeout_s=1) if r.setting == "improve-model"]
    assert [str(r.state) for r in results] == ["broken"]
    assert "while the page was still loading" in results[0].detail
