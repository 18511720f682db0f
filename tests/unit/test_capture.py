"""What a capture keeps of a page: the flow's own words and UI words only, URLs without queries or
the person's paths, states as states; and a page that would keep the account's name or a secret
anyway is refused. The walker itself runs in a real Chromium (one page)."""

from __future__ import annotations

import json

import pytest

from optout.capture import fileformat, snapshot
from optout.capture.keep import Keeper
from optout.credentials import Credential
from optout.flowfile.load import load_flow
from optout.paths import flows_dir

SENTINEL_NAME = "jo&<>\"' %/doe@example.org"
SENTINEL_PASSWORD = "pw-Unit&<>\"' %/9"
SENTINEL_TOTP = (
    "JBSWY3DPEHPK3PXP"  # the example secret of authenticator docs ("Hello!"), never a real one
)


@pytest.fixture(scope="module")
def linkedin():
    return load_flow(flows_dir() / "linkedin.yaml")


def el(tag, attrs=None, *children, **flags):
    return {"t": tag, "a": attrs or {}, "c": list(children), **flags}


def test_only_the_flows_words_are_kept(linkedin):
    keeper = Keeper.for_flow(linkedin)
    walked = {
        "lang": "en",
        "title": "Jo Doe | LinkedIn",
        "body": el(
            "body",
            {},
            el("h1", {}, "Hello Jo, here is "),
            el("p", {}, "Use my data for training content creation AI models"),
            el("button", {"aria-label": "Save"}, "Save"),
            el("span", {}, "Save my diary"),
            el("p", {}, "We've received ", el("b", {}, "your objection"), " — thanks Jo"),
        ),
    }
    page = snapshot.to_html(walked, keeper)
    assert "Use my data for training content creation AI models" in page
    assert 'aria-label="Save"' in page and ">Save<" in page
    assert (
        "We've received <b>your objection</b>" in page
    )  # a pattern across two elements is kept whole
    for gone in ("Hello", "Jo", "diary", "thanks"):
        assert gone not in page, gone
    assert "<title>▒▒ ▒▒▒ ▒ ▒▒▒▒▒▒▒▒</title>" in page


def test_attributes_states_and_urls(linkedin):
    keeper = Keeper.for_flow(linkedin)
    body = el(
        "body",
        {},
        el(
            "input",
            {
                "type": "checkbox",
                "role": "switch",
                "aria-checked": "<b>x</b>",
                "id": "t",
                "name": "session_key",
                "data-user": "jo",
                "style": "color:red",
                "onclick": "steal()",
            },
        ),
        el("a", {"href": "https://www.linkedin.com/in/jo-doe?trk=1#x"}, "me"),
        el(
            "a",
            {
                "href": "https://www.linkedin.com/mypreferences/d/settings/data-for-ai-improvement?a=b"
            },
            "x",
        ),
        el("div", {"type": "COOKIE_CONSENT", "class": "artdeco-global-alert"}),
        el("iframe", {"src": "https://client-api.arkoselabs.com/fc/gc/?token=abc"}),
        el("div", {}, "hidden", h=1),
    )
    page = snapshot.to_html({"lang": "en", "title": "", "body": body}, keeper)
    assert (
        'aria-checked="▒"' in page and 'name="session_key"' in page and 'id="i1"' in page
    )  # the page's own id: a stand-in
    for gone in ("data-user", 'style="color', "onclick", "trk", "jo-doe", "token", "#x", "a=b"):
        assert gone not in page, gone
    assert (
        'href="https://www.linkedin.com/in/▒"' in page
    )  # the flow's own pattern, not the name after it
    assert (
        'href="https://www.linkedin.com/mypreferences/d/settings/data-for-ai-improvement"' in page
    )
    assert 'type="COOKIE_CONSENT"' in page
    assert 'src="https://client-api.arkoselabs.com/fc/gc/"' in page
    assert "<div hidden>" in page


