"""The Python API runs under the same policy as the CLI (optout.runs): the profile's run lock,
history, evidence pruning and, when asked, notifications; its options are named and typed."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from optout import api, runs
from optout.errors import OptoutError
from optout.paths import Profile
from optout.runlock import run_lock


def check_guides(**opts):
    """A platform done by hand: a run with no browser, recorded like any other."""
    return asyncio.run(api.check(["youtube"], sessions=False, credentials={}, **opts))


def test_the_api_holds_the_run_lock_like_the_cli():
    with run_lock(Profile()):
        with pytest.raises(OptoutError, match="another optout run is in progress"):
            check_guides()
        assert check_guides(lock=False)[0].setting == "guide"
    results = check_guides()  # released: a run goes on
    assert results.run_id is not None and [r.platform for r in results] == ["youtube"]


def test_the_api_prunes_evidence_and_notifies_when_asked(monkeypatch):
    pruned, told = [], []
    monkeypatch.setattr(
        "optout.retention.prune_evidence", lambda profile: pruned.append(profile.name)
    )
    monkeypatch.setattr(
        "optout.notify.notify_run",
        lambda profile, drift, results: told.append((profile, list(results))),
    )
    check_guides()
    assert pruned == ["default"] and told == []
    results = check_guides(notify=True)
    assert pruned == ["default", "default"] and told == [("default", list(results))]
    check_guides(history=False)  # nothing recorded: nothing to prune by
    assert len(pruned) == 2


def test_results_of_two_runs_share_nothing():
    first, second = runs.Results(), runs.Results()
    first.drift.append("x")
    first.captures.append("y")
    assert second.drift == [] and second.captures == [] and runs.Results().drift == []
    kept = first.holding([])
    assert kept.drift == ["x"] and kept.run_id is first.run_id


@pytest.mark.parametrize("fn", [api.check, api.switch_off])
def test_every_option_is_named_typed_and_documented(fn):
    params = inspect.signature(fn).parameters
    assert not [p for p in params.values() if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    options = [p for name, p in params.items() if name != "platforms"]
    assert options and all(p.kind is p.KEYWORD_ONLY for p in options)
    assert all(p.annotation is not inspect.Parameter.empty for p in params.values())
    documented = inspect.getdoc(api.check) + inspect.getdoc(fn)
    assert [
        p.name for p in options if f"{p.name}:" not in documented and f"{p.name}," not in documented
    ] == []
