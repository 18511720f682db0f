"""One `optout ui` server per test, on the sandbox replicas, and one real Chromium to drive its page
(with a name, rebind.test, that resolves to 127.0.0.1 as a DNS-rebinding attacker's would)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

#: Where the README's screenshots are written when asked (OPTOUT_UI_SCREENSHOTS=docs).
SCREENSHOTS = os.environ.get("OPTOUT_UI_SCREENSHOTS")


@pytest.fixture
async def ui(sandbox, browser_path, monkeypatch):
    """(Ui, its one-time URL): a server on 127.0.0.1 running flows against `sandbox`."""
    from optout.paths import Profile
    from optout.ui.app import Ui, bind, serve
    from optout.ui.jobs import UiContext

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost,rebind.test")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost,rebind.test")
    ctx = UiContext(
        profile=Profile(
            "sandbox-default"
        ).ensure(),  # runs routed to the replicas keep to a sandbox profile
        setup_context=sandbox.install,
        browser_path=browser_path,
        sandbox=True,
        attended=False,
        person_wait_s=60,
    )
    page = Ui(ctx)
    ready = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(page, bind(0), on_ready=ready.set_result))
    url = await asyncio.wait_for(ready, 10)
    yield page, url
    page.stop()
    await asyncio.wait_for(task, 10)


@pytest.fixture
async def chromium(browser_path):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=browser_path, args=["--host-resolver-rules=MAP rebind.test 127.0.0.1"]
        )
        yield browser
        await browser.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
