"""Meta's objection forms (Facebook, Instagram), driven through a real Chromium against the replicas.

A form is sent once: `submitted` with a screenshot of the confirmation, and never again (history, or
the page saying so). Every test counts the objections the replica received."""

from __future__ import annotations

import json

import pyotp
import pytest
from click.testing import CliRunner

from optout.cli import cli
from optout.credentials import Credential
from optout.sandbox import SANDBOX_USERNAME, Sandbox

SENTINEL_PASSWORD = "sentinel-pw-Meta4Fq7Ns"
SETTINGS = {"facebook": ["ai-objection", "third-party-objection"], "instagram": ["ai-objection"]}
both = pytest.mark.parametrize("platform", ["facebook", "instagram"])


@pytest.fixture
def run(run_flow):
    """check/off against the sandbox with a sentinel password, history on (a fresh OPTOUT_HOME)."""
    return run_flow


def meta(sandbox, platform, *misbehaviours, **account):
    return sandbox.configure(platform, *misbehaviours, password=SENTINEL_PASSWORD, **account)


def states(results):
    return [(r.setting, str(r.state)) for r in results]


@both
async def test_check_reads_offered_form_as_on_and_sends_nothing(sandbox, run, platform):
    replica = meta(sandbox, platform)
    results = await run(platform, "check")
    assert states(results) == [(s, "on") for s in SETTINGS[platform]]
    assert all(r.detail == "no objection sent yet" and not r.changed for r in results)
    assert replica.events("submission") == []
    assert len(replica.events("login")) == 1


@both
async def test_dry_run_sends_nothing(sandbox, run, platform):
    replica = meta(sandbox, platform)
    results = await run(platform, "off", dry_run=True)
    assert {str(r.state) for r in results} == {"on"} and all(
        "would send" in r.detail for r in results
    )
    assert replica.events("submission") == []


@both
async def test_off_submits_once_then_history_answers(sandbox, run, platform):
    replica = meta(sandbox, platform)
    first = await run(platform, "off")
    assert states(first) == [(s, "submitted") for s in SETTINGS[platform]]
    for r in first:
        assert r.changed and "objection sent on" in r.detail, r.detail
        [shot] = r.evidence
        assert shot.name.endswith("confirmation.png") and shot.exists()
    sent = replica.events("submission")
    assert [(e["setting"], e["status"], e["email"], e["reason"]) for e in sent] == [
        (s, 200, SANDBOX_USERNAME, "") for s in SETTINGS[platform]
    ]
    # A second `off` must not send a second objection, and a `check` reports it from history.
    second = await run(platform, "off")
    assert states(second) == [(s, "submitted") for s in SETTINGS[platform]]
    assert all(not r.changed and "from history" in r.detail for r in second)
    third = await run(platform, "check")
    assert states(third) == [(s, "submitted") for s in SETTINGS[platform]]
    assert replica.events("submission") == sent, "exactly one objection per form across three runs"
    assert len(replica.events("login")) == 1, "history answers without opening the site"


async def test_reason_is_typed_only_when_given(sandbox, run):
    replica = meta(sandbox, "instagram")
    await run("instagram", "off", form_reason="I do not want my photos used to train AI.")
    [sent] = replica.events("submission")
    assert sent["reason"] == "I do not want my photos used to train AI."


@both
async def test_page_saying_already_sent_is_submitted_without_sending(sandbox, run, platform):
    replica = meta(sandbox, platform, "already_off")  # the account objected before, elsewhere
    results = await run(platform, "off", history=False)
    assert states(results) == [(s, "submitted") for s in SETTINGS[platform]]
    assert all(not r.changed and "already sent" in r.detail for r in results)
    assert replica.events("submission") == []


@both
async def test_region_without_the_form_is_unavailable(sandbox, run, platform):
    replica = meta(sandbox, platform, "absent")
    results = await run(platform, "off")
    assert states(results) == [(s, "unavailable") for s in SETTINGS[platform]]
    assert all("only in some regions" in r.detail for r in results)
    assert replica.events("submission") == []


@both
async def test_server_error_on_submit_is_never_submitted_and_next_off_sends_again(
    sandbox, run, platform
):
    replica = meta(sandbox, platform, "save_fails")
    failed = await run(platform, "off")
    assert states(failed) == [(s, "error") for s in SETTINGS[platform]]
    assert all(
        "HTTP 500" in r.detail and "not received" in r.detail and not r.changed for r in failed
    )
    assert [e["status"] for e in replica.events("submission")] == [500] * len(SETTINGS[platform])
    # Nothing was recorded as sent, so once the platform works the next `off` sends it.
    sandbox.configure(platform, reset=False)
    retried = await run(platform, "off")
    assert states(retried) == [(s, "submitted") for s in SETTINGS[platform]]
    assert [e["status"] for e in replica.events("submission")] == [500] * len(
        SETTINGS[platform]
    ) + [200] * len(SETTINGS[platform])


@both
async def test_slow_render_is_still_sent(sandbox, run, platform):
    replica = meta(sandbox, platform, "slow_render")
    results = await run(platform, "off")
    assert {str(r.state) for r in results} == {"submitted"}
    assert len(replica.events("submission")) == len(SETTINGS[platform])


