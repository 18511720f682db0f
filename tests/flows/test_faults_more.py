"""More faults, through a real Chromium and the sandbox: a machine slowed by other work, and a
page too big to photograph. A slow machine must give slower answers, never other ones; a page that
cannot be kept whole is kept in part, and the detail says what could not be kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from optout import api
from optout.credentials import Credential
from optout.sandbox import SANDBOX_USERNAME
from optout.states import State

SENTINEL_PASSWORD = "sentinel-pw-Slow4Page"


def throttled(sandbox, rate: float):
    """setup_context that routes to the sandbox and slows every page's CPU `rate` times (Chromium's
    own CPU throttling): the page's scripts, its rendering and every look optout takes at it run as
    on a machine busy with other work."""

    async def setup(context):
        await sandbox.install(context)

        async def slow(page):
            session = await context.new_cdp_session(page)
            await session.send("Emulation.setCPUThrottlingRate", {"rate": rate})

        context.on("page", slow)

    setup.routes_to_replicas = True  # records in a sandbox profile (optout.runs.run_profile)
    return setup


@pytest.mark.parametrize("platform", ["copilot"])
async def test_a_slow_machine_gives_the_same_answer(configure, sandbox, browser_path, platform):
    """Under contention each look at the page takes longer; the find time limit must not count
    optout's own looking, or a control still on its way reads as missing (`broken`)."""
    configure(platform)
    results = await api.check(
        [platform],
        credentials={platform: Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD)},
        setup_context=throttled(sandbox, 12),
        browser_path=browser_path,
        sessions=False,
        find_timeout_s=2,
    )
    assert results and all(r.state == State.ON for r in results if not r.optional), [
        (r.setting, str(r.state), r.detail) for r in results
    ]


# --- a page too big to photograph ----------------------------------------------------------------


async def check_chatgpt(sandbox, browser_path):
    return await api.check(
        ["chatgpt"],
        credentials={"chatgpt": Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD)},
        setup_context=sandbox.install,
        browser_path=browser_path,
        sessions=False,
        find_timeout_s=1,
        nav_timeout_ms=120000,
    )


async def test_a_huge_page_without_the_control_keeps_its_html_and_a_screenshot(
    configure, sandbox, browser_path, monkeypatch
):
    """`huge_page`: ~10 MB of text and no control. The page is `broken`, its HTML is kept, and when
    the whole page cannot be photographed in time the visible part is, and the detail says so."""
    from optout.engine.evidence import Evidence

    monkeypatch.setattr(Evidence, "FULL_PAGE_MS", 1)  # the whole page never fits in the time limit
    configure("chatgpt", "huge_page")
    results = await check_chatgpt(sandbox, browser_path)
    broken = [r for r in results if r.state == State.BROKEN]
    assert broken, [(r.setting, str(r.state), r.detail) for r in results]
    for r in broken:
        kinds = sorted(Path(p).suffix for p in r.evidence)
        assert kinds == [".html", ".png"], r.evidence
        html = next(Path(p) for p in r.evidence if str(p).endswith(".html"))
        assert html.stat().st_size > 4_500_000 and "no setting on it" in html.read_text()
        assert "was not found" in r.detail
        assert "the screenshot shows the visible part of the page only" in r.detail, r.detail
        assert "no answer within 0.001 s" in r.detail, r.detail


async def test_a_page_that_cannot_be_photographed_at_all_says_so(
    configure, sandbox, browser_path, monkeypatch
):
    from optout.engine.evidence import Evidence

    monkeypatch.setattr(Evidence, "FULL_PAGE_MS", 1)
    monkeypatch.setattr(Evidence, "VIEWPORT_MS", 1)
    configure("chatgpt", "huge_page")
    results = await check_chatgpt(sandbox, browser_path)
    broken = [r for r in results if r.state == State.BROKEN]
    assert broken
    for r in broken:
        assert [Path(p).suffix for p in r.evidence] == [".html"], r.evidence
        assert "no screenshot of the page could be taken" in r.detail, r.detail
