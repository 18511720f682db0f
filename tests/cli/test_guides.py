"""Guides: platforms with nothing optout can switch. `optout off` prints what a person can do and
records the guide's state, without opening a browser."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from optout.cli import cli
from optout.flowfile.load import load_flow
from optout.history import History
from optout.paths import Profile, flows_dir

GUIDES = {
    "slack": "needs_human",
    "figma": "needs_human",
    "squarespace": "needs_human",
    "udemy": "needs_human",
    "reddit": "unavailable",
    "stackoverflow": "unavailable",
    "zoom": "unavailable",
    "google-search": "needs_human",
    "discord": "needs_human",
    "tiktok": "needs_human",
    "grindr": "needs_human",
}


@pytest.fixture
def no_browser(monkeypatch):
    """Any attempt to find or launch a browser fails the test."""
    from optout import browser

    def refuse(*args, **kwargs):
        raise AssertionError("a guide must not open a browser")

    monkeypatch.setattr(browser, "find_browser", refuse)
    monkeypatch.setattr(browser, "launch", refuse)


def invoke(*args):
    return CliRunner(env={"COLUMNS": "300"}).invoke(cli, list(args), catch_exceptions=False)


def latest(platform: str) -> list[dict]:
    with History(Profile("default")) as history:
        return history.latest(platform)


@pytest.mark.parametrize("platform, state", GUIDES.items())
def test_guide_files_declare_their_state(platform, state):
    flow = load_flow(flows_dir() / f"{platform}.yaml")
    assert flow.guide is not None and not flow.settings and flow.login is None
    assert flow.guide.state == state


def test_off_slack_prints_steps_and_the_email_and_records_needs_human(no_browser):
    started = time.monotonic()
    result = invoke("off", "slack")
    assert time.monotonic() - started < 15, "a guide should answer at once"
    assert result.exit_code == 4, result.output
    out = " ".join(result.stdout.split())
    assert "feedback@slack.com" in out
    assert "subject: Slack Global model opt-out request" in out
    assert "https://YOUR-WORKSPACE.slack.com" in out
    assert "1. Only an owner can ask" in out and "3. Slack answers" in out
    [row] = latest("slack")
    assert (row["setting"], row["state"]) == ("guide", "needs_human")


@pytest.mark.parametrize("platform", ["reddit", "stackoverflow", "zoom"])
def test_off_on_a_platform_without_any_control_is_unavailable(no_browser, platform):
    result = invoke("off", platform)
    assert result.exit_code == 0, result.output
    assert "no " in result.stdout.lower()  # the summary says there is no setting, and why
    [row] = latest(platform)
    assert (row["setting"], row["state"]) == ("guide", "unavailable")
    assert row["detail"] == load_flow(flows_dir() / f"{platform}.yaml").guide.summary


def test_json_results_carry_the_guide_state(no_browser):
    result = invoke("--json", "check", "figma", "reddit")
    assert result.exit_code == 4, result.output
    rows = {r["platform"]: r for r in json.loads(result.stdout)["results"]}
    assert rows["figma"]["state"] == "needs_human" and rows["reddit"]["state"] == "unavailable"
    assert "Content training" in rows["figma"]["detail"]


def test_platforms_lists_them_as_guides():
    table = invoke("platforms")
    assert table.exit_code == 0, table.output
    assert table.stdout.count("guide (nothing to automate)") >= len(GUIDES)
    listed = {p["platform"]: p for p in json.loads(invoke("--json", "platforms").stdout)}
    for platform, state in GUIDES.items():
        assert listed[platform]["guide"]["state"] == state and listed[platform]["settings"] == []
    assert listed["slack"]["guide"]["email_to"] == "feedback@slack.com"


@pytest.mark.parametrize("command", [["account", "add", "slack"], ["login", "slack"]])
def test_nothing_to_sign_in_to_for_a_guide(no_browser, memory_keyring, command):
    result = CliRunner().invoke(cli, command, input="someone@example.org\nSENTINEL_unused\n")
    assert result.exit_code == 1, result.output
    assert "`optout off slack` shows what to do" in result.output
    assert memory_keyring.data == {}


def test_account_add_refuses_a_platform_signed_in_to_only_by_a_person(memory_keyring):
    result = CliRunner().invoke(
        cli, ["account", "add", "tumblr"], input="someone@example.org\nSENTINEL_unused\n"
    )
    assert result.exit_code == 1, result.output
    assert "optout login tumblr" in result.output
    assert memory_keyring.data == {}


def test_a_guide_asked_for_again_and_again_is_not_a_failing_sign_in(no_browser):
    for _ in range(4):
        result = invoke("--json", "off", "slack")
        assert result.exit_code == 4, result.output
        assert json.loads(result.stdout)["drift"] == []


@pytest.mark.parametrize(
    "platform, says",
    [
        (
            "google-search",
            [
                "https://myactivity.google.com/",
                '"Save media"',
                '"Search Services History"',
                "Web & App Activity does not turn this off",
            ],
        ),
        (
            "discord",
            ['"Use my data to improve Discord"', '"Data & Privacy"', "privacy@discord.com"],
        ),
        ("tiktok", ["no switch", "https://www.tiktok.com/legal/privacy-policy", "Article 21"]),
        ("grindr", ['"AI Technology Controls"', "only in the Grindr app"]),
    ],
)
def test_new_guides_print_where_to_act_and_record_needs_human(no_browser, platform, says):
    result = invoke("off", platform)
    assert result.exit_code == 4, result.output
    out = " ".join(result.stdout.split())
    for words in says:
        assert words in out, (words, out)
    [row] = latest(platform)
    assert (row["setting"], row["state"]) == ("guide", "needs_human")


def test_github_says_repository_files_do_not_opt_out():
    result = invoke("--json", "platforms")
    [github] = [p for p in json.loads(result.stdout) if p["platform"] == "github"]
    [setting] = github["settings"]
    assert ".github/ai-opt-out" in setting["meaning"] and "do not opt out" in setting["meaning"]
