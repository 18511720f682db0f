"""The AI-assistant flows (ChatGPT, Claude, Google Gemini, Microsoft Copilot, Perplexity), driven
through a real Chromium against their sandbox replicas.

What the five share is parametrized across them; Gemini's menu, Copilot's toggles behind
profile → Privacy and their absence in the 2026 app, Claude's relabel and ChatGPT's signed-out
toggle have their own tests. Claude and Perplexity sign in by e-mailed code or single sign-on only:
their runs start from a session saved as `optout login` would save it."""

from __future__ import annotations

import shutil

import pyotp
import pytest
import yaml

from optout import api
from optout.credentials import Credential
from optout.paths import flows_dir
from optout.sandbox import SANDBOX_USERNAME

SENTINEL_PASSWORD = "sentinel-pw-Assist4Vq"

SETTINGS = {
    "chatgpt": ["improve-model", "include-environments"],
    "claude": ["help-improve"],
    "gemini": ["keep-activity"],
    "copilot": ["text-training", "voice-training"],
    "perplexity": ["ai-data-retention"],
}
ALL = list(SETTINGS)
PASSWORD = ["chatgpt", "gemini", "copilot"]  # flows with password sign-in steps
BY_HAND = ["claude", "perplexity"]  # e-mailed code or single sign-on: a person signs in


@pytest.fixture
def setup(configure):
    """Configure a replica; for flows without password sign-in, save a session as `optout login` does."""

    def _setup(platform, *misbehaviours, signed_in=True, **account):
        return configure(
            platform, *misbehaviours, session=platform in BY_HAND and signed_in, **account
        )

    return _setup


@pytest.fixture
def run(run_flow):
    async def _run(platform, mode="check", **opts):
        results = await run_flow(platform, mode, **opts)
        assert [r.setting for r in results] == SETTINGS[platform]
        return results

    return _run


def saves(replica) -> list[dict]:
    return replica.events("save")


def setting_values(replica, platform) -> list[bool]:
    return [replica.state["settings"][s] for s in SETTINGS[platform]]


# --- what all five share --------------------------------------------------------------------------


@pytest.mark.parametrize("platform", ALL)
async def test_check_reads_on_and_changes_nothing(setup, run, platform):
    replica = setup(platform)
    results = await run(platform, "check")
    for r in results:
        assert (r.state, r.changed) == ("on", False), r.detail
        assert r.evidence and r.evidence[0].exists()
    assert saves(replica) == []
    assert setting_values(replica, platform) == [True] * len(SETTINGS[platform])


@pytest.mark.parametrize("platform", ALL)
async def test_off_switches_off_and_verifies_after_reload(setup, run, platform):
    replica = setup(platform)
    results = await run(platform, "off")
    for r in results:
        assert r.state == "off" and r.changed, r.detail
        assert "reload" in r.detail
        assert [p.name.split("-")[-1] for p in r.evidence] == ["before.png", "after.png"]
    assert setting_values(replica, platform) == [False] * len(SETTINGS[platform])
    assert sorted((e["setting"], e["on"]) for e in saves(replica)) == sorted(
        (s, False) for s in SETTINGS[platform]
    )
    [again] = {r.state for r in await run(platform, "check")}
    assert again == "off"


@pytest.mark.parametrize("platform", ALL)
async def test_already_off_is_never_clicked(setup, run, platform):
    replica = setup(platform, "already_off")
    results = await run(platform, "off")
    assert {(r.state, r.changed) for r in results} == {("off", False)}
    assert saves(replica) == []
    if platform == "gemini":
        assert replica.events("menu_open") == []


@pytest.mark.parametrize("platform", ALL)
async def test_slow_render_is_still_read(setup, run, platform):
    setup(platform, "slow_render")
    results = await run(platform, "off")
    assert {(r.state, r.changed) for r in results} == {("off", True)}


@pytest.mark.parametrize("platform", ALL)
async def test_setting_missing_is_never_off(setup, run, platform):
    """A missing toggle (Team or Enterprise plans, a Workspace account, Copilot's 2026 app) has no
    sign on the page itself that it is not offered: `broken`, never `off` nor a guessed
    `unavailable` (Copilot's page stating it: tests/flows/test_controls_truth.py)."""
    replica = setup(platform, "absent")
    results = await run(platform, "off", find_timeout_s=2)
    assert {r.state for r in results} == {"broken"}, [r.detail for r in results]
    assert saves(replica) == []


