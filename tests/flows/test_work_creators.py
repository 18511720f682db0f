"""The code/work and creator flows (GitHub, Grammarly, Adobe, Quora, Pinterest, Medium), driven
through a real Chromium against their sandbox replicas.

Shared behaviours run every platform in one engine run (one browser, the accounts side by side),
each result checked on its own; then what only one control kind or sign-in has: GitHub's password
sign-in and dropdown, Medium's radio choice, Pinterest's region sign, and the sessions-only sign-in
of the others (their flows never type a password, even when one is stored)."""

from __future__ import annotations

import pyotp
import pytest

from optout import api
from optout.credentials import Credential
from optout.sandbox import SANDBOX_USERNAME

SENTINEL_PASSWORD = "sentinel-pw-Wc4Tq9Lm"
SETTINGS = {
    "github": "copilot-training",
    "grammarly": "product-improvement-training",
    "adobe": "content-analysis",
    "quora": "llm-training",
    "pinterest": "canvas-training",
    "medium": "third-party-ai",
}
PLATFORMS = list(SETTINGS)
SESSION_ONLY = [p for p in PLATFORMS if p != "github"]
#: What each dropdown or radio replica saves when switched off.
OFF_CHOICE = {"github": "Disabled", "medium": "Minimize third-party training"}


@pytest.fixture
def setup(configure):
    """Configure replicas; the sessions-only ones start signed in, as after `optout login`."""

    def _setup(platforms, *misbehaviours, **account):
        return {
            p: configure(p, *misbehaviours, session=p in SESSION_ONLY, **account) for p in platforms
        }

    return _setup


@pytest.fixture
def run(run_flow):
    """check/off over the given platforms, every one with a stored (sentinel) password."""

    async def _run(platforms, mode="check", **opts):
        results = await run_flow(platforms, mode, **opts)
        by_platform = {r.platform: r for r in results}
        assert sorted(by_platform) == sorted(platforms) and len(results) == len(platforms)
        for p, r in by_platform.items():
            assert r.setting == SETTINGS[p]
        return by_platform

    return _run


def saves(replica) -> list[dict]:
    return replica.events("save")


# --- shared behaviours, every platform at once -------------------------------------------------


async def test_check_reads_on_and_changes_nothing(setup, run):
    replicas = setup(PLATFORMS)
    results = await run(PLATFORMS, "check")
    for p, r in results.items():
        assert (r.state, r.changed) == ("on", False), (p, r.detail)
        assert saves(replicas[p]) == [], p
        assert r.evidence and r.evidence[0].exists(), p
    assert len(replicas["github"].events("login")) == 1
    for p in SESSION_ONLY:  # rode on the saved session: no sign-in of any kind
        assert replicas[p].events("link_requested") == [] and replicas[p].events("login") == [], p


async def test_off_switches_off_and_verifies_after_reload(setup, run):
    replicas = setup(PLATFORMS)
    results = await run(PLATFORMS, "off")
    for p, r in results.items():
        assert (r.state, r.changed) == ("off", True), (p, r.detail)
        assert "reload" in r.detail
        assert replicas[p].state["settings"][SETTINGS[p]] is False, p
        assert [(e["on"], e["status"]) for e in saves(replicas[p])] == [(False, 200)], p
        if p in OFF_CHOICE:  # the dropdown / radio chose exactly the off choice
            assert [e["choice"] for e in saves(replicas[p])] == [OFF_CHOICE[p]]
        assert [e.name.split("-")[-1] for e in r.evidence] == ["before.png", "after.png"], p


async def test_already_off_is_never_touched(setup, run):
    replicas = setup(PLATFORMS, "already_off")
    results = await run(PLATFORMS, "off")
    for p, r in results.items():
        assert (r.state, r.changed) == ("off", False), (p, r.detail)
        assert saves(replicas[p]) == [], p


async def test_slow_render_is_still_read(setup, run):
    setup(PLATFORMS, "slow_render")
    results = await run(PLATFORMS, "off")
    for p, r in results.items():
        assert (r.state, r.changed) == ("off", True), (p, r.detail)


async def test_server_error_is_an_error(setup, run):
    replicas = setup(PLATFORMS, "server_error")
    results = await run(PLATFORMS, "off")
    for p, r in results.items():
        assert r.state == "error" and "HTTP 500" in r.detail, (p, r.detail)
        assert saves(replicas[p]) == [], p


async def test_absent_setting_is_unavailable_only_where_a_sign_says_so(setup, run):
    """GitHub (a Business seat) and Pinterest (a region without GenAI) show positively that the
    setting is not offered; the others have no known sign, so a page without it is broken."""
    replicas = setup(PLATFORMS, "absent")
    results = await run(PLATFORMS, "off", find_timeout_s=2)
    for p, r in results.items():
        expected = "unavailable" if p in ("github", "pinterest") else "broken"
        assert r.state == expected, (p, r.state, r.detail)
        assert saves(replicas[p]) == [], p


