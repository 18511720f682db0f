"""One run at a time per profile: a scheduled run and a manual one never overlap."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from optout.errors import OptoutError
from optout.paths import Profile, folder_error


@contextmanager
def run_lock(profile: Profile) -> Iterator[None]:
    """Hold the profile's run lock: a scheduled run and a manual one never overlap.

    The lock is an OS file lock, so a run that is killed releases it at once.
    """
    profile.ensure()
    lock = FileLock(str(profile.base / "run.lock"), timeout=0)
    pid_file = profile.base / "run.pid"
    try:
        lock.acquire()
    except Timeout:
        try:
            pid = pid_file.read_text().strip() or "unknown"
        except OSError:
            pid = "unknown"
        raise OptoutError(
            f"another optout run is in progress (pid {pid}).",
            "Wait for it to finish and try again; scheduled runs take the same lock.",
        ) from None
    except OSError as exc:  # the disk is full, read-only, ...: say which and what to do (after Timeout, itself an OSError)
        raise folder_error(exc, profile.base) from None
    try:
        try:
            pid_file.write_text(str(os.getpid()))
        except OSError as exc:
            raise folder_error(exc, profile.base) from None
        yield
    finally:
        pid_file.unlink(missing_ok=True)
        lock.release()
