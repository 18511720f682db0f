"""Issue 23, item 9: a same-origin flow (a local one needs no --allow-origins for it) whose steps
type the password into the site's post box, or the username into a search field, types nothing:
the password goes only into a password input of a sign-in origin, the username only into a text,
e-mail or telephone input there."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from optout import browser as browser_mod
from optout.engine.options import Outcome
from optout.engine.signinsteps import type_into
from optout.flowfile.parts import Locator, Step

SENTINEL_PASSWORD = "S3nt&<>\"' %/inel"
PAGE = (
    "<form><input id=user type=text><input id=pass type=password>"
    "<textarea id=post></textarea><input id=search type=search>"
    "<div id=editable contenteditable=true></div>"
    "</form>"
)


@pytest.fixture
async def page(browser_path):
    async with browser_mod.started(browser_path) as browser:
        context = await browser.new_context()

        async def serve(route):
            await route.fulfill(status=200, body=PAGE, content_type="text/html")

        await context.route("https://www.linkedin.com/**", serve)
        page = await context.new_page()
        await page.goto("https://www.linkedin.com/login")
        yield page


def signin() -> SimpleNamespace:
    """A sign-in's typing (signinsteps.type_into) for LinkedIn, with the evidence it marks."""
    flow = SimpleNamespace(
        name="LinkedIn",
        id="linkedin",
        credential_origins=frozenset({"https://www.linkedin.com"}),
        login=SimpleNamespace(timeout_ms=3000),
    )
    evidence = SimpleNamespace(password_typed=False)

    async def fill(page, step, value):
        await type_into(page, flow, evidence, step, value)

    return SimpleNamespace(fill=fill, evidence=evidence)


async def values(page) -> dict:
    return await page.evaluate(
        "() => Object.fromEntries(Array.from(document.querySelectorAll('input, textarea'))"
        ".map(e => [e.id, e.value]).concat([['editable', document.getElementById('editable').textContent]]))"
    )


@pytest.mark.parametrize(
    "fill, css",
    [
        ("password", "#post"),
        ("password", "#user"),
        ("password", "#search"),
        ("password", "#editable"),
        ("username", "#post"),
        ("username", "#pass"),
        ("username", "#search"),
    ],
)
async def test_a_credential_goes_only_into_a_field_made_for_it(page, fill, css):
    step = Step(fill=fill, into=Locator(css=css))
    with pytest.raises(Outcome, match=f"refused to type the LinkedIn {fill}"):
        await signin().fill(page, step, SENTINEL_PASSWORD)
    assert SENTINEL_PASSWORD not in (await values(page)).values()


async def test_the_right_fields_still_receive_them(page):
    s = signin()
    await s.fill(page, Step(fill="username", into=Locator(css="#user")), "jane@example.com")
    await s.fill(page, Step(fill="password", into=Locator(css="#pass")), SENTINEL_PASSWORD)
    got = await values(page)
    assert (got["user"], got["pass"]) == ("jane@example.com", SENTINEL_PASSWORD)
    assert s.evidence.password_typed
