"""Pages of real weight: a run never loads video, web fonts, beacons or analytics hosts, and reads
what it read before; images and scripts still load (screenshots are evidence, scripts draw)."""

from __future__ import annotations

import pytest

from optout.engine.tab import skipped


@pytest.mark.parametrize(
    "kind,url,skip",
    [
        ("media", "https://chatgpt.com/intro.mp4", True),
        ("font", "https://chatgpt.com/sans.woff2", True),
        ("ping", "https://chatgpt.com/beacon", True),
        ("script", "https://www.googletagmanager.com/gtag/js", True),
        ("image", "https://stats.g.doubleclick.net/j/collect", True),
        ("fetch", "https://bat.bing.com/action/0", True),
        ("image", "https://chatgpt.com/hero.jpg", False),
        ("script", "https://chatgpt.com/app.js", False),
        (
            "document",
            "https://www.linkedin.com/mypreferences/d/settings/data-for-ai-improvement",
            False,
        ),
        ("script", "https://notgoogletagmanager.com/x.js", False),
    ],
)
def test_what_is_skipped(kind, url, skip):
    assert skipped(kind, url) is skip


@pytest.mark.parametrize("platform", ["chatgpt", "copilot"])
async def test_real_weight_page_is_read_and_switched_with_evidence(configure, run_flow, platform):
    configure(platform, "real_weight")
    results = await run_flow(platform, "off")
    assert results and {(str(r.state), r.changed) for r in results} == {("off", True)}, [
        r.detail for r in results
    ]
    assert all(r.evidence and all(p.exists() for p in r.evidence) for r in results)