# --- sessions-only sign-in ----------------------------------------------------------------------


async def test_expired_session_needs_login_and_no_password_is_typed(setup, run):
    """A stored password is never typed into the sessions-only platforms' pages; GitHub signs in
    once with it."""
    replicas = setup(PLATFORMS, "session_expired")
    results = await run(PLATFORMS, "off")
    assert results["github"].state == "off" and len(replicas["github"].events("login")) == 1
    for p in SESSION_ONLY:
        r = results[p]
        assert r.state == "needs_login", (p, r.detail)
        assert f"`optout login {p}`" in r.detail and "account add" not in r.detail, r.detail
        assert replicas[p].events("link_requested") == [] and saves(replicas[p]) == [], p


async def test_no_session_and_no_account_names_optout_login(sandbox, browser_path, store):
    results = await api.check(
        SESSION_ONLY, setup_context=sandbox.install, browser_path=browser_path, sessions=store
    )
    assert {r.platform for r in results} == set(SESSION_ONLY)
    for r in results:
        assert r.state == "needs_login"
        assert f"`optout login {r.platform}`" in r.detail and "account add" not in r.detail


@pytest.mark.parametrize("platform", SESSION_ONLY)
async def test_optout_login_saves_a_session_the_flow_rides_on(
    sandbox, store, browser_path, platform
):
    """`optout login` opens the setting page; the person signs in (here: the sandbox's e-mail
    link); optout notices the setting's control and keeps the session; check then reads it."""
    replica = sandbox.configure(platform)

    async def person(page):
        await page.get_by_label("Email").fill(SANDBOX_USERNAME)
        await page.get_by_role("button", name="Email me a sign-in link").click()
        await page.get_by_role("link", name="Open the sign-in link").click()

    await api.login(
        platform,
        headless=True,
        setup_context=sandbox.install,
        sessions=store,
        browser_path=browser_path,
        on_ready=person,
        wait_s=30,
    )
    assert [e["user"] for e in replica.events("link_used")] == [SANDBOX_USERNAME]
    [result] = await api.check(
        [platform], setup_context=sandbox.install, browser_path=browser_path, sessions=store
    )
    assert result.state == "on", result.detail


# --- GitHub: password sign-in ------------------------------------------------------------------


async def test_github_wrong_password_one_attempt(setup, run):
    replica = setup(["github"], "wrong_password")["github"]
    r = (await run(["github"], "off"))["github"]
    assert r.state == "needs_login" and "did not accept" in r.detail
    assert len(replica.events("login")) == 1 and saves(replica) == []


async def test_github_two_factor_without_secret_needs_human(setup, run):
    replica = setup(["github"], "two_factor")["github"]
    r = (await run(["github"], "off"))["github"]
    assert r.state == "needs_human" and "verification code" in r.detail
    assert replica.events("totp") == [] and saves(replica) == []


async def test_github_two_factor_with_stored_totp_secret(setup, run):
    secret = pyotp.random_base32()
    replica = setup(["github"], totp_secret=secret)["github"]
    cred = Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD, totp_secret=secret)
    r = (await run(["github"], "off", credential=cred))["github"]
    assert (r.state, r.changed) == ("off", True), r.detail
    assert [e["ok"] for e in replica.events("totp")] == [True]


async def test_github_device_verification_needs_human(setup, run):
    replica = setup(["github"], "checkpoint")["github"]
    r = (await run(["github"], "off"))["github"]
    assert r.state == "needs_human" and "e-mail" in r.detail
    assert saves(replica) == []


async def test_github_lookalike_login_never_gets_the_password(setup, run):
    replica = setup(["github"], "session_expired", "lookalike_login")["github"]
    r = (await run(["github"], "off"))["github"]
    assert r.state == "error" and "refused to type" in r.detail
    assert replica.events("login") == []


# --- dropdown and radio: a choice the flow does not know -----------------------------------------


async def test_unknown_choice_is_broken_and_nothing_is_chosen(setup, run):
    """GitHub's dropdown showing a third value, Medium's radio pair with neither chosen: the flow
    cannot say on or off, so it chooses nothing."""
    replicas = setup(["github", "medium"], "choice_unknown")
    results = await run(["github", "medium"], "off")
    for p, r in results.items():
        assert r.state == "broken", (p, r.state, r.detail)
        assert saves(replicas[p]) == [], p
    assert "Not set" in results["github"].detail
    assert "neither" in results["medium"].detail
