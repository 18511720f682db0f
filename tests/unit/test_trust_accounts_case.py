"""Issue 23, item 15: two stored accounts whose names differ only in case are one account to a run
(it signs in to each account once): the second is refused when added, and one stored by an older
optout is named as not checked, never dropped in silence."""

from __future__ import annotations

from click.testing import CliRunner
from structlog.testing import capture_logs

from optout.cli import cli
from optout.credentials import AccountStore
from optout.engine.options import Account
from optout.engine.run import planned
from optout.flowfile.load import load_flows
from optout.paths import Profile, flows_dir

SENTINEL_SECRET = "S3nt&<>\"' %/inel-case"


def add(username: str):
    return CliRunner().invoke(
        cli, ["account", "add", "linkedin"], input=f"{username}\n{SENTINEL_SECRET}\n"
    )


def test_a_second_spelling_of_a_stored_account_is_refused_and_says_what_to_do():
    assert add("Jane.Doe@example.org").exit_code == 0
    result = add("jane.doe@EXAMPLE.org")
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert "'Jane.Doe@example.org' is already stored" in said and "only in case" in said
    assert "optout account remove linkedin 'Jane.Doe@example.org'" in said
    assert SENTINEL_SECRET not in result.output
    assert [r.username for r in AccountStore(Profile()).list("linkedin")] == [
        "Jane.Doe@example.org"
    ]
    assert (
        add("Jane.Doe@example.org").exit_code == 0
    )  # the same spelling: a new password, as before


def test_two_spellings_already_stored_name_the_one_not_checked():
    flow = load_flows(flows_dir())["linkedin"]
    accounts = [
        Account("linkedin", "Jane.Doe@example.org"),
        Account("linkedin", "jane.doe@example.org"),
    ]
    with capture_logs() as logs:
        [(_, kept)] = planned([(flow, accounts)])
    assert [a.name for a in kept] == ["Jane.Doe@example.org"]
    [said] = [e for e in logs if e["event"] == "run.same_account"]
    assert said["log_level"] == "warning" and said["account"] == "jane.doe@example.org"
    assert "only 'Jane.Doe@example.org' is checked" in said["hint"]
    with capture_logs() as logs:  # the same name twice (a repeated argument) is nothing to say
        planned([(flow, accounts[:1] * 2)])
    assert not logs
