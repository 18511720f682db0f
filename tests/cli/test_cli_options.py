"""Global options work before or after the command, on every command and subcommand (CliRunner)."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from optout.cli import cli
from optout.cli.common import GLOBAL_OPTIONS, CliState
from optout.paths import Profile

GLOBAL_NAMES = {decls[0] for decls, _, _ in GLOBAL_OPTIONS}


def invoke(*args):
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, list(args), catch_exceptions=False)


def every_command(group: click.Group, path=()):
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))


def test_every_command_and_subcommand_takes_the_global_options():
    for path, command in [((), cli), *every_command(cli)]:
        names = {opt for p in command.params for opt in getattr(p, "opts", [])}
        assert GLOBAL_NAMES <= names, (path, GLOBAL_NAMES - names)


def test_check_json_after_the_command(browser_path):
    before = invoke("--json", "--browser-path", browser_path, "check", "linkedin")
    after = invoke("check", "linkedin", "--json", "--browser-path", browser_path)
    for result in (before, after):
        assert result.exit_code == 4, result.output
        [row] = [r for r in json.loads(result.stdout)["results"] if r["setting"] == "generative-ai"]
        assert row["state"] == "needs_login"


@pytest.mark.parametrize(
    "args",
    [
        ["--json", "platforms"],
        ["platforms", "--json"],
    ],
)
def test_platforms(args):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "linkedin" in {f["platform"] for f in json.loads(result.stdout)}


@pytest.mark.parametrize(
    "args",
    [
        ["--json", "account", "list"],
        ["account", "--json", "list"],
        ["account", "list", "--json"],
    ],
)
def test_account_list(args):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize(
    "args, profile",
    [
        (["--json", "history"], "default"),
        (["history", "--json"], "default"),
        (["--profile", "alice", "history", "--json"], "alice"),
        (["history", "--json", "--profile", "alice"], "alice"),
        (["--profile", "bob", "history", "--profile", "alice", "--json"], "alice"),
        (["--sandbox", "--profile", "alice", "--json", "history"], "sandbox-alice"),
        (["history", "--sandbox", "--profile", "alice", "--json"], "sandbox-alice"),
        (["--profile", "alice", "history", "--sandbox", "--json"], "sandbox-alice"),
        (["--sandbox", "history", "--sandbox", "--json"], "sandbox-default"),
    ],
)
def test_history_profile_and_sandbox_either_side(args, profile):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["profile"] == profile


@pytest.mark.parametrize(
    "args",
    [
        ["--json", "profile", "list"],
        ["profile", "list", "--json"],
        ["profile", "--json", "list"],
    ],
)
def test_profile_list(args):
    Profile("alice").ensure()
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "alice" in {p["name"] for p in json.loads(result.stdout)}


@pytest.mark.parametrize("placement", ["before", "after"])
def test_doctor(placement, browser_path):
    options = ["--json", "--browser-path", browser_path, "-v"]
    args = [*options, "doctor"] if placement == "before" else ["doctor", *options]
    result = invoke(*args)
    names = {line["name"] for line in json.loads(result.stdout)}
    assert {"browser", "keyring"} <= names, names


def test_a_bad_profile_after_the_command_is_refused_like_before():
    for args in (["--profile", "../etc", "history"], ["history", "--profile", "../etc"]):
        result = invoke(*args)
        assert result.exit_code == 2  # a usage error (issue 23 item 15)
        assert "is not a usable profile name" in result.output


def test_verbosity_adds_up_and_later_values_win():
    state = CliState()
    for name, value in (
        ("verbose", 1),
        ("verbose", 1),
        ("browser_path", "/a"),
        ("browser_path", "/b"),
    ):
        state.merge(name, value)
    assert (state.verbose, state.browser_path) == (2, "/b")


def test_help_after_the_command_lists_the_global_options():
    result = invoke("check", "--help")
    assert result.exit_code == 0
    for name in GLOBAL_NAMES:
        assert name in result.output


# --- --json on the small commands too: one JSON document on stdout, words on stderr --------------

SENTINEL_PASSWORD = "sentinel-pw-&<>\"' %/Json9"


def json_of(*args, **kw):
    result = CliRunner(env={"COLUMNS": "80"}).invoke(cli, list(args), catch_exceptions=False, **kw)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_sandbox_list_fits_80_columns_and_has_json():
    from optout.sandbox import MISBEHAVIOURS

    text = CliRunner(env={"COLUMNS": "80"}).invoke(cli, ["sandbox", "list"]).output
    assert not [line for line in text.splitlines() if len(line) > 80]
    assert (
        "real_weight" in text and "cookie_consent_accept_only\n" in text
    )  # a long name on its own line
    assert json_of("sandbox", "list", "--json") == [
        {"name": n, "what": w} for n, w in MISBEHAVIOURS.items()
    ]


def test_sandbox_set_and_flip_name_what_is_wrong_and_answer_json():
    from optout.sandbox import Sandbox

    for args, wrong in (
        (["set", "myspace"], "no replica of myspace"),
        (["flip", "myspace", "x", "on"], "no replica of myspace"),
        (["flip", "linkedin", "trainning", "on"], "no setting trainning; it has: ai-objection"),
    ):
        result = invoke("--sandbox", "sandbox", *args)
        assert result.exit_code == 2 and wrong in result.output and "Traceback" not in result.output
    assert json_of("--sandbox", "sandbox", "set", "linkedin", "two_factor", "--json") == {
        "platform": "linkedin",
        "misbehaviours": ["two_factor"],
    }
    assert (
        json_of("--sandbox", "sandbox", "flip", "linkedin", "generative-ai", "off", "--json")["on"]
        is False
    )
    box = Sandbox.for_profile("sandbox-default")
    assert box.data["linkedin"]["settings"]["generative-ai"] is False
    assert box.data["linkedin"]["misbehaviours"] == ["two_factor"]


def test_account_add_and_remove_answer_json_without_the_secret():
    result = CliRunner().invoke(
        cli,
        ["account", "add", "linkedin", "--json"],
        input=f"me@example.org\n{SENTINEL_PASSWORD}\n",
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "platform": "linkedin",
        "username": "me@example.org",
        "has_totp": False,
    }
    assert "sentinel-pw" not in result.output
    assert json_of("account", "remove", "linkedin", "--json") == [
        {"platform": "linkedin", "username": "me@example.org"}
    ]


def test_completion_json_holds_the_script():
    plain = invoke("completion", "bash").stdout
    assert json_of("completion", "bash", "--json") == {
        "shell": "bash",
        "script": plain[:-1],
    }  # echo adds one newline