@pytest.mark.parametrize("platform", ALL)
async def test_server_error_is_an_error(setup, run, platform):
    replica = setup(platform, "server_error")
    results = await run(platform, "off")
    assert {r.state for r in results} == {"error"}
    assert "HTTP 500" in results[0].detail
    assert saves(replica) == []


# --- sign-in --------------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PASSWORD)
async def test_saved_session_is_reused_and_expiry_signs_in_once(sandbox, setup, run, platform):
    replica = setup(platform)
    await run(platform, "check")
    assert [e["ok"] for e in replica.events("login")] == [True]
    await run(platform, "check")
    assert len(replica.events("login")) == 1, "the saved session should have been reused"
    sandbox.expire_sessions(platform)
    results = await run(platform, "check")
    assert {r.state for r in results} == {"on"}
    assert len(replica.events("login")) == 2


@pytest.mark.parametrize("platform", BY_HAND)
async def test_signed_in_by_hand_session_ends_needs_login(sandbox, setup, run, platform):
    replica = setup(platform)
    assert {r.state for r in await run(platform, "check")} == {"on"}
    sandbox.expire_sessions(platform)
    results = await run(platform, "off")
    for r in results:
        assert r.state == "needs_login"
        assert f"optout login {platform}" in r.detail and "account add" not in r.detail
    # Stored credentials or not, optout never asks the platform to e-mail a code.
    assert replica.events("code_requested") == [] and saves(replica) == []


@pytest.mark.parametrize("platform", BY_HAND)
async def test_no_session_at_all_names_optout_login(setup, browser_path, sandbox, platform):
    setup(platform, signed_in=False)
    results = await api.check([platform], setup_context=sandbox.install, browser_path=browser_path)
    assert {r.state for r in results} == {"needs_login"}
    assert (
        f"optout login {platform}" in results[0].detail and "account add" not in results[0].detail
    )


@pytest.fixture
def quick_flows(tmp_path):
    """The flows with a short sign-in wait, for sign-ins that end on a page no flow knows."""
    target = tmp_path / "flows"
    shutil.copytree(flows_dir(), target)
    for platform in PASSWORD:
        path = target / f"{platform}.yaml"
        data = yaml.safe_load(path.read_text())
        data["login"]["timeout_ms"] = 3000
        path.write_text(yaml.safe_dump(data))
    return target


@pytest.mark.parametrize("platform", PASSWORD)
async def test_wrong_password_is_tried_once(setup, run, quick_flows, platform):
    """No platform's wrong-password message is in the research, so the flows do not claim to know
    it: the page is unknown (`broken`, with evidence), after exactly one attempt."""
    replica = setup(platform, "wrong_password")
    results = await run(platform, "off", flows_dir=quick_flows)
    assert {r.state for r in results} == {"broken"}
    assert "sign-in did not finish" in results[0].detail
    # A page shown after a password was typed keeps no screenshot (it may show the password).
    assert sorted(p.suffix for p in results[0].evidence) == [".html"]
    assert [e["ok"] for e in replica.events("login")] == [False]
    assert saves(replica) == []


@pytest.mark.parametrize(
    "platform, words",
    [
        ("chatgpt", "a code sent by e-mail"),
        ("gemini", "a security checkpoint"),
        ("copilot", "verification code"),
    ],
)
async def test_second_step_without_a_secret_needs_a_person(setup, run, platform, words):
    replica = setup(platform, "two_factor")
    results = await run(platform, "off")
    assert {r.state for r in results} == {"needs_human"}
    assert words in results[0].detail and f"optout login {platform}" in results[0].detail
    assert saves(replica) == []


@pytest.mark.parametrize(
    "platform, words",
    [
        ("chatgpt", "a check that you are human (Cloudflare)"),
        ("gemini", "a security checkpoint"),
        ("copilot", "a security checkpoint"),
        ("claude", "a check that you are human (Cloudflare)"),
    ],
)
async def test_security_check_needs_a_person(setup, run, platform, words):
    replica = setup(platform, "checkpoint")
    results = await run(platform, "off")
    assert {r.state for r in results} == {"needs_human"}, [r.detail for r in results]
    assert words in results[0].detail
    assert saves(replica) == []


