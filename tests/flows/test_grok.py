"""The grok.com flow ("Improve the Model"), driven through a real Chromium against the sandbox replica."""

from __future__ import annotations

import pyotp
import pytest

from optout import api
from optout.credentials import Credential
from optout.sandbox import SANDBOX_USERNAME

SENTINEL_PASSWORD = "sentinel-pw-Gk7Wm3Rz"


@pytest.fixture
def flows_dir(only_flows):
    """Only the shipped grok.com flow, so these tests read nothing but it."""
    return only_flows("grok")


@pytest.fixture
def run(run_flow, flows_dir):
    """Run check/off on Grok with a sentinel password; its one result."""

    async def _run(mode="check", **opts):
        [result] = await run_flow("grok", mode, flows_dir=flows_dir, **opts)
        assert (result.platform, result.setting) == ("grok", "improve-model")
        return result

    return _run


def grok(sandbox, *misbehaviours, **account):
    return sandbox.configure("grok", *misbehaviours, password=SENTINEL_PASSWORD, **account)


async def test_check_reads_on_without_clicking(sandbox, run):
    replica = grok(sandbox)
    result = await run("check")
    assert (result.state, result.changed) == ("on", False)
    assert replica.events("save") == []
    assert [e["ok"] for e in replica.events("login")] == [True]
    assert result.evidence and result.evidence[0].exists()


async def test_off_sends_exclude_from_training_and_verifies(sandbox, run):
    replica = grok(sandbox)
    result = await run("off")
    assert (result.state, result.changed) == ("off", True), result.detail
    assert "reload" in result.detail
    assert [e["on"] for e in replica.events("save")] == [False]
    assert replica.state["settings"]["improve-model"] is False


async def test_eu_account_starts_off_and_is_never_clicked(sandbox, run):
    """EU/EEA/UK accounts start with the switch off: a plain read of off."""
    replica = grok(sandbox, "already_off")
    result = await run("off")
    assert (result.state, result.changed) == ("off", False)
    assert replica.events("save") == []


async def test_slow_render_is_still_read(sandbox, run):
    grok(sandbox, "slow_render")
    result = await run("off")
    assert (result.state, result.changed) == ("off", True)


async def test_saved_session_is_reused_and_expiry_logs_in_once(sandbox, run):
    replica = grok(sandbox)
    await run("check")
    await run("check")
    assert len(replica.events("login")) == 1, "the saved session should have been reused"
    sandbox.expire_sessions("grok")
    result = await run("check")
    assert result.state == "on"
    assert len(replica.events("login")) == 2


async def test_session_expired_signs_in_once(sandbox, run):
    replica = grok(sandbox, "session_expired")
    result = await run("off")
    assert result.state == "off"
    assert len(replica.events("login")) == 1


async def test_wrong_password_one_attempt(sandbox, run):
    replica = grok(sandbox, "wrong_password")
    result = await run("off")
    assert result.state == "needs_login"
    assert "did not accept" in result.detail and "optout login grok" in result.detail
    assert len(replica.events("login")) == 1


async def test_two_factor_without_secret_needs_human(sandbox, run):
    replica = grok(sandbox, "two_factor")
    result = await run("off")
    assert result.state == "needs_human" and "verification code" in result.detail
    assert replica.events("code") == [] and replica.events("save") == []


async def test_two_factor_with_stored_totp_secret(sandbox, run):
    secret = pyotp.random_base32()
    replica = grok(sandbox, totp_secret=secret)
    result = await run(
        "off", credential=Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD, totp_secret=secret)
    )
    assert (result.state, result.changed) == ("off", True), result.detail
    assert [e["ok"] for e in replica.events("code")] == [True]


async def test_cloudflare_check_needs_human(sandbox, run):
    replica = grok(sandbox, "checkpoint")
    result = await run("off")
    assert (
        result.state == "needs_human" and "check that you are human (Cloudflare)" in result.detail
    )
    assert replica.events("save") == []


async def test_hidden_switch_is_broken_not_unavailable(sandbox, run):
    """Enterprise accounts do not see the switch, but nothing on the page says so: broken."""
    replica = grok(sandbox, "absent")
    result = await run("off", find_timeout_s=2)
    assert result.state == "broken"
    assert sorted(p.suffix for p in result.evidence) == [".html", ".png"]
    assert replica.events("save") == []


async def test_lookalike_login_never_gets_the_password(sandbox, run):
    replica = grok(sandbox, "session_expired", "lookalike_login")
    result = await run("off")
    assert result.state == "error" and "refused to type" in result.detail
    assert replica.events("login") == []


async def test_no_session_and_no_password_names_the_login_command(sandbox, browser_path, flows_dir):
    [result] = await api.check(
        ["grok"], setup_context=sandbox.install, browser_path=browser_path, flows_dir=flows_dir
    )
    assert result.state == "needs_login"
    assert "optout login grok" in result.detail
