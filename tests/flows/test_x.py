"""The X flow (Grok data sharing), driven through a real Chromium against the sandbox replica."""

from __future__ import annotations

import pyotp
import pytest

from optout import api
from optout.credentials import Credential

SENTINEL_PASSWORD = "sentinel-pw-Xq4Tn8Vd"
SETTINGS = ["training", "personalization", "memory"]


@pytest.fixture
def flows_dir(only_flows):
    """Only the shipped X flow, so these tests read nothing but it."""
    return only_flows("x")


@pytest.fixture
def run(run_flow, flows_dir):
    """Run check/off on X with a sentinel password; returns {setting id: result}."""

    async def _run(mode="check", **opts):
        results = await run_flow("x", mode, flows_dir=flows_dir, **opts)
        assert [r.setting for r in results] == SETTINGS
        return {r.setting: r for r in results}

    return _run


def x(sandbox, *misbehaviours, **account):
    return sandbox.configure("x", *misbehaviours, password=SENTINEL_PASSWORD, **account)


def states(results) -> dict[str, str]:
    return {k: str(r.state) for k, r in results.items()}


async def test_check_reads_all_three_without_clicking(sandbox, run):
    replica = x(sandbox)
    results = await run("check")
    assert states(results) == {"training": "on", "personalization": "on", "memory": "on"}
    assert not any(r.changed for r in results.values())
    assert replica.events("save") == []
    assert [e["ok"] for e in replica.events("login")] == [True], "one sign-in, reused for all three"
    assert all(r.evidence and r.evidence[0].exists() for r in results.values())


async def test_off_switches_only_training_by_default(sandbox, run):
    replica = x(sandbox)
    results = await run("off")
    assert (results["training"].state, results["training"].changed) == ("off", True), results[
        "training"
    ].detail
    assert "reload" in results["training"].detail
    assert states(results) == {"training": "off", "personalization": "on", "memory": "on"}
    assert [(e["setting"], e["on"]) for e in replica.events("save")] == [("training", False)]
    assert replica.state["settings"] == {"training": False, "personalization": True, "memory": True}


async def test_off_all_settings_switches_all_three(sandbox, run):
    replica = x(sandbox)
    results = await run("off", all_settings=True)
    assert states(results) == {s: "off" for s in SETTINGS}
    assert all(r.changed for r in results.values())
    assert sorted(e["setting"] for e in replica.events("save")) == sorted(SETTINGS)
    assert replica.state["settings"] == {s: False for s in SETTINGS}


async def test_off_with_a_named_optional_setting(sandbox, run):
    replica = x(sandbox)
    results = await run("off", selected=["x:memory"])
    assert states(results) == {"training": "off", "personalization": "on", "memory": "off"}
    assert sorted(e["setting"] for e in replica.events("save")) == ["memory", "training"]


async def test_already_off_is_never_clicked(sandbox, run):
    replica = x(sandbox, "already_off")
    results = await run("off", all_settings=True)
    assert states(results) == {s: "off" for s in SETTINGS}
    assert not any(r.changed for r in results.values())
    assert replica.events("save") == []


async def test_slow_render_is_still_read(sandbox, run):
    x(sandbox, "slow_render")
    results = await run("off")
    assert (results["training"].state, results["training"].changed) == ("off", True)
    assert results["memory"].state == "on", "a slow screen must not read as a hidden memory switch"


HANDLE = "demo_handle"  # X asks "phone number or username": only a stored username answers it


async def test_identifier_step_is_answered_and_sign_in_goes_on(sandbox, run):
    replica = x(sandbox, "identifier_step", username=HANDLE)
    results = await run("off", credential=Credential(HANDLE, SENTINEL_PASSWORD))
    assert results["training"].state == "off" and results["training"].changed, results[
        "training"
    ].detail
    assert [e["ok"] for e in replica.events("identifier")] == [True]
    assert [e["ok"] for e in replica.events("login")] == [True]
    assert replica.events("code") == []


async def test_identifier_then_two_factor_without_secret_needs_human(sandbox, run):
    """Both steps use one input: the username goes into the identifier question only, and the 2FA
    code box is left alone when no TOTP secret is stored."""
    replica = x(sandbox, "identifier_step", "two_factor", username=HANDLE)
    results = await run("off", credential=Credential(HANDLE, SENTINEL_PASSWORD))
    assert states(results) == {s: "needs_human" for s in SETTINGS}
    assert (
        "verification code" in results["training"].detail
        and "optout account add x --totp" in results["training"].detail
    )
    assert [e["ok"] for e in replica.events("identifier")] == [True]
    assert [e["ok"] for e in replica.events("login")] == [True]
    assert replica.events("code") == [], (
        "nothing may be typed into the 2FA box without a TOTP secret"
    )
    assert replica.events("save") == []


async def test_identifier_and_two_factor_with_stored_totp_secret(sandbox, run):
    secret = pyotp.random_base32()
    replica = x(sandbox, "identifier_step", totp_secret=secret, username=HANDLE)
    cred = Credential(HANDLE, SENTINEL_PASSWORD, totp_secret=secret)
    results = await run("off", credential=cred)
    assert results["training"].state == "off" and results["training"].changed, results[
        "training"
    ].detail
    assert [e["ok"] for e in replica.events("identifier")] == [True]
    assert [e["ok"] for e in replica.events("code")] == [True]


