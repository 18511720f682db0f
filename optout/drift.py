"""Drift: what needs the person's attention, found by comparing one run's results with the
earlier runs of the same history (a setting back on, a new setting, a flow broken or a sign-in
failing run after run)."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass

from optout.states import Kind, State

#: How many runs in a row a flow must be broken (or a sign-in failing) before it counts as drift.
STREAK = 3
_OFFISH = {State.OFF, State.SUBMITTED}
_LOGIN = {State.NEEDS_LOGIN, State.NEEDS_HUMAN}


@dataclass(frozen=True)
class Drift:
    """Something that needs the person's attention, found by comparing a run with earlier ones."""

    kind: str  # switched_on | new_setting | broken_streak | login_failing
    platform: str
    account: str | None
    setting: str | None
    detail: str
    #: The run that found it also put it right (an `off` run switched the setting off again and
    #: read it off after a reload): still drift, since the platform went back on the person's choice.
    fixed: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def find(db: sqlite3.Connection, run_id: int) -> list[Drift]:
    """The drift run `run_id` shows against the earlier runs of its group: demo runs are compared
    only with demo runs (and real runs with real runs), so trying the sandbox never raises an
    alarm about a real account."""
    run = db.execute("SELECT kind FROM runs WHERE id = ?", (run_id,)).fetchone()
    if run is None:
        raise ValueError(f"no run {run_id}")
    same_group = "runs.kind = 'demo'" if run["kind"] == "demo" else "runs.kind != 'demo'"
    current: dict[tuple[str, str, str], sqlite3.Row] = {}
    for r in db.execute("SELECT * FROM results WHERE run_id = ? ORDER BY id", (run_id,)):
        current[(r["platform"], r["account"], r["setting"])] = r  # the last word of the run

    found: list[Drift] = []
    login_flagged: set[tuple[str, str]] = set()
    for (platform, account, setting), row in current.items():
        earlier = _earlier_states(db, platform, account, setting, run_id, same_group)
        state = State(row["state"])
        label = row["label"] or setting
        acct = account or None
        # What the run read before acting: `off` changed only a setting it read on, so a check and
        # an `off` run see the same drift (the off run's last word is off, with changed set).
        fixed = state == State.OFF and bool(row["changed"])
        read = State.ON if fixed else state
        again = "; optout switched it off again" if fixed else ""
        if earlier and read == State.ON and earlier[0] in _OFFISH:
            found.append(
                Drift(
                    "switched_on",
                    platform,
                    acct,
                    setting,
                    f"'{label}' was {earlier[0]} and is on again{again}",
                    fixed,
                )
            )
        if not earlier and _platform_seen_before(db, platform, account, run_id, same_group):
            found.append(
                Drift(
                    "new_setting",
                    platform,
                    acct,
                    setting,
                    f"new setting '{label}' appeared (now {read}{again})",
                    fixed,
                )
            )
        recent = [state, *earlier[: STREAK - 1]]
        if len(recent) == STREAK and all(s == State.BROKEN for s in recent):
            found.append(
                Drift(
                    "broken_streak",
                    platform,
                    acct,
                    setting,
                    f"'{label}' could not be read in the last {STREAK} runs "
                    "(the site changed; the flow needs an update)",
                )
            )
        unconfirmed = row["kind"] == Kind.SENT_UNCONFIRMED  # a form sent, not a sign-in
        if (
            len(recent) == STREAK
            and all(s in _LOGIN for s in recent)
            and setting != "guide"
            and not unconfirmed
            and (platform, account) not in login_flagged
        ):  # a guide's needs_human is no sign-in
            login_flagged.add((platform, account))  # one per account, not one per setting
            found.append(
                Drift(
                    "login_failing",
                    platform,
                    acct,
                    None,
                    f"sign-in failed in the last {STREAK} runs "
                    f"({', '.join(reversed([str(s) for s in recent]))})",
                )
            )
    return found


def _earlier_states(db, platform, account, setting, run_id, same_group) -> list[State]:
    """The state each earlier run last saw for this key, newest run first."""
    rows = db.execute(
        f"SELECT r.state FROM results r JOIN runs ON runs.id = r.run_id"
        f" WHERE r.platform = ? AND r.account = ? AND r.setting = ? AND r.run_id < ? AND {same_group}"
        f" AND r.id IN (SELECT max(id) FROM results WHERE platform = ? AND account = ? AND setting = ?"
        f"              GROUP BY run_id)"
        f" ORDER BY r.run_id DESC",
        (platform, account, setting, run_id, platform, account, setting),
    ).fetchall()
    return [State(r["state"]) for r in rows]


def _platform_seen_before(db, platform, account, run_id, same_group) -> bool:
    # Per account: adding a second account must not report all its settings as "new".
    return (
        db.execute(
            f"SELECT 1 FROM results r JOIN runs ON runs.id = r.run_id"
            f" WHERE r.platform = ? AND r.account = ? AND r.run_id < ? AND {same_group} LIMIT 1",
            (platform, account, run_id),
        ).fetchone()
        is not None
    )