@pytest.mark.parametrize("planted", [SENTINEL_NAME, SENTINEL_PASSWORD])
@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s,
        lambda s: s.upper(),
        lambda s: __import__("html").escape(s),
        lambda s: __import__("urllib.parse").parse.quote(s, safe=""),
        lambda s: __import__("urllib.parse").parse.quote(s, safe="'"),  # encodeURIComponent
        lambda s: json.dumps(s)[1:-1],
    ],
    ids=["raw", "upper", "html", "url", "uri-component", "json"],
)
def test_a_page_keeping_the_name_or_a_secret_is_refused(planted, encode):
    """A kept id (ids are kept as they are) holding the name or password, in any encoding."""
    text = f'<div id="card-{encode(planted)}"></div>'
    why = snapshot.leaks(text, SENTINEL_NAME, Credential(SENTINEL_NAME, SENTINEL_PASSWORD))
    assert why and planted not in why and ("account's name" in why or "password" in why), why


def test_leaks_checks_handles_and_local_parts():
    assert snapshot.leaks('<a id="u-jodoe-x">', "@jodoe") == "the page kept the account's name"
    assert (
        snapshot.leaks('<i class="janedoe1">', "janedoe1@example.org")
        == "the page kept the account's name"
    )
    assert snapshot.leaks('<i class="me">', "me@example.org") is None  # too short to tell
    assert (
        snapshot.leaks(
            "<p>▒▒▒</p>", SENTINEL_NAME, Credential(SENTINEL_NAME, SENTINEL_PASSWORD, SENTINEL_TOTP)
        )
        is None
    )


def test_file_round_trip_and_show_fit_80_columns(linkedin):
    header = {
        "format": 1,
        "platform": "linkedin",
        "setting": "generative-ai",
        "label": "x" * 200,
        "url": "https://www.linkedin.com/" + "a" * 150,
        "captured_at": "2026-12-02T13:00:00Z",
        "flow_version": 3,
        "state": "on --> <script>",
    }
    page = snapshot.to_html(
        {
            "lang": "en",
            "title": "",
            "body": el("body", {}, el("div", {"class": " ".join(["c"] * 60)}, "\x1b[31mSave")),
        },
        Keeper.for_flow(linkedin),
    )
    text = fileformat.Capture(header, page).text()
    assert text.count("-->") == 1 and "<script>" not in text.splitlines()[0]
    back = fileformat.parse(text)
    assert back.header == header and back.page == page
    shown = fileformat.show(back)
    assert all(len(line) <= 80 for line in shown.splitlines()), shown
    assert "\x1b" not in shown and "state" in shown
    assert fileformat.as_json(back)["page"]["children"][0]["tag"] == "html"


def test_not_a_capture_is_refused_with_the_file_named(tmp_path):
    from optout.errors import OptoutError

    bad = tmp_path / "page.html"
    bad.write_text("<html></html>")
    with pytest.raises(OptoutError, match="page.html is not an optout capture"):
        fileformat.read(bad)


async def test_walker_reads_live_state_and_leaves_out_data(browser_path, linkedin):
    """The checked property, not the stale attribute; no field values, scripts, comments, images."""
    from optout import browser as browser_mod
    from optout.capture.hook import take

    async with browser_mod.started(browser_path) as browser:
        context = await browser.new_context()
        page = await context.new_page()
        await page.set_content(
            '<main><!-- jo --><input type="checkbox" id="a" checked><input type="checkbox" id="b">'
            '<input id="c" value="typed-by-jo"><textarea>draft by jo</textarea><button value="Save">Save</button>'
            '<img src="https://x/jo.png" alt="Jo"><script>var jo=1</script><div style="display:none">Save</div>'
            '</main><script>document.getElementById("a").checked = false; document.getElementById("b").checked = true;'
            'document.getElementById("c").value = "also-jo";</script>'
        )
        page_html, _ = await take(page, linkedin)
        # A switch inside a shadow root comes back as declarative shadow DOM, readable by role.
        await page.set_content(
            '<div id="host"></div><script>document.getElementById("host").attachShadow('
            '{mode: "open"}).innerHTML = \'<label><input type="checkbox" role="switch" checked>'
            "Use my data for training content creation AI models</label>';</script>"
        )
        shadowed, _ = await take(page, linkedin)
        assert '<template shadowrootmode="open">' in shadowed, shadowed
        await page.route(
            "https://example.org/",
            lambda route: route.fulfill(body=shadowed, content_type="text/html"),
        )
        await page.goto(
            "https://example.org/"
        )  # served as a replay serves it: parsed, not injected
        switch = page.get_by_role(
            "switch", name="Use my data for training content creation AI models"
        )
        assert await switch.count() == 1 and await switch.is_checked()
        await context.close()
    assert '<input id="i1" type="checkbox">' in page_html  # the page's ids: stand-ins
    assert '<input checked id="i2" type="checkbox">' in page_html
    assert "jo" not in page_html.lower(), page_html
    assert '<button value="Save">Save</button>' in page_html and "<img alt=" in page_html
    assert "<div hidden>Save</div>" in page_html and "<script" not in page_html


