"""The history database's schema and how its SQLite errors are said: the ordered migrations
(`PRAGMA user_version` counts those applied) and the translation of an SQLite error, by its code,
into what a person can do about it."""

from __future__ import annotations

import errno
import functools
import shutil
import sqlite3
from pathlib import Path

from optout.errors import OptoutError
from optout.paths import folder_error

#: MIGRATIONS[i] takes the schema from version i to i + 1. Append only; never edit a shipped one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('check', 'off', 'demo', 'scheduled')),
        profile TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT
    );
    CREATE TABLE results (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        profile TEXT NOT NULL,
        platform TEXT NOT NULL,
        account TEXT NOT NULL DEFAULT '',
        setting TEXT NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL,
        changed INTEGER NOT NULL DEFAULT 0,
        detail TEXT NOT NULL DEFAULT '',
        evidence TEXT NOT NULL DEFAULT '[]',
        flow_version INTEGER NOT NULL DEFAULT 0,
        at TEXT NOT NULL
    );
    CREATE TABLE drift (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        kind TEXT NOT NULL,
        platform TEXT NOT NULL,
        account TEXT NOT NULL DEFAULT '',
        setting TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT ''
    );
    """,
    """
    CREATE INDEX results_key ON results (platform, account, setting, id);
    CREATE INDEX results_run ON results (run_id);
    CREATE INDEX drift_run ON drift (run_id);
    """,
    # Which flow read a result: shipped, the person's local flow, or a signed update.
    """
    ALTER TABLE results ADD COLUMN flow_source TEXT NOT NULL DEFAULT 'shipped';
    """,
    # Drift an `off` run found and put right in the same run (a setting switched back on, off again).
    """
    ALTER TABLE drift ADD COLUMN fixed INTEGER NOT NULL DEFAULT 0;
    """,
    # The kind of a result within its state (optout.states.Kind; '' for none). Before it, a form
    # sent without a recognised confirmation was told only by its detail's first words: read here,
    # once, and never again.
    """
    ALTER TABLE results ADD COLUMN kind TEXT NOT NULL DEFAULT '';
    UPDATE results SET kind = 'sent_unconfirmed'
        WHERE state = 'needs_human' AND substr(detail, 1, 16) = 'sent unconfirmed';
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _code(exc: Exception) -> int | None:
    """The primary SQLite result code of an error (sqlite3.SQLITE_BUSY…), or None."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


#: SQLite's codes for a folder or disk that cannot be written, as the OS error they amount to.
_FOLDER_FAILURES = {
    sqlite3.SQLITE_FULL: errno.ENOSPC,
    sqlite3.SQLITE_READONLY: errno.EACCES,
    sqlite3.SQLITE_CANTOPEN: errno.EACCES,
}


def _disk_full(folder: Path) -> bool:
    """Whether the disk of `folder` has (almost) no room left: then a failure is the disk's."""
    try:
        return shutil.disk_usage(folder).free < 256 * 1024
    except OSError:
        return False


def busy(exc: Exception) -> bool:
    """Whether another connection holds the database (SQLITE_BUSY, SQLITE_LOCKED)."""
    return _code(exc) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def unusable(path: Path, exc: Exception) -> OptoutError:
    """A folder that cannot be written is said as such; a damaged file is kept, never set aside:
    a new empty history would lose the evidence of every earlier run."""
    code = exc.errno if isinstance(exc, OSError) else _FOLDER_FAILURES.get(_code(exc))
    if code is None and _disk_full(path.parent):  # SQLite says "disk I/O error" for some full disks
        code = errno.ENOSPC
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR):
        return folder_error(OSError(code, str(exc)), path.parent)
    return OptoutError(
        f"The history file {path} cannot be read ({exc}).",
        "Keep the file: it holds the evidence of every earlier run, and optout records nothing until it "
        f"can read it. Restore it from a backup, or rescue its rows with `sqlite3 '{path}' .recover`.",
    )


def guarded(method):
    """Turn a damaged database met mid-use into the same clear error as at open."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and busy(exc):
                raise OptoutError(
                    f"The history file {self.path} is busy ({exc}).",
                    "Another optout run is using it; wait for it to finish.",
                ) from None
            if isinstance(exc, (sqlite3.IntegrityError, sqlite3.ProgrammingError)):
                raise
            raise unusable(self.path, exc) from None

    return wrapper
