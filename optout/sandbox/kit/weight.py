"""Pages of real weight (the `real_weight` misbehaviour): what a real settings page pulls besides
itself — megabytes of images, web fonts, a video and scripts, and requests to analytics hosts —
every response 100 ms late and all of them sharing one 20 Mbit/s connection. The assets are served by the router on every replica host (and the
analytics hosts by name), made up on the spot, never fetched from anywhere."""

from __future__ import annotations

import asyncio
import hashlib
import time

from optout.sandbox.replica import Response

LATENCY_S = 0.1
#: The one connection every page of a sandbox shares (20 Mbit/s): a byte sent waits its turn.
LINK_BYTES_PER_S = 2.5e6
WEIGHT_PATH = "/__sandbox/weight/"
#: Analytics hosts a real page calls; answered here, so no request leaves the machine.
TRACKERS = (
    "www.googletagmanager.com",
    "www.google-analytics.com",
    "stats.g.doubleclick.net",
    "bat.bing.com",
)
KB = 1024
#: name → (content type, size): 6 MB of images, fonts and video; 1.2 MB of scripts.
ASSETS = {
    **{f"hero{i}.jpg": ("image/jpeg", 600 * KB) for i in range(5)},
    **{f"sans{i}.woff2": ("font/woff2", 400 * KB) for i in range(2)},
    "intro.mp4": ("video/mp4", 2200 * KB),
    **{f"app{i}.js": ("application/javascript", 400 * KB) for i in range(3)},
}


def _bytes(name: str, size: int) -> bytes:
    seed = hashlib.sha256(name.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def asset(host: str, path: str) -> Response | None:
    """The response for a weight asset or an analytics request; None for anything else."""
    if host in TRACKERS:
        if path.endswith(".js"):
            return Response(
                body="/*" + "x" * (300 * KB) + "*/ window.dataLayer = window.dataLayer || [];",
                content_type="application/javascript",
            )
        return Response(status=204, body=b"", content_type="image/gif")
    if not path.startswith(WEIGHT_PATH):
        return None
    name = path[len(WEIGHT_PATH) :]
    if name not in ASSETS:
        return Response(status=404, body="")
    kind, size = ASSETS[name]
    if kind == "application/javascript":
        pad = "/*" + "x" * (size - 64) + "*/"
        return Response(
            body=f"{pad}\nwindow.__weight = (window.__weight || 0) + 1;", content_type=kind
        )
    return Response(body=_bytes(name, size), content_type=kind)


def decorate(html: str) -> str:
    """A replica page with the weight of a real one added at its end."""
    fonts = "".join(
        f"@font-face{{font-family:W{i};src:url({WEIGHT_PATH}{n})}}"
        for i, n in enumerate(n for n in ASSETS if n.endswith(".woff2"))
    )
    extra = (
        f"<style>{fonts} h1,h2{{font-family:W0,system-ui}} p{{font-family:W1,system-ui}}</style>"
        + "".join(
            f'<img alt="" width="40" height="30" src="{WEIGHT_PATH}{n}">'
            for n in ASSETS
            if n.endswith(".jpg")
        )
        + f'<video src="{WEIGHT_PATH}intro.mp4" preload="auto" muted autoplay width="40"></video>'
        + "".join(f'<script src="{WEIGHT_PATH}{n}"></script>' for n in ASSETS if n.endswith(".js"))
        + '<script async src="https://www.googletagmanager.com/gtag/js?id=G-SANDBOX"></script>'
        + "<script>navigator.sendBeacon('https://www.google-analytics.com/g/collect?v=2', 'e=page_view');"
        "new Image().src = 'https://stats.g.doubleclick.net/j/collect?t=dc';"
        "fetch('https://bat.bing.com/action/0?evt=pageLoad', {mode: 'no-cors'}).catch(() => null);</script>"
    )
    return html.replace("</body>", extra + "</body>", 1) if "</body>" in html else html + extra


class Link:
    """One connection shared by every request of a sandbox: a response arrives LATENCY_S after
    it was asked for, and after every byte queued before it has gone through."""

    def __init__(self, bytes_per_s: float = LINK_BYTES_PER_S):
        self.bytes_per_s, self.free_at = bytes_per_s, 0.0

    async def send(self, size: int) -> None:
        now = time.monotonic()
        self.free_at = max(now, self.free_at) + size / self.bytes_per_s
        await asyncio.sleep(self.free_at - now + LATENCY_S)
