"""More faults, through a real Chromium and the sandbox: a machine slowed by other work, and a
page too big to photograph. A slow machine must give slower answers, never other ones; a page that
cannot be kept whole is kept in part, and the detail says what could not be kept."""

from __future__ import annotations

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

    return setup


@pytest.mark.parametrize("platform", ["copilot"])
async def test_a_slow_machine_gives_the_same_answer(configure, sandbox, browser_path, platform):
    """Under contention each look at the page takes longer; the find time limit must not count
    optout's own looking, or a control still on its way reads as missing (`broken`)."""
    configure(platform)
    results = await api.check([platform], credentials={platform: Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD)},
                              setup_context=throttled(sandbox, 12), browser_path=browser_path, sessions=False,
                              find_timeout_s=2)
    assert results and all(r.state == State.ON for r in results if not r.optional), \
        [(r.setting, str(r.state), r.detail) for r in results]