async def test_two_factor_without_secret_needs_human(sandbox, run):
    replica = x(sandbox, "two_factor")
    results = await run("off")
    assert states(results) == {s: "needs_human" for s in SETTINGS}
    assert replica.events("code") == [] and replica.events("save") == []


async def test_saved_session_is_reused_and_expiry_logs_in_once(sandbox, run):
    replica = x(sandbox)
    await run("check")
    await run("check")
    assert len(replica.events("login")) == 1, "the saved session should have been reused"
    sandbox.expire_sessions("x")
    results = await run("check")
    assert states(results) == {s: "on" for s in SETTINGS}
    assert len(replica.events("login")) == 2


async def test_session_expired_signs_in_once(sandbox, run):
    replica = x(sandbox, "session_expired")
    results = await run("off")
    assert results["training"].state == "off"
    assert len(replica.events("login")) == 1


async def test_wrong_password_one_attempt(sandbox, run):
    replica = x(sandbox, "wrong_password")
    results = await run("off")
    assert states(results) == {s: "needs_login" for s in SETTINGS}
    assert (
        "did not accept" in results["training"].detail
        and "optout account add x" in results["training"].detail
    )
    assert len(replica.events("login")) == 1


async def test_unknown_account_is_needs_login_not_broken(sandbox, run):
    replica = x(sandbox)
    results = await run("check", credential=Credential("nobody@example.org", SENTINEL_PASSWORD))
    assert states(results) == {s: "needs_login" for s in SETTINGS}
    assert [e["ok"] for e in replica.events("username")] == [False]
    assert replica.events("login") == [], (
        "no password may be typed after X said it knows no such account"
    )


async def test_arkose_checkpoint_needs_human(sandbox, run):
    replica = x(sandbox, "checkpoint")
    results = await run("off")
    assert states(results) == {s: "needs_human" for s in SETTINGS}
    assert "security check" in results["training"].detail
    assert len(replica.events("login")) == 1 and replica.events("save") == []


@pytest.mark.parametrize("extra", [(), ("already_off",)])
async def test_under_18_greyed_out_reports_what_it_reads(sandbox, run, extra):
    """A lock is no sign of absence (DESIGN.md States): greyed out and on is `on`, off is `off`."""
    replica = x(sandbox, "under_18", *extra)
    results = await run("off", all_settings=True)
    shown = "off" if extra else "on"
    assert states(results) == {s: shown for s in SETTINGS}
    assert f"shows it {shown} and does not let this account change it" in results["training"].detail
    assert replica.events("save") == []


async def test_hidden_memory_is_unavailable_and_the_rest_still_works(sandbox, run):
    replica = x(sandbox, "memory_hidden")
    results = await run("off", all_settings=True)
    assert states(results) == {"training": "off", "personalization": "off", "memory": "unavailable"}
    assert sorted(e["setting"] for e in replica.events("save")) == ["personalization", "training"]
    assert not results["memory"].evidence


async def test_absent_grok_screen_is_broken_not_unavailable(sandbox, run):
    """X offers the switch everywhere (research): a page without it is a changed page."""
    replica = x(sandbox, "absent")
    results = await run("off", find_timeout_s=2)
    assert states(results) == {s: "broken" for s in SETTINGS}
    assert sorted(p.suffix for p in results["training"].evidence) == [".html", ".png"]
    assert replica.events("save") == []


async def test_changed_training_label_is_broken_and_others_still_read(sandbox, run):
    replica = x(sandbox, "label_gone")
    results = await run("off", find_timeout_s=2)
    assert states(results) == {"training": "broken", "personalization": "on", "memory": "on"}
    assert sorted(p.suffix for p in results["training"].evidence) == [".html", ".png"]
    assert replica.events("save") == []


async def test_unknown_language_is_broken(sandbox, run):
    replica = x(sandbox, "language")
    results = await run("off", all_settings=True)
    assert states(results) == {s: "broken" for s in SETTINGS}
    assert "'ja'" in results["training"].detail
    assert replica.events("save") == []


async def test_lookalike_login_never_gets_the_password(sandbox, run):
    replica = x(sandbox, "session_expired", "lookalike_login")
    results = await run("off")
    assert results["training"].state == "error"
    assert "refused to type" in results["training"].detail
    assert replica.events("login") == [] and replica.events("username") == []


async def test_server_error_is_error(sandbox, run):
    x(sandbox, "server_error")
    results = await run("check")
    assert states(results)["training"] == "error"
    assert "HTTP 500" in results["training"].detail


async def test_no_account_needs_login(sandbox, browser_path, flows_dir):
    results = await api.check(
        ["x"], setup_context=sandbox.install, browser_path=browser_path, flows_dir=flows_dir
    )
    assert {str(r.state) for r in results} == {"needs_login"}
    assert "optout login x" in results[0].detail
