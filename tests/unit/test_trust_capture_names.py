"""Issue 23, item 4: captures are shared in public, so the person's identifiers stay out of them:
in ids, classes, roles, lang, `for` and aria-* references, custom tag names, foreign link hosts,
in every spelling of the login and in a per-item name (a Tumblr blog) in the file name and header."""

from __future__ import annotations

import pytest

from optout.capture import fileformat, snapshot
from optout.capture.hook import Capturer
from optout.capture.keep import Keeper
from optout.credentials import Credential
from optout.engine import Account
from optout.flowfile.load import load_flow
from optout.paths import flows_dir
from optout.results import Result
from optout.states import State

LOGIN = "jane.doe@example.org"


def el(tag, attrs=None, *children, **flags):
    return {"t": tag, "a": attrs or {}, "c": list(children), **flags}


@pytest.fixture(scope="module")
def gemini():
    return load_flow(flows_dir() / "gemini.yaml")


def test_the_pages_own_names_become_stand_ins_that_still_tie_the_page_together(gemini):
    keeper = Keeper.for_flow(gemini)
    body = el(
        "body",
        {},
        el(
            "label",
            {
                "for": "janedoe-field",
                "id": "jane-doe-label",
                "class": "JaneDoe card",
                "lang": "janedoe",
                "role": "jane_doe",
            },
            "Use",
        ),
        el(
            "input",
            {"id": "janedoe-field", "aria-labelledby": "jane-doe-label", "type": "checkbox"},
        ),
        el("jane-doe-widget", {}, "x"),
        el("input", {"id": "identifierId", "type": "email"}),  # the flow's own selector: kept
        el("a", {"href": "https://janedoe.example/blog"}, "site"),
        el("div", {"role": "switch", "lang": "en-GB"}),
    )
    page = snapshot.to_html({"lang": "en", "title": "", "body": body}, keeper)
    for form in ("jane-doe", "janedoe", "JaneDoe", "jane_doe"):
        assert form.casefold() not in page.casefold(), (form, page)
    assert (
        '<label class="c1 c2" for="i1" id="i2" role="▒">' in page
    )  # `lang` that is no language: empty
    assert '<input aria-labelledby="i2" id="i1" type="checkbox">' in page
    assert "<x-1>" in page and 'id="identifierId"' in page
    assert 'href="https://▒/▒"' in page and 'role="switch" lang="en-GB"' in page.replace(
        '<div lang="en-GB" role="switch">', '<div role="switch" lang="en-GB">'
    )


@pytest.mark.parametrize("shown", ["jane-doe", "janedoe", "JaneDoe", "jane_doe", "Jane Doe"])
def test_every_spelling_of_the_login_is_refused(shown):
    assert snapshot.leaks(f"<p>{shown}</p>", LOGIN) == "the page kept the account's name"
    assert snapshot.leaks(f"<p>{shown}</p>", "@JaneDoe") == "the page kept the account's name"


def test_a_phone_login_is_refused_in_any_grouping():
    for shown in ("+1 555 123 4567", "(555) 123-4567", "555.123.4567", "5551234567"):
        assert (
            snapshot.leaks(f"<p>call {shown}</p>", "+15551234567")
            == "the page kept the account's phone number"
        )
    assert snapshot.leaks("<p>123 456</p>", "+15551234567") is None


def serve(body: str):
    async def handler(route):
        await route.fulfill(body=body, content_type="text/html")

    return handler


async def test_a_blogs_name_is_in_neither_the_file_name_nor_the_header(tmp_path, browser_path):
    from optout import browser as browser_mod

    tumblr = load_flow(flows_dir() / "tumblr.yaml")
    base = next(s for s in tumblr.settings if s.items is not None)
    blog = "janes-secret-diary"
    setting = base.model_copy(
        update={
            "id": f"{base.id}/{blog}",
            "label": f"{base.label} ({blog})",
            "url": base.url.replace("{item}", blog),
            "items": None,
        }
    )
    capturer = Capturer(tmp_path / "captures")
    pages = {"plain": "<main><p>Settings</p></main>", "named": f"<main><p>{blog}</p></main>"}
    async with browser_mod.started(browser_path) as browser:
        context = await browser.new_context()
        page = await context.new_page()
        for body in pages.values():
            await page.unroute(setting.url)
            await page.route(setting.url, serve(body))
            await page.goto(setting.url)
            await capturer(
                page,
                tumblr,
                Account("tumblr", LOGIN, Credential(LOGIN, "pw-x")),
                setting,
                Result("tumblr", setting.id, State.ON),
            )
        await context.close()
    assert len(capturer.notes) == 2
    for note in capturer.notes:  # the page showing the blog's name keeps a placeholder in its place
        assert note.path is not None and blog not in note.path.name, note
        text = note.path.read_text()
        assert "janes" not in text.casefold(), text
        header = fileformat.read(note.path).header
        assert header["setting"] == f"{base.id}/item-1" and "(item-1)" in header["label"], header
    # and where a page would keep it anyway, the capture is refused
    assert (
        snapshot.leaks(f"<p>{blog}</p>", LOGIN, also=(blog,))
        == "the page kept the name of one of the account's items"
    )
