"""Issue 23, items 1 and 2: a page that shows the password however it draws it (split by tags,
CSS-escaped generated content, set by a script, in a shadow root, on a canvas, upper-cased by CSS)
keeps no screenshot and no HTML; a page shown after a password was typed keeps no screenshot; and
kept HTML runs nothing when opened from disk."""

from __future__ import annotations

import html
import json
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
import structlog

from optout import browser as browser_mod
from optout import logs
from optout.engine import evidence as evidence_mod
from optout.engine.evidence import Evidence

SENTINEL_PASSWORD = "S3nt&<>\"' %/inel"

HOSTILE = {
    "split by tags": "<p>Wrong password: S3nt<b>&amp;&lt;&gt;\"' %/inel</b></p>",
    "on two lines": "<p>Wrong password: S3nt&amp;<div>&lt;&gt;\"' %/</div>inel</p>",
    "css escaped": "<style>p::after{content:'S3nt\\26 \\3c \\3e \\22 \\27  %/inel'}</style><p>Wrong password</p>",
    "css attr()": "<style>p::after{content:attr(data-x)}</style><p data-x='S3nt&amp;&lt;&gt;&quot;&#39; %/inel'>x</p>",
    "set by script": "<p id=t>Wrong</p><script>document.getElementById('t').textContent="
    "atob('" + __import__("base64").b64encode(SENTINEL_PASSWORD.encode()).decode() + "')</script>",
    "open shadow root": "<div id=h></div><script>const r=document.getElementById('h').attachShadow({mode:'open'});"
    "r.innerHTML='<span>S3nt</span><i>&amp;&lt;&gt;\"\\' %/inel</i>'</script>",
    "closed shadow root": "<div id=h></div><script>const r=document.getElementById('h').attachShadow({mode:'closed'});"
    "r.innerHTML='<span>S3nt</span><i>&amp;&lt;&gt;\"\\' %/inel</i>'</script>",
    "upper-cased by css": "<p style='text-transform:uppercase'>s3nt&amp;&lt;&gt;\"' %/INEL</p>",
    "in a frame": '<iframe srcdoc="<p>S3nt<b>&amp;amp;&amp;lt;&amp;gt;&amp;quot;\' %/inel</b></p>"></iframe>',
    "on a canvas": "<canvas id=c width=300 height=50></canvas><script>const c=document.getElementById('c')"
    ".getContext('2d');c.font='20px sans-serif';c.fillText('x',10,30)</script>",
}


def escaped_forms(secret: str) -> list[str]:
    return [
        secret,
        html.escape(secret),
        quote(secret, safe=""),
        json.dumps(secret)[1:-1],
        secret.lower(),
        "S3nt",
        "%/inel",
    ]


@pytest.fixture
async def page(browser_path):
    async with browser_mod.started(browser_path) as browser:
        context = await browser.new_context()
        yield await context.new_page()


def evidence(tmp_path: Path) -> Evidence:
    options = SimpleNamespace(evidence_dir=tmp_path / "evidence")
    flow = SimpleNamespace(id="linkedin", name="LinkedIn")
    return Evidence(flow, SimpleNamespace(name="jane@example.com"), options, structlog.get_logger())


def kept_files(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "evidence").rglob("*") if p.is_file()]


@pytest.mark.parametrize("how", sorted(HOSTILE))
async def test_a_page_showing_the_password_keeps_no_picture_and_no_html(page, tmp_path, how):
    logs.register_secret(SENTINEL_PASSWORD)
    await page.set_content(HOSTILE[how])
    await page.wait_for_timeout(100)
    ev = evidence(tmp_path)
    setting = SimpleNamespace(id="generative-ai")
    assert await ev.keep_broken_page(page, setting) == []
    assert await ev.screenshot(page, setting, "before") == []
    assert kept_files(tmp_path) == []
    assert any("no screenshot" in note for note in ev.missing), ev.missing


async def test_a_clean_page_keeps_its_picture_and_inert_html(page, tmp_path):
    logs.register_secret(SENTINEL_PASSWORD)
    await page.set_content(
        "<p onclick='steal()'>Settings</p><script>steal()</script>"
        "<a href='javascript:steal()'>x</a><iframe src='https://evil.test/'></iframe>"
    )
    ev = evidence(tmp_path)
    kept = await ev.keep_broken_page(page, SimpleNamespace(id="generative-ai"))
    assert [p.suffix for p in kept] == [".png", ".html"]
    text = kept[1].read_text()
    assert text.startswith(
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">"
    )
    low = text.lower()
    assert (
        "<script" not in low
        and "onclick" not in low
        and "javascript:" not in low
        and "<iframe" not in low
    )
    assert "Settings" in text


async def test_after_a_password_was_typed_no_screenshot_is_kept(page, tmp_path):
    """A page that echoes the password as pixels only (an image, here a canvas-free SVG image)
    cannot be read as text: after typing the password, nothing of the sign-in's answer is photographed."""
    logs.register_secret(SENTINEL_PASSWORD)
    await page.set_content("<p>Something went wrong</p>")
    ev = evidence(tmp_path)
    ev.password_typed = True
    kept = await ev.keep_broken_page(page, SimpleNamespace(id="generative-ai"))
    assert [p.suffix for p in kept] == [".html"]
    assert await ev.screenshot(page, SimpleNamespace(id="generative-ai"), "before") == []
    assert not [p for p in kept_files(tmp_path) if p.suffix == ".png"]


def test_kept_html_carries_no_script_whatever_its_spelling():
    page = (
        "<html><head><base href='https://evil.test/'><meta http-equiv=refresh content='0;url=https://evil.test'>"
        "<link rel=stylesheet href='https://evil.test/a.css'></head><body>"
        "<SCRIPT>a()</SCRIPT><script src=x></script><svg><script>b()</script></svg>"
        "<img src=x OnError=c()><a href=' JaVa\tScRiPt:d()'>l</a><object data=e></object>"
        "<iframe srcdoc='<script>f()</script>'></iframe><form><button formaction='javascript:g()'>b</button></form>"
        "<style>p > b { color: red }</style><p>kept &amp; text</p></body></html>"
    )
    out = evidence_mod.inert_html(page)
    low = out.lower()
    for bad in (
        "<script",
        "onerror",
        "javascript",
        "<object",
        "<iframe",
        "<base",
        "refresh",
        "<link",
        "formaction",
        "a()",
        "b()",
        "c()",
        "d()",
        "f()",
        "g()",
    ):
        assert bad not in low, bad
    assert "p > b { color: red }" in out and "kept &amp; text" in out