async def test_capturer_refuses_a_page_showing_the_account_and_writes_nothing(
    browser_path, linkedin, tmp_path
):
    """The page shows, in the words the flow itself looks for, what is the account's name: refused,
    no file. (A name in an id no longer reaches a capture: ids become stand-ins.)"""
    import html as html_mod

    from optout import browser as browser_mod
    from optout.capture.hook import Capturer
    from optout.engine import Account
    from optout.results import Result
    from optout.states import State

    setting = linkedin.setting("generative-ai")
    shown = (
        f'<main><div id="card-{html_mod.escape(SENTINEL_NAME)}"></div><input type="checkbox" role="switch" '
        'aria-label="Use my data for training content creation AI models" checked></main>'
    )
    capturer = Capturer(tmp_path / "captures")
    async with browser_mod.started(browser_path) as browser:
        context = await browser.new_context()
        page = await context.new_page()
        await page.route(
            setting.url, lambda route: route.fulfill(body=shown, content_type="text/html")
        )
        await page.goto(setting.url)
        result = Result("linkedin", setting.id, State.ON)
        named_like_the_flow = "training content"  # the flow's own label holds it, so it is kept
        await capturer(
            page,
            linkedin,
            Account(
                "linkedin", named_like_the_flow, Credential(named_like_the_flow, SENTINEL_PASSWORD)
            ),
            setting,
            result,
        )
        shown_ok = shown.replace(
            html_mod.escape(SENTINEL_NAME), "profile"
        )  # the same page without the name: kept
        await page.route(
            setting.url, lambda route: route.fulfill(body=shown_ok, content_type="text/html")
        )
        await page.goto(setting.url)
        await capturer(
            page,
            linkedin,
            Account("linkedin", SENTINEL_NAME, Credential(SENTINEL_NAME, SENTINEL_PASSWORD)),
            setting,
            result,
        )
        (tmp_path / "a-file").write_text("")
        unwritable = Capturer(tmp_path / "a-file" / "captures")  # a folder that cannot be made
        await unwritable(page, linkedin, Account("linkedin", SENTINEL_NAME), setting, result)
        await context.close()
    [failed] = unwritable.notes
    assert (
        failed.path is None
        and "could not be written" in failed.refused
        and "a-file" in failed.refused
    )
    refused, kept = capturer.notes
    assert (
        refused.path is None
        and "account's name" in refused.refused
        and "training content" not in refused.line()
    )
    assert kept.path is not None and list((tmp_path / "captures").iterdir()) == [kept.path]
    assert SENTINEL_NAME.casefold() not in kept.path.read_text().casefold()
    assert fileformat.read(kept.path).header["state"] == "on"


def test_a_huge_page_makes_a_small_capture_that_still_keeps_the_flows_words(linkedin):
    words = " ".join(f"word{i}" for i in range(30))
    paragraphs = [el("p", {}, words) for _ in range(20000)]
    paragraphs.append(el("label", {}, "Use my data for training content creation AI models"))
    page = snapshot.to_html(
        {"lang": "en", "title": "", "body": el("body", {}, *paragraphs)}, Keeper.for_flow(linkedin)
    )
    assert len(page.encode()) < 600_000, len(page.encode())  # from about 4.6 MB of text
    assert "<label>Use my data for training content creation AI models</label>" in page
