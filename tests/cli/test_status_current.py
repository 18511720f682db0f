"""`status` shows where each setting stands now: readings from before the account was added
(and the failed sign-ins they raised) give way to the readings after it."""

from __future__ import annotations

import json

from click.testing import CliRunner

from optout.cli import cli
from optout.history import History
from optout.paths import Profile
from optout.results import Result
from optout.sandbox import SANDBOX_USERNAME, Sandbox
from optout.states import State
from optout.status import standing

SENTINEL_PASSWORD = "sentinel-pw-Status3Qw"


def test_readings_before_the_account_was_added_do_not_outlive_later_ones(browser_path):
    def invoke(*args, input=None):
        return CliRunner().invoke(
            cli,
            ["--browser-path", browser_path, "--sandbox", *args],
            input=input,
            env={"COLUMNS": "80"},
            catch_exceptions=False,
        )

    for _ in range(3):  # no account yet: every setting needs a sign-in, three runs in a row
        assert invoke("check", "linkedin").exit_code == 4
    before = json.loads(invoke("status", "--json").stdout)
    assert before["next"].startswith("optout --sandbox login linkedin")
    Sandbox.for_profile("sandbox-default").configure("linkedin", password=SENTINEL_PASSWORD)
    invoke("account", "add", "linkedin", input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n")
    assert invoke("off", "linkedin").exit_code == 0

    now = json.loads(invoke("status", "--json").stdout)
    assert {(s["account"], s["state"]) for s in now["settings"]} == {
        (SANDBOX_USERNAME, "off"),
        (SANDBOX_USERNAME, "submitted"),
    }
    assert now["next"] is None or "login" not in now["next"]
    shown = " ".join(invoke("status").stdout.split())
    assert (
        "sign-in failed" not in shown
        and "login linkedin" not in shown
        and "needs_login" not in shown
    )


def record(h: History, kind: str, *results: Result, finish: bool = True) -> None:
    run = h.start_run(kind)
    for r in results:
        h.record(run, r)
    if finish:
        h.finish_run(run)


def test_a_run_that_did_not_finish_hides_no_account():
    """Only a finished run says which accounts a platform has now: one cut short proves nothing."""
    profile = Profile()
    with History(profile) as h:
        record(
            h,
            "check",
            Result("x", "grok", State.ON, account="a"),
            Result("x", "grok", State.OFF, account="b"),
        )
        record(h, "check", Result("x", "grok", State.OFF, account="a"), finish=False)
    assert {(s.account, s.state) for s in standing(profile)} == {("a", "off"), ("b", "off")}
    with History(profile) as h:  # b was removed: a finished run read only a
        record(h, "check", Result("x", "grok", State.OFF, account="a"))
    assert [(s.account, s.state) for s in standing(profile)] == [("a", "off")]
