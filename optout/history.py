"""SQLite record of every result, and drift between runs.

One database per profile (profile.history_db), WAL mode so a reader never blocks the run that is
writing, and one commit per result so a run killed at any moment (kill -9 included) loses at most
the results it had not yet recorded. The schema is versioned with `PRAGMA user_version` and an
ordered list of migrations, each applied in its own transaction.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime

from optout import drift as drift_mod
from optout.drift import STREAK, Drift
from optout.errors import OptoutError, ReplicaMix
from optout.historyschema import MIGRATIONS, SCHEMA_VERSION, busy, statements
from optout.historyschema import guarded as _guarded
from optout.historyschema import unusable as _unusable
from optout.paths import Profile, touch_private
from optout.results import Result
from optout.states import Kind, State

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "STREAK", "Drift", "History", "RunRecorder"]

RUN_KINDS = ("check", "off", "demo", "scheduled")


def _now() -> str:
    return _iso(datetime.now(UTC))


def _iso(at: datetime) -> str:
    """UTC, fixed width, so text comparison in SQL orders like time."""
    if at.tzinfo is None:
        at = at.astimezone()  # a naive time is the machine's local time
    return at.astimezone(UTC).isoformat(timespec="microseconds")


class History:
    """The results of every run of one profile. Use as a context manager, or call close().

    `read_only=True` opens an existing history without creating, migrating or locking anything,
    for listing and deleting profiles (there only the reading methods work)."""

    def __init__(self, profile: Profile, *, read_only: bool = False):
        self.profile = profile
        if read_only:
            self.path = profile.history_db
            try:
                self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
            except sqlite3.Error as exc:
                raise _unusable(self.path, exc) from None
            self.db.row_factory = sqlite3.Row
            return
        self.path = profile.ensure().history_db
        try:
            touch_private(self.path)  # SQLite gives the -wal/-shm files the same mode
        except OSError as exc:  # a folder in its place, no permission
            raise _unusable(self.path, exc) from None
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        except sqlite3.Error as exc:
            raise _unusable(self.path, exc) from None
        try:
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA busy_timeout = 10000")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except OptoutError:
            self.db.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.db.close()
            if isinstance(exc, sqlite3.OperationalError) and busy(exc):
                raise OptoutError(
                    f"The history file {self.path} is locked by another program.",
                    "Wait for the other optout run to finish, then try again.",
                ) from None
            raise _unusable(self.path, exc) from None

    def _rollback(self) -> None:
        """Undo an open transaction, keeping the error that ended it: SQLite may have rolled back
        by itself (a full disk does), and a second ROLLBACK would hide the cause."""
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    # -- schema -----------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise OptoutError(
                f"The history in {self.path} was written by a newer optout "
                f"(schema {version}, this optout knows {SCHEMA_VERSION}).",
                "Upgrade optout (`uv tool upgrade optout-ai`, `pipx upgrade optout-ai`), or use another --profile.",
            )
        for number in range(version, SCHEMA_VERSION):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for statement in statements(MIGRATIONS[number]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")
                self.db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    # -- writing ----------------------------------------------------------------------------

    @_guarded
    def start_run(self, kind: str) -> int:
        if kind not in RUN_KINDS:
            raise ValueError(f"run kind must be one of {RUN_KINDS}, not {kind!r}")
        cur = self.db.execute(
            "INSERT INTO runs (kind, profile, started_at) VALUES (?, ?, ?)",
            (kind, self.profile.name, _now()),
        )
        return int(cur.lastrowid)

    @_guarded
    def record(self, run_id: int, result: Result) -> None:
        """Store one result, committed at once (autocommit) so a crash keeps it."""
        self.db.execute(
            "INSERT INTO results (run_id, profile, platform, account, setting, label, state, changed,"
            " detail, evidence, flow_version, flow_source, at, kind)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                self.profile.name,
                result.platform,
                result.account or "",
                result.setting,
                result.label or "",
                str(State(result.state)),
                int(bool(result.changed)),
                result.detail or "",
                json.dumps([str(p) for p in result.evidence]),
                int(result.flow_version or 0),
                result.flow_source or "shipped",
                _iso(result.at),
                str(result.kind or ""),
            ),
        )

    @_guarded
    def discard_run(self, run_id: int) -> None:
        """Take a run that was stopped half-way out of the history, with its results."""
        self.db.execute("DELETE FROM drift WHERE run_id = ?", (run_id,))
        self.db.execute("DELETE FROM results WHERE run_id = ?", (run_id,))
        self.db.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    @_guarded
    def finish_run(self, run_id: int) -> None:
        self.db.execute("UPDATE runs SET finished_at = ? WHERE id = ?", (_now(), run_id))

    # -- reading ----------------------------------------------------------------------------

    @_guarded
    def runs(self, limit: int = 50) -> list[dict]:
        rows = self.db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [dict(r) for r in rows]

    @_guarded
    def timeline(self, platform: str | None = None, since: datetime | None = None) -> list[dict]:
        """Every recorded result, oldest first."""
        sql = "SELECT r.*, runs.kind AS run_kind FROM results r JOIN runs ON runs.id = r.run_id WHERE 1=1"
        args: list = []
        if platform:
            sql += " AND r.platform = ?"
            args.append(platform)
        if since:
            sql += " AND r.at >= ?"
            args.append(_iso(since))
        rows = self.db.execute(sql + " ORDER BY r.at, r.id", args).fetchall()
        return [_row(r) for r in rows]

    @_guarded
    def latest(self, platform: str | None = None) -> list[dict]:
        """The most recent result of every (platform, account, setting)."""
        sql = (
            "SELECT r.*, runs.kind AS run_kind FROM results r JOIN runs ON runs.id = r.run_id"
            " WHERE r.id IN (SELECT max(id) FROM results GROUP BY platform, account, setting)"
        )
        args: list = []
        if platform:
            sql += " AND r.platform = ?"
            args.append(platform)
        rows = self.db.execute(sql + " ORDER BY r.platform, r.account, r.setting", args).fetchall()
        return [_row(r) for r in rows]

    @_guarded
    def drift_log(self, since: datetime | None = None, platform: str | None = None) -> list[dict]:
        """Drift stored by earlier drift() calls, with when its run started."""
        sql = "SELECT d.*, runs.started_at AS at FROM drift d JOIN runs ON runs.id = d.run_id WHERE 1=1"
        args: list = []
        if since:
            sql += " AND runs.started_at >= ?"
            args.append(_iso(since))
        if platform:
            sql += " AND d.platform = ?"
            args.append(platform)
        rows = self.db.execute(sql + " ORDER BY d.run_id, d.id", args).fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d.pop("id")
            d["account"] = d["account"] or None
            d["setting"] = d["setting"] or None
            d["fixed"] = bool(d["fixed"])
            out.append(d)
        return out

    # -- drift ------------------------------------------------------------------------------

    @_guarded
    def drift(self, run_id: int) -> list[Drift]:
        """Compare run `run_id` with the earlier runs (optout.drift), store what needs attention
        and return it. Calling it twice replaces, not adds."""
        found = drift_mod.find(self.db, run_id)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("DELETE FROM drift WHERE run_id = ?", (run_id,))
            self.db.executemany(
                "INSERT INTO drift (run_id, kind, platform, account, setting, detail, fixed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        d.kind,
                        d.platform,
                        d.account or "",
                        d.setting or "",
                        d.detail,
                        int(d.fixed),
                    )
                    for d in found
                ],
            )
            self.db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return found

    @_guarded
    def finished_runs(self) -> set[int]:
        """The ids of runs that finished (a run cut short by a crash has no finished_at)."""
        return {r[0] for r in self.db.execute("SELECT id FROM runs WHERE finished_at IS NOT NULL")}

    @_guarded
    def last_started(self) -> str | None:
        """When the latest run started (ISO time, UTC); None when there was none."""
        return self.db.execute("SELECT max(started_at) FROM runs").fetchone()[0]

    @_guarded
    def accounts(self) -> set[tuple[str, str]]:
        """Every (platform, account) a result was recorded for ('' for a platform's only account)."""
        return {
            (r[0], r[1]) for r in self.db.execute("SELECT DISTINCT platform, account FROM results")
        }

    # -- lifetime ---------------------------------------------------------------------------

    @_guarded
    def last_sent(self, platform: str, account: str | None, setting: str) -> dict | None:
        """The latest result saying a form went out: `submitted`, or sent without a recognised
        confirmation (kind sent_unconfirmed). None: never sent."""
        row = self.db.execute(
            "SELECT * FROM results WHERE platform = ? AND account = ? AND setting = ?"
            " AND (state = ? OR kind = ?) ORDER BY id DESC LIMIT 1",
            (platform, account or "", setting, str(State.SUBMITTED), str(Kind.SENT_UNCONFIRMED)),
        ).fetchone()
        return _row(row) if row else None

    @_guarded
    def evidence_rows(self) -> list[dict]:
        """Every result's platform, account, setting, state, changed and evidence paths, grouped by
        setting and oldest first (what evidence retention decides on)."""
        rows = self.db.execute(
            "SELECT platform, account, setting, state, changed, evidence FROM results"
            " ORDER BY platform, account, setting, id"
        ).fetchall()
        return [dict(r, evidence=json.loads(r["evidence"] or "[]")) for r in rows]

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class RunRecorder:
    """One run's recording, for a command to pass as the engine's `on_result` callback.

        with RunRecorder(profile, "check") as rec:
            results = await api.check(..., on_result=rec)
        rec.drift  # what needs attention, also stored

    Each result is committed as it arrives; a run that ends in an exception stays unfinished
    (finished_at NULL) and gets no drift, which is what a later reader should see. A run that was
    stopped (Ctrl-C, SIGTERM, a closed terminal: cancelled) is taken out altogether: its results
    may read "the browser closed", which is not what the platform said. So is a run the sandbox
    replicas refused to serve (ReplicaMix): it recorded in a real profile.
    """

    def __init__(self, profile: Profile, kind: str):
        self.history = History(profile)
        self.run_id = self.history.start_run(kind)
        self.drift: list[Drift] = []

    def __call__(self, result: Result) -> None:
        self.history.record(self.run_id, result)

    def __enter__(self) -> RunRecorder:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        try:
            if exc_type is None:
                self.history.finish_run(self.run_id)
                self.drift = self.history.drift(self.run_id)
            elif issubclass(exc_type, (KeyboardInterrupt, asyncio.CancelledError, ReplicaMix)):
                self.history.discard_run(
                    self.run_id
                )  # ReplicaMix: no replica's word in real history
        finally:
            self.history.close()


def _row(r: sqlite3.Row) -> dict:
    d = dict(r)
    d.pop("id", None)
    d["account"] = d["account"] or None
    d["changed"] = bool(d["changed"])
    d["evidence"] = json.loads(d["evidence"] or "[]")
    if "kind" in d:
        d["kind"] = Kind(d["kind"]) if d["kind"] else None
    return d
