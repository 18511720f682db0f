"""Issue 23, item 12: writing a report (`-o`) into a device or pipe writes into it, never replaces
it with a regular file; onto a symbolic link it refuses, and the link stays a link."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from optout.errors import OptoutError
from optout.paths import write_private


def test_a_pipe_is_written_into_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_private(fifo, b"<html>report</html>")
    reader.join(5)
    assert got == [b"<html>report</html>"]
    assert fifo.is_fifo()


def test_dev_null_stays_a_device(tmp_path):
    link = tmp_path / "null"
    link.symlink_to("/dev/null")  # as /dev/stdout is a link to /proc/self/fd/1
    write_private(link, b"x")
    assert link.is_symlink() and Path("/dev/null").is_char_device()


def test_a_symlink_to_a_file_is_refused_and_kept(tmp_path):
    real = tmp_path / "real.html"
    real.write_text("keep me")
    link = tmp_path / "report.html"
    link.symlink_to(real)
    with pytest.raises(OptoutError, match="symbolic link"):
        write_private(link, b"<html>report</html>")
    assert link.is_symlink() and real.read_text() == "keep me"


def test_a_regular_file_is_still_replaced_0600(tmp_path):
    path = tmp_path / "report.html"
    path.write_text("old")
    write_private(path, b"new")
    assert path.read_bytes() == b"new" and (path.stat().st_mode & 0o777) == 0o600


# Issue 23, item 15: a profile name that is a path is a usage error (2); a full disk at the run
# lock says so and what to do, not "unexpected OSError".


def test_a_profile_name_that_is_a_path_is_a_usage_error():
    from click.testing import CliRunner

    from optout.cli import cli

    result = CliRunner().invoke(cli, ["--profile", "../../etc", "status"])
    assert result.exit_code == 2, result.output
    assert "not a usable profile name" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("where", ["lock", "pid"])
def test_a_full_disk_at_the_run_lock_says_so(monkeypatch, where):
    import errno

    import filelock

    from optout import runlock
    from optout.paths import Profile

    full = OSError(errno.ENOSPC, "No space left on device")
    if where == "lock":
        monkeypatch.setattr(
            filelock.FileLock, "acquire", lambda self, *a, **k: (_ for _ in ()).throw(full)
        )
    else:
        monkeypatch.setattr(Path, "write_text", lambda self, *a, **k: (_ for _ in ()).throw(full))
    with pytest.raises(OptoutError) as caught:
        with runlock.run_lock(Profile("default")):
            pass
    assert "the disk is full" in caught.value.message and "Free some space" in (
        caught.value.hint or ""
    )