@both
async def test_wrong_password_one_attempt(sandbox, run, platform):
    replica = meta(sandbox, platform, "wrong_password")
    results = await run(platform, "off")
    assert {str(r.state) for r in results} == {"needs_login"}
    assert all(
        "did not accept" in r.detail and f"optout account add {platform}" in r.detail
        for r in results
    )
    assert len(replica.events("login")) == 1
    assert replica.events("submission") == []


@both
async def test_two_factor_without_secret_needs_human(sandbox, run, platform):
    # Facebook's code page is under /checkpoint/ too: it must read as a code, not a checkpoint.
    replica = meta(sandbox, platform, "two_factor")
    results = await run(platform, "off")
    assert {str(r.state) for r in results} == {"needs_human"}
    assert all("verification code" in r.detail for r in results)
    assert replica.events("submission") == []


@both
async def test_two_factor_with_stored_totp_secret(sandbox, run, platform):
    secret = pyotp.random_base32()
    replica = meta(sandbox, platform, totp_secret=secret)
    cred = Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD, totp_secret=secret)
    results = await run(platform, "off", credential=cred)
    assert {str(r.state) for r in results} == {"submitted"}, [r.detail for r in results]
    assert [e["ok"] for e in replica.events("code")] == [True]


@both
async def test_checkpoint_needs_human(sandbox, run, platform):
    replica = meta(sandbox, platform, "checkpoint")
    results = await run(platform, "off")
    assert {str(r.state) for r in results} == {"needs_human"}
    assert all("security checkpoint" in r.detail for r in results)
    assert replica.events("submission") == []


@both
async def test_saved_session_is_reused_and_expiry_logs_in_once(sandbox, run, platform):
    replica = meta(sandbox, platform)
    await run(platform, "check")
    await run(platform, "check")
    assert len(replica.events("login")) == 1, "the saved session should have been reused"
    sandbox.expire_sessions(platform)
    results = await run(platform, "check")
    assert {str(r.state) for r in results} == {"on"}
    assert len(replica.events("login")) == 2


async def test_instagram_save_login_dialog_is_answered_not_now(sandbox, run):
    replica = meta(sandbox, "instagram")
    [result] = await run("instagram", "off")
    assert result.state == "submitted", result.detail
    assert replica.events("save_login_info") == [{"kind": "save_login_info", "choice": "not_now"}]


async def test_instagram_credentials_only_on_the_login_origin(sandbox, run):
    # help.instagram.com is Instagram's own, but not where one signs in: no password goes there.
    replica = meta(sandbox, "instagram", "lookalike_login")
    [result] = await run("instagram", "off")
    assert result.state == "error" and "refused to type" in result.detail
    assert "https://help.instagram.com" in result.detail
    assert replica.events("credentials_off_origin") == [] and replica.events("login") == []
    assert replica.events("submission") == []


def test_cli_off_twice_sends_one_objection_with_the_reason(browser_path, optout_home):
    def invoke(*args, input=None):
        return CliRunner().invoke(
            cli,
            ["--browser-path", browser_path, "--sandbox", *args],
            input=input,
            catch_exceptions=False,
        )

    Sandbox.for_profile("default").configure("facebook", password=SENTINEL_PASSWORD)
    invoke("account", "add", "facebook", input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n")
    first = invoke("--json", "off", "facebook", "--reason", "Please do not train AI on my posts.")
    assert first.exit_code == 0, first.output
    assert [
        (r["setting"], r["state"], r["changed"]) for r in json.loads(first.stdout)["results"]
    ] == [("ai-objection", "submitted", True), ("third-party-objection", "submitted", True)]
    second = invoke("--json", "off", "facebook")
    assert second.exit_code == 0, second.output
    rows = json.loads(second.stdout)["results"]
    assert [(r["state"], r["changed"]) for r in rows] == [("submitted", False)] * 2
    assert all("from history" in r["detail"] for r in rows)
    check = invoke("--json", "check", "facebook")
    assert check.exit_code == 0 and {r["state"] for r in json.loads(check.stdout)["results"]} == {
        "submitted"
    }
    sent = Sandbox.for_profile("default").replica("facebook").events("submission")
    assert [(e["setting"], e["reason"]) for e in sent] == [
        ("ai-objection", "Please do not train AI on my posts."),
        ("third-party-objection", "Please do not train AI on my posts."),
    ]
    for out in (first.output, second.output, check.output):
        assert SENTINEL_PASSWORD not in out


def test_platforms_explains_where_meta_offers_no_opt_out():
    result = CliRunner().invoke(cli, ["--json", "platforms"])
    flows = {f["platform"]: f for f in json.loads(result.stdout)}
    for platform in ("facebook", "instagram"):
        for setting in flows[platform]["settings"]:
            assert setting["control"] == "form"
            assert "EU/EEA" in setting["regions"] and "US" in setting["regions"]
            assert "no way to" in setting["regions"] and "unavailable" in setting["regions"]
