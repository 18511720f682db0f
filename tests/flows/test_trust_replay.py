"""Issue 23, item 5: replaying a shared capture contacts no host the capture names (a frame, a
stylesheet, a prefetch, a preconnect, a video, an image) and clicks nothing (not its cookie
banner's Reject, not a reveal)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from optout.capture import fileformat, replay
from optout.flowfile.load import load_flow
from optout.paths import flows_dir

CAPTURES = Path(__file__).parent.parent / "captures"


@pytest.fixture
def listener():
    """A server on this machine that notes every connection made to it."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    class Counting(HTTPServer):
        def get_request(
            self,
        ):  # every connection, even one that never sends a request (a preconnect)
            got = super().get_request()
            hits.append("connection")
            return got

    server = Counting(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


async def test_replay_sends_nothing_anywhere_and_clicks_nothing(listener, browser_path):
    host, hits = listener
    original = fileformat.read(CAPTURES / "linkedin-generative-ai-on.html")
    hostile = (
        f'<link rel="stylesheet" href="http://{host}/style.css">'
        f'<link rel="prefetch" href="http://{host}/prefetch">'
        f'<link rel="preconnect" href="http://{host}/">'
        f'<link rel="dns-prefetch" href="http://{host}/">'
        f'<iframe src="http://{host}/frame"></iframe>'
        f'<video src="http://{host}/video.mp4" autoplay preload="auto"></video>'
        f'<img src="http://{host}/pixel.png">'
        f'<div role="alert"><div class="artdeco-global-alert" type="COOKIE_CONSENT">'
        f'<a href="https://www.linkedin.com/reject-was-clicked" action-type="DENY" role="button">Reject</a>'
        f'<button action-type="ACCEPT">Accept</button></div></div>'
    )
    page = original.page.replace("<body>", "<body>" + hostile, 1)
    captured = fileformat.Capture(original.header, page)
    flow = load_flow(flows_dir() / "linkedin.yaml")
    [done] = await replay.replay(flow, [captured], browser_path=browser_path)
    assert hits == [], hits
    assert not any("reject-was-clicked" in r for r in done.requests), done.requests
    assert done.state == "on", (done.state, done.detail, done.problem)