@pytest.mark.parametrize("platform", PASSWORD)
async def test_lookalike_sign_in_never_gets_the_password(setup, run, platform):
    replica = setup(platform, "lookalike_login")
    results = await run(platform, "off")
    assert {r.state for r in results} == {"error"}
    assert "refused to type" in results[0].detail
    assert replica.events("login") == []


async def test_copilot_code_from_a_stored_totp_secret(setup, run):
    secret = pyotp.random_base32()
    replica = setup("copilot", totp_secret=secret)
    results = await run(
        "copilot",
        "off",
        credential=Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD, totp_secret=secret),
    )
    assert {(r.state, r.changed) for r in results} == {("off", True)}, [r.detail for r in results]
    assert [e["ok"] for e in replica.events("code")] == [True]


# --- per platform ---------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["plain_first", "delete_first"])
async def test_gemini_turns_off_and_never_deletes_activity(setup, run, order):
    replica = setup("gemini")
    replica.state["menu_order"] = order
    activity = list(replica.state["activity"])
    [result] = await run("gemini", "off")
    assert result.state == "off" and result.changed, result.detail
    assert [(e["on"], e["delete"]) for e in saves(replica)] == [(False, False)], (
        "a plain turn-off, once"
    )
    assert replica.events("delete_started") == []
    assert replica.state["activity"] == activity


async def test_gemini_check_never_opens_the_menu(setup, run):
    replica = setup("gemini")
    [result] = await run("gemini", "check")
    assert result.state == "on"
    assert replica.events("menu_open") == [] and saves(replica) == []


async def test_gemini_managed_by_an_administrator_reports_what_it_reads(setup, run):
    """A lock is no sign of absence (DESIGN.md States): the greyed-out chip reads On, so `on`."""
    replica = setup("gemini", "admin_managed")
    [result] = await run("gemini", "off")
    assert result.state == "on", result.detail
    assert "shows it on and does not let this account change it" in result.detail
    assert replica.events("menu_open") == [] and saves(replica) == []


async def test_copilot_new_app_without_toggles_is_broken(setup, run):
    """The 2026 app's privacy page has no toggle and does not itself say that nothing is trained
    on (that sentence is known only from support pages): no positive sign, so `broken`."""
    replica = setup("copilot", "absent")
    results = await run("copilot", "off", find_timeout_s=3)
    assert [(r.setting, r.state) for r in results] == [
        ("text-training", "broken"),
        ("voice-training", "broken"),
    ]
    assert saves(replica) == []


async def test_copilot_reaches_each_toggle_through_profile_and_privacy(setup, run):
    replica = setup("copilot")
    replica.state["settings"]["voice-training"] = False  # reported off by default
    results = await run("copilot", "off")
    assert [(r.setting, r.state, r.changed) for r in results] == [
        ("text-training", "off", True),
        ("voice-training", "off", False),
    ]
    assert [(e["setting"], e["on"]) for e in saves(replica)] == [("text-training", False)]


@pytest.mark.parametrize("label", ["original", "relabelled"])
async def test_claude_reads_both_names_of_its_toggle(setup, run, label):
    replica = setup("claude")
    replica.state["label"] = label
    [result] = await run("claude", "off")
    assert result.state == "off" and result.changed, result.detail
    assert replica.state["settings"]["help-improve"] is False


async def test_chatgpt_signed_out_toggle_is_never_read_for_the_account(sandbox, setup, run):
    """Signed out, ChatGPT shows a per-browser copy of the toggle: optout must sign in, not read it."""
    replica = setup("chatgpt")
    await run("chatgpt", "check")
    sandbox.expire_sessions("chatgpt")
    result, _codex = await run("chatgpt", "off")
    assert result.state == "off" and result.changed, result.detail
    assert len(replica.events("login")) == 2
    assert replica.events("browser_toggle") == []
    assert replica.state["settings"]["improve-model"] is False
