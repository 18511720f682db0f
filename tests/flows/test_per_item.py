"""Settings that exist once per thing the account owns — Substack publications, Tumblr blogs,
WordPress.com sites — driven through a real Chromium against the sandbox replicas.

Substack signs in with the stored password; Tumblr and WordPress.com have no password sign-in in
their flows, so their tests start from a session saved the way `optout login` saves one."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from optout import api
from optout.sandbox import SANDBOX_USERNAME

SENTINEL_PASSWORD = "sentinel-pw-Hq3Vt9Wm"


@dataclass(frozen=True)
class Platform:
    id: str
    setting: str
    items: tuple[str, str, str]
    noun: str
    password: bool  # the flow signs in by itself with a stored password


PLATFORMS = {
    "substack": Platform(
        "substack",
        "ai-training",
        ("demo-notes", "field-journal", "night-shift"),
        "publication",
        password=True,
    ),
    "tumblr": Platform(
        "tumblr",
        "third-party-sharing",
        ("demo-blog", "sketchbook", "night-owl"),
        "blog",
        password=False,
    ),
    "wordpress": Platform(
        "wordpress",
        "third-party-sharing",
        ("demo-notes.wordpress.com", "family-recipes.blog", "photos.example.org"),
        "site",
        password=False,
    ),
}
each_platform = pytest.mark.parametrize("p", list(PLATFORMS.values()), ids=list(PLATFORMS))
session_platforms = [p for p in PLATFORMS.values() if not p.password]


@pytest.fixture
def setup(configure):
    """Configure a platform's replica (with misbehaviours and the items the account owns) and, for
    the platforms signed in to only by a person, save the session `optout login` would have."""

    def _setup(p: Platform, *misbehaviours, items=None, blocked=(), signed_in=True):
        return configure(
            p.id, *misbehaviours, items=items, blocked=blocked, session=not p.password and signed_in
        )

    return _setup


@pytest.fixture
def flows(only_flows):
    """Only these platforms' shipped flow files, so flows being written beside them never interfere."""
    return only_flows(*PLATFORMS)


@pytest.fixture
def run(run_flow, flows):
    async def _run(p: Platform, mode="check", **opts):
        credentials = {} if p.password else {p.id: []}
        return await run_flow(p.id, mode, credentials=credentials, flows_dir=flows, **opts)

    return _run


def saves(replica) -> list[tuple[str, bool]]:
    return [(e["item"], e["blocked"]) for e in replica.events("save")]


@each_platform
async def test_check_gives_one_result_per_item_without_clicking(p, setup, run):
    replica = setup(p, items=p.items)
    results = await run(p, "check")
    assert [r.setting for r in results] == [f"{p.setting}/{i}" for i in sorted(p.items)]
    assert {r.state for r in results} == {"on"}, [r.detail for r in results]
    assert all(r.label.endswith(f"({r.setting.split('/', 1)[1]})") for r in results)
    assert all(r.evidence and r.evidence[0].exists() for r in results)
    assert saves(replica) == []


@each_platform
async def test_off_switches_each_item_and_never_clicks_one_already_off(p, setup, run):
    first, second, third = p.items
    replica = setup(p, items=p.items, blocked=(second,))
    results = await run(p, "off")
    by_item = {r.setting.split("/", 1)[1]: r for r in results}
    assert set(by_item) == set(p.items)
    for item in (first, third):
        assert by_item[item].state == "off" and by_item[item].changed, by_item[item].detail
        assert "reload" in by_item[item].detail
    assert by_item[second].state == "off" and not by_item[second].changed
    assert sorted(saves(replica)) == sorted([(first, True), (third, True)])
    assert not any(replica.state["settings"].values()), "every item should now block training"


@each_platform
async def test_an_account_with_no_items_is_unavailable(p, setup, run):
    replica = setup(p, "no_items")
    [result] = await run(p, "off")
    assert (result.setting, result.state) == (p.setting, "unavailable"), result.detail
    assert f"no {p.noun}s" in result.detail
    assert saves(replica) == []


@each_platform
async def test_a_changed_list_page_is_broken_with_evidence(p, setup, run):
    replica = setup(p, "list_changed")
    [result] = await run(p, "off", find_timeout_s=2)
    assert (result.setting, result.state) == (p.setting, "broken"), result.detail
    assert f"{p.noun}s" in result.detail
    assert sorted(path.suffix for path in result.evidence) == [".html", ".png"]
    assert saves(replica) == []


