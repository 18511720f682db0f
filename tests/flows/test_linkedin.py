"""The LinkedIn flow, driven through a real Chromium against the sandbox replica."""

from __future__ import annotations

import pyotp
import pytest

from optout import api
from optout.credentials import Credential
from optout.sandbox import SANDBOX_USERNAME

SENTINEL_PASSWORD = "sentinel-pw-Zq8Rk2Lx"


@pytest.fixture
def run(run_flow):
    """Run check/off on LinkedIn with the sentinel password; the switch's results."""

    async def _run(mode="check", **opts):
        return generative_ai(await run_flow("linkedin", mode, **opts))

    return _run


def generative_ai(results):
    """The switch's result (LinkedIn's objection form is tested in test_linkedin_objection.py)."""
    return [r for r in results if r.setting == "generative-ai"]


def li(sandbox, *misbehaviours, **account):
    return sandbox.configure("linkedin", *misbehaviours, password=SENTINEL_PASSWORD, **account)


async def test_check_reads_on_without_clicking(sandbox, run):
    replica = li(sandbox)
    [result] = await run("check")
    assert (result.platform, result.setting, result.state, result.changed) == (
        "linkedin",
        "generative-ai",
        "on",
        False,
    )
    assert replica.events("save") == []
    assert len(replica.events("login")) == 1
    assert result.evidence and result.evidence[0].exists()


async def test_off_switches_off_and_verifies_after_reload(sandbox, run):
    replica = li(sandbox)
    [result] = await run("off")
    assert result.state == "off" and result.changed, result.detail
    assert "reload" in result.detail
    assert replica.state["settings"]["generative-ai"] is False
    assert [e["on"] for e in replica.events("save")] == [False]
    assert [p.name.split("-")[-1] for p in result.evidence] == ["before.png", "after.png"]


async def test_already_off_is_never_clicked(sandbox, run):
    replica = li(sandbox, "already_off")
    [result] = await run("off")
    assert result.state == "off" and not result.changed
    assert replica.events("save") == []


async def test_slow_render_is_still_read(sandbox, run):
    li(sandbox, "slow_render")
    [result] = await run("off")
    assert result.state == "off" and result.changed


async def test_saved_session_is_reused_and_expiry_logs_in_once(sandbox, run):
    replica = li(sandbox)
    await run("check")
    assert len(replica.events("login")) == 1
    await run("check")
    assert len(replica.events("login")) == 1, "the saved session should have been reused"
    sandbox.expire_sessions("linkedin")
    [result] = await run("check")
    assert result.state == "on"
    assert len(replica.events("login")) == 2


async def test_wrong_password_one_attempt(sandbox, run):
    replica = li(sandbox, "wrong_password")
    [result] = await run("off")
    assert result.state == "needs_login"
    assert "did not accept" in result.detail and "optout account add linkedin" in result.detail
    assert len(replica.events("login")) == 1


async def test_two_factor_without_secret_needs_human(sandbox, run):
    li(sandbox, "two_factor")
    [result] = await run("off")
    assert result.state == "needs_human"
    assert "verification code" in result.detail


async def test_two_factor_with_stored_totp_secret(sandbox, run):
    secret = pyotp.random_base32()
    replica = li(sandbox, totp_secret=secret)
    cred = Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD, totp_secret=secret)
    [result] = await run("off", credential=cred)
    assert result.state == "off" and result.changed, result.detail
    assert [e["ok"] for e in replica.events("pin")] == [True]


async def test_checkpoint_needs_human(sandbox, run):
    replica = li(sandbox, "checkpoint")
    [result] = await run("off")
    assert result.state == "needs_human" and "security check" in result.detail
    assert replica.events("save") == []


async def test_absent_setting_is_unavailable(sandbox, run):
    li(sandbox, "absent")
    [result] = await run("off")
    assert result.state == "unavailable"


async def test_lookalike_login_never_gets_the_password(sandbox, run):
    replica = li(sandbox, "session_expired", "lookalike_login")
    [result] = await run("off")
    assert result.state == "error"
    assert "refused to type" in result.detail
    assert replica.events("login") == []


async def test_no_account_needs_login(sandbox, browser_path):
    [result] = generative_ai(
        await api.check(["linkedin"], setup_context=sandbox.install, browser_path=browser_path)
    )
    assert result.state == "needs_login"
    assert "optout account add linkedin" in result.detail
