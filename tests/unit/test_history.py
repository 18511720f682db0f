"""History: round-trips, migrations, drift across runs, crash safety, evidence pruning."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import optout
from optout import history as history_mod
from optout.errors import OptoutError
from optout.history import Drift, History, RunRecorder
from optout.paths import Profile
from optout.results import DRIFT_FIXED, Result, run_exit_code
from optout.retention import prune_evidence
from optout.states import State


def child_env() -> dict:
    """The test's environment, with this checkout importable in a child Python."""
    src = str(Path(optout.__file__).resolve().parents[1])
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
    }


def res(setting="train", state=State.OFF, platform="linkedin", account="a@example.org", **kw):
    return Result(
        platform=platform,
        setting=setting,
        state=state,
        account=account,
        label=kw.pop("label", f"Label of {setting}"),
        **kw,
    )


def run(h: History, *results: Result, kind="check") -> int:
    run_id = h.start_run(kind)
    for r in results:
        h.record(run_id, r)
    h.finish_run(run_id)
    return run_id


def test_round_trip_and_permissions():
    profile = Profile("default")
    at = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
    with History(profile) as h:
        run_id = h.start_run("check")
        h.record(
            run_id,
            res(
                state=State.ON,
                changed=False,
                detail="read as on",
                at=at,
                evidence=[Path("/x/before.png")],
                flow_version=3,
            ),
        )
        h.finish_run(run_id)
        [row] = h.timeline()
        assert row["run_id"] == run_id and row["run_kind"] == "check"
        assert row["state"] == "on" and row["changed"] is False and row["detail"] == "read as on"
        assert row["evidence"] == ["/x/before.png"] and row["flow_version"] == 3
        assert row["account"] == "a@example.org" and row["label"] == "Label of train"
        assert datetime.fromisoformat(row["at"]) == at
        assert h.runs()[0]["finished_at"] is not None
    assert stat.S_IMODE(profile.history_db.stat().st_mode) == 0o600
    assert stat.S_IMODE(profile.base.stat().st_mode) == 0o700
    wal = profile.history_db.with_name(profile.history_db.name + "-wal")
    if wal.exists():
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600
    con = sqlite3.connect(profile.history_db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA user_version").fetchone()[0] == history_mod.SCHEMA_VERSION


def test_timeline_filters_and_latest():
    old = datetime.now(UTC) - timedelta(days=30)
    with History(Profile()) as h:
        run(h, res(state=State.ON, at=old), res(platform="x", setting="grok", at=old))
        run(h, res(state=State.OFF, changed=True), res(setting="other", account=None))
        assert len(h.timeline()) == 4
        assert [r["platform"] for r in h.timeline(platform="x")] == ["x"]
        recent = h.timeline(since=datetime.now(UTC) - timedelta(days=7))
        assert {r["setting"] for r in recent} == {"train", "other"}
        latest = {(r["platform"], r["account"], r["setting"]): r for r in h.latest()}
        assert latest[("linkedin", "a@example.org", "train")]["state"] == "off"
        assert latest[("linkedin", None, "other")]["account"] is None
        assert len(latest) == 3
        assert len(h.latest(platform="linkedin")) == 2


def test_migrates_an_old_schema_keeping_data():
    profile = Profile().ensure()
    con = sqlite3.connect(profile.history_db)
    con.executescript(history_mod.MIGRATIONS[0])
    con.execute(
        "INSERT INTO runs (kind, profile, started_at) VALUES ('check', 'default', '2026-01-01')"
    )
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with History(profile) as h:
        assert h.runs()[0]["kind"] == "check"
        assert h.db.execute("PRAGMA user_version").fetchone()[0] == history_mod.SCHEMA_VERSION
        names = {r[0] for r in h.db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "results_key" in names


def test_a_sent_unconfirmed_form_gets_its_kind_once_from_the_old_words():
    """Before the kind column, only a detail's first words told a form sent unconfirmed: the
    migration reads them once; after it, only the kind decides whether a form went out."""
    profile = Profile().ensure()
    con = sqlite3.connect(profile.history_db)
    for script in history_mod.MIGRATIONS[:4]:
        con.executescript(script)
    con.execute(
        "INSERT INTO runs (kind, profile, started_at) VALUES ('off', 'default', '2026-01-01')"
    )
    rows = [
        ("form", "needs_human", "sent unconfirmed on 2026-01-01: look for the e-mail"),
        ("other", "needs_human", "asks for a code; sent unconfirmed is not how this begins"),
    ]
    for setting, state, detail in rows:
        con.execute(
            "INSERT INTO results (run_id, profile, platform, setting, state, detail, at)"
            " VALUES (1, 'default', 'instagram', ?, ?, ?, '2026-01-01')",
            (setting, state, detail),
        )
    con.execute("PRAGMA user_version = 4")
    con.commit()
    con.close()
    with History(profile) as h:
        kinds = {r["setting"]: r["kind"] for r in h.timeline()}
        assert kinds == {"form": "sent_unconfirmed", "other": None}
        assert h.last_sent("instagram", None, "form")["kind"] == "sent_unconfirmed"
        assert h.last_sent("instagram", None, "other") is None
        # Words alone, recorded now without the kind, are not a form sent.
        run(
            h,
            res(
                "later",
                State.NEEDS_HUMAN,
                "instagram",
                None,
                detail="sent unconfirmed on 2026-02-01",
            ),
        )
        assert h.last_sent("instagram", None, "later") is None


def test_a_failing_migration_is_rolled_back(monkeypatch):
    monkeypatch.setattr(
        history_mod,
        "MIGRATIONS",
        [*history_mod.MIGRATIONS, "CREATE TABLE extra (x); INSERT INTO nowhere VALUES (1)"],
    )
    monkeypatch.setattr(history_mod, "SCHEMA_VERSION", len(history_mod.MIGRATIONS))
    with pytest.raises(OptoutError):
        History(Profile())
    con = sqlite3.connect(Profile().history_db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(history_mod.MIGRATIONS) - 1
    assert not con.execute("SELECT 1 FROM sqlite_master WHERE name='extra'").fetchone()


def test_newer_schema_is_refused():
    profile = Profile().ensure()
    con = sqlite3.connect(profile.history_db)
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(OptoutError, match="written by a newer optout"):
        History(profile)


def test_corrupt_file_names_the_file_and_the_fix():
    profile = Profile().ensure()
    profile.history_db.write_bytes(b"this is not sqlite at all, just text" * 100)
    with pytest.raises(OptoutError) as info:
        History(profile)
    text = str(info.value)
    assert str(profile.history_db) in text and "Keep the file" in text


def test_unknown_run_kind():
    with History(Profile()) as h, pytest.raises(ValueError):
        h.start_run("weird")


# -- drift ------------------------------------------------------------------------------------


def kinds(drift):
    return sorted((d.kind, d.setting) for d in drift)


def test_switched_back_on_is_drift_and_stored():
    with History(Profile()) as h:
        first = run(h, res(state=State.OFF), res(setting="form", state=State.SUBMITTED))
        assert h.drift(first) == []  # nothing earlier to compare with
        second = run(h, res(state=State.ON), res(setting="form", state=State.ON))
        drift = h.drift(second)
        assert kinds(drift) == [("switched_on", "form"), ("switched_on", "train")]
        assert "was off" in next(d for d in drift if d.setting == "train").detail
        assert len(h.drift(second)) == 2  # idempotent
        log = h.drift_log()
        assert len(log) == 2 and {d["kind"] for d in log} == {"switched_on"}
        third = run(h, res(state=State.ON))
        assert h.drift(third) == []  # still on is not new drift


def test_an_off_run_that_switches_a_setting_off_again_finds_the_same_drift_as_a_check():
    with History(Profile()) as h:
        h.drift(
            run(h, res(state=State.OFF, changed=True), kind="off")
        )  # the first switch: no drift
        fixed = run(
            h,
            res(state=State.OFF, changed=True),
            res("new", state=State.OFF, changed=True),
            kind="scheduled",
        )
        drift = h.drift(fixed)
        assert [(d.kind, d.setting, d.fixed) for d in sorted(drift, key=lambda d: d.setting)] == [
            ("new_setting", "new", True),
            ("switched_on", "train", True),
        ]
        assert "switched it off again" in drift[0].detail and "now on" in drift[1].detail
        assert [d["fixed"] for d in h.drift_log()] == [True, True]
        # Still off, not switched by this run: nothing drifted.
        assert h.drift(run(h, res(state=State.OFF), res("new", state=State.OFF), kind="off")) == []
        # On at the last check and switched off now: the person knew, so it is no drift.
        run(h, res(state=State.ON))
        assert h.drift(run(h, res(state=State.OFF, changed=True), kind="off")) == []


def test_drift_exit_code_only_when_nothing_else_is_wrong():
    drift = [Drift("switched_on", "linkedin", None, "train", "was off", fixed=True)]
    assert run_exit_code([res(state=State.OFF, changed=True)], drift) == DRIFT_FIXED == 6
    assert run_exit_code([res(state=State.OFF), res("b", state=State.BROKEN)], drift) == 5
    assert run_exit_code([res(state=State.ON)], [Drift("switched_on", "x", None, "t", "on")]) == 3
    assert run_exit_code([res(state=State.OFF)], []) == 0


def test_new_setting_only_after_earlier_runs_of_that_account():
    with History(Profile()) as h:
        h.drift(run(h, res("a")))
        drift = h.drift(run(h, res("a"), res("b"), res("c", account="second@example.org")))
        # a second account appearing is not "a new setting appeared"
        assert kinds(drift) == [("new_setting", "b")]


def test_broken_streak_needs_three_runs_that_saw_the_key():
    with History(Profile()) as h:
        assert h.drift(run(h, res(state=State.BROKEN))) == []
        run(h, res("other"))  # a run that did not see the key does not break the streak
        assert h.drift(run(h, res(state=State.BROKEN))) == []
        assert kinds(h.drift(run(h, res(state=State.BROKEN)))) == [("broken_streak", "train")]


def test_login_failing_once_per_account():
    with History(Profile()) as h:
        for state in (State.NEEDS_LOGIN, State.NEEDS_HUMAN):
            h.drift(run(h, res("a", state=state), res("b", state=state)))
        drift = h.drift(
            run(h, res("a", state=State.NEEDS_LOGIN), res("b", state=State.NEEDS_LOGIN))
        )
        assert [(d.kind, d.account, d.setting) for d in drift] == [
            ("login_failing", "a@example.org", None)
        ]


def test_demo_runs_do_not_raise_drift_for_real_runs():
    with History(Profile()) as h:
        run(h, res(state=State.OFF), kind="demo")
        assert h.drift(run(h, res(state=State.ON))) == []


# -- crash safety -----------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from optout.history import History
    from optout.paths import Profile
    from optout.results import Result
    from optout.states import State
    h = History(Profile())
    run_id = h.start_run("scheduled")
    i = 0
    while True:
        h.record(run_id, Result("linkedin", f"s{i}", State.OFF, detail="x" * 2000, account="a"))
        i += 1
        if i == 50:
            print("ready", flush=True)
    """
)


def test_kill_9_mid_run_leaves_a_readable_history():
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER], stdout=subprocess.PIPE, env=child_env()
    )
    try:
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(0.2)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=10)
    with History(Profile()) as h:
        assert h.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        [killed] = h.runs()
        assert killed["finished_at"] is None and killed["kind"] == "scheduled"
        committed = h.timeline()
        assert len(committed) >= 50
        assert all(r["detail"] == "x" * 2000 for r in committed)
        new = run(h, res("fresh"))
        assert h.runs()[0]["id"] == new and h.runs()[0]["finished_at"]
        assert len(h.timeline()) == len(committed) + 1


# -- evidence pruning -------------------------------------------------------------------------


def test_prune_keeps_recent_changes_and_state_flips():
    profile = Profile().ensure()
    ev = profile.evidence
    ev.mkdir()
    outside = profile.base / "outside.png"
    outside.write_bytes(b"x")
    states = [State.OFF, State.OFF, State.ON, State.OFF, State.OFF, State.OFF, State.OFF]
    changed = [False, False, False, True, False, False, False]
    files = []
    with History(profile) as h:
        for i, (state, ch) in enumerate(zip(states, changed, strict=True)):
            f = ev / f"{i}.png"
            f.write_bytes(b"png")
            files.append(f)
            extra = [outside] if i == 1 else []
            run(h, res(state=state, changed=ch, evidence=[f, *extra]))
    deleted = prune_evidence(profile, keep=2)
    # kept: 0 (first), 2 (off->on), 3 (changed, on->off), 5 and 6 (last two)
    assert sorted(p.name for p in deleted) == ["1.png", "4.png"]
    assert [f.exists() for f in files] == [True, False, True, True, False, True, True]
    assert outside.exists()  # never deletes outside the evidence folder
    assert prune_evidence(profile, keep=2) == []


def test_run_recorder_records_finishes_and_finds_drift():
    with RunRecorder(Profile(), "check") as rec:
        rec(res(state=State.OFF))
    assert rec.drift == []
    with RunRecorder(Profile(), "scheduled") as rec:
        rec(res(state=State.ON))
    assert [d.kind for d in rec.drift] == ["switched_on"]
    with pytest.raises(RuntimeError), RunRecorder(Profile(), "check") as rec:
        rec(res(state=State.ON))
        raise RuntimeError("browser crashed")
    with History(Profile()) as h:
        runs = h.runs()
        assert runs[0]["finished_at"] is None and runs[1]["finished_at"]
        assert len(h.timeline()) == 3 and len(h.drift_log()) == 1


def test_damage_found_mid_use_is_an_optout_error():
    profile = Profile()
    with History(profile) as h:
        run_id = h.start_run("check")
        for i in range(300):
            h.record(run_id, res(f"s{i}", detail="y" * 500))
        h.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(profile.history_db.read_bytes())
    page = 4096
    data[page * 3 : page * 40] = b"\xff" * (page * 37)  # keep the header, wreck the tables
    profile.history_db.write_bytes(bytes(data))
    with pytest.raises(OptoutError) as info:
        with History(profile) as h:
            h.timeline()
    assert str(profile.history_db) in str(info.value) and "Keep the file" in str(info.value)