@each_platform
async def test_slow_render_is_still_read(p, setup, run):
    setup(p, "slow_render", items=p.items[:1])
    [result] = await run(p, "off")
    assert result.state == "off" and result.changed, result.detail


@each_platform
async def test_server_error_is_an_error(p, setup, run):
    replica = setup(p, "server_error")
    [result] = await run(p, "off")
    assert result.state == "error" and "HTTP 500" in result.detail
    assert saves(replica) == []


# --- signing in -------------------------------------------------------------------------------


async def test_substack_signs_in_once_and_reuses_the_session(setup, run, sandbox):
    p = PLATFORMS["substack"]
    replica = setup(p, items=p.items[:2])
    results = await run(p, "check")
    assert [r.state for r in results] == ["on", "on"]
    assert len(replica.events("login")) == 1, "one sign-in covers every publication"
    await run(p, "check")
    assert len(replica.events("login")) == 1, "the saved session should have been reused"
    sandbox.expire_sessions("substack")
    results = await run(p, "off")
    assert [r.state for r in results] == ["off", "off"]
    assert len(replica.events("login")) == 2


async def test_substack_wrong_password_one_attempt(setup, run):
    p = PLATFORMS["substack"]
    replica = setup(p, "wrong_password")
    [result] = await run(p, "off")
    assert (result.setting, result.state) == ("ai-training", "needs_login")
    assert "did not accept" in result.detail
    assert len(replica.events("login")) == 1


async def test_substack_captcha_needs_human(setup, run):
    p = PLATFORMS["substack"]
    replica = setup(p, "checkpoint")
    [result] = await run(p, "off")
    assert result.state == "needs_human", result.detail
    assert saves(replica) == []


async def test_substack_lookalike_sign_in_never_gets_the_password(setup, run):
    p = PLATFORMS["substack"]
    replica = setup(p, "lookalike_login")
    [result] = await run(p, "off")
    assert result.state == "error", result.detail
    assert "outside its own site" in result.detail or "refused to type" in result.detail
    assert replica.events("login") == [] and replica.events("stolen") == []
    assert saves(replica) == []


@pytest.mark.parametrize("p", session_platforms, ids=[p.id for p in session_platforms])
async def test_an_ended_session_asks_for_optout_login(p, setup, run):
    replica = setup(p, "session_expired")
    [result] = await run(p, "off")
    assert (result.setting, result.state) == (p.setting, "needs_login"), result.detail
    assert f"optout login {p.id}" in result.detail
    assert "account add" not in result.detail and "password" not in result.detail
    assert replica.events("login") == [] and saves(replica) == []


@pytest.mark.parametrize("p", session_platforms, ids=[p.id for p in session_platforms])
async def test_no_session_at_all_asks_for_optout_login(p, setup, sandbox, browser_path, flows):
    setup(p, signed_in=False)
    [result] = await api.check(
        [p.id],
        credentials={},
        setup_context=sandbox.install,
        browser_path=browser_path,
        sessions=False,
        flows_dir=flows,
    )
    assert result.state == "needs_login"
    assert f"optout login {p.id}" in result.detail and "account add" not in result.detail


@pytest.mark.parametrize("p", session_platforms, ids=[p.id for p in session_platforms])
async def test_a_person_signs_in_with_optout_login(
    p, setup, sandbox, store, browser_path, run, flows
):
    """`optout login` waits for the flow's signed-in page; the replica's form plays the site's."""
    from optout.sandbox import SANDBOX_PASSWORD

    setup(p, signed_in=False)
    sandbox.configure(p.id)  # the replica's own demo password

    async def person(page):
        await page.fill("#email", SANDBOX_USERNAME)
        await page.fill("#password", SANDBOX_PASSWORD)
        await page.click("button[type=submit]")

    await api.login(
        p.id,
        account=SANDBOX_USERNAME,
        headless=True,
        browser_path=browser_path,
        setup_context=sandbox.install,
        sessions=store,
        on_ready=person,
        wait_s=20,
        flows_dir=flows,
    )
    results = await run(p, "check")
    assert [r.state for r in results] == ["on", "on"], [r.detail for r in results]
