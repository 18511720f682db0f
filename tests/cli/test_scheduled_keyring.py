"""A scheduled run that reaches another keyring than the accounts were added with says so,
instead of suggesting to add an account the person already has."""

from __future__ import annotations

from click.testing import CliRunner

from optout.cli import cli
from optout.history import History
from optout.paths import Profile
from optout.results import Result
from optout.states import State


def test_no_accounts_while_history_has_some_names_the_other_keyring():
    with History(Profile()) as h:
        run = h.start_run("check")
        h.record(run, Result("linkedin", "generative-ai", State.OFF, account="a@example.org"))
        h.finish_run(run)
    done = CliRunner().invoke(cli, ["check", "--scheduled"], env={"COLUMNS": "80"})
    assert done.exit_code == 4
    said = " ".join(done.output.split())
    assert "another keyring" in said and "linkedin" in said and "Add one" not in said
    assert "a@example.org" not in said  # the platform is enough; the log keeps no account names


def test_no_accounts_and_no_history_still_says_add_one():
    done = CliRunner().invoke(cli, ["check", "--scheduled"], env={"COLUMNS": "80"})
    assert done.exit_code == 4 and "account add" in done.output
