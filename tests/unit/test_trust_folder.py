"""A failing data folder (issue 12.11): disk full, read-only, a file in its place. optout names the
folder, the cause and the next step, with no traceback and no "please report it"; doctor checks it."""

from __future__ import annotations

import errno
import sqlite3

import pytest
from click.testing import CliRunner

from optout import paths
from optout.cli import cli
from optout.doctor import doctor_report
from optout.errors import OptoutError
from optout.history import History
from optout.paths import Profile


def invoke(*args, input=None):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    assert "Traceback" not in result.output and "please report" not in result.output, result.output
    return result


def test_optout_home_that_is_a_file(optout_home):
    optout_home.parent.mkdir(parents=True, exist_ok=True)
    optout_home.write_text("not a folder")
    result = invoke("account", "add", "linkedin", input="alice\npw-sentinel-1\n")
    assert result.exit_code == 1, result.output
    assert str(optout_home) in result.output and "not a folder" in result.output, result.output
    assert "OPTOUT_HOME" in result.output, result.output
    with pytest.raises(OptoutError, match="not a folder"):
        History(Profile())
    [line] = [ln for ln in doctor_report(Profile()) if ln.name == "data dir writable"]
    assert not line.ok and "not a folder" in line.value and line.fix


@pytest.mark.parametrize(
    "code, cause",
    [(errno.ENOSPC, "disk is full"), (errno.EROFS, "read-only"), (errno.EACCES, "permission")],
)
def test_a_folder_that_cannot_be_written(optout_home, monkeypatch, code, cause):
    def refuse(*args, **kwargs):
        raise OSError(code, "refused by the test")

    Profile().ensure()
    monkeypatch.setattr(paths.tempfile, "mkstemp", refuse)
    result = invoke("account", "add", "linkedin", input="alice\npw-sentinel-2\n")
    assert result.exit_code == 1, result.output
    assert str(Profile().base) in result.output and cause in result.output, result.output
    monkeypatch.setattr(paths.tempfile, "TemporaryFile", refuse)
    [line] = [ln for ln in doctor_report(Profile()) if ln.name == "data dir writable"]
    assert not line.ok and cause in line.value


def test_doctor_says_a_writable_folder_is_writable(optout_home):
    [line] = [ln for ln in doctor_report(Profile()) if ln.name == "data dir writable"]
    assert line.ok
    Profile().ensure()
    [line] = [ln for ln in doctor_report(Profile()) if ln.name == "data dir writable"]
    assert line.ok and list(optout_home.iterdir()) == [optout_home / "profiles"]


def test_a_full_disk_under_the_history_is_not_a_damaged_file(optout_home, monkeypatch):
    Profile().ensure()
    real = sqlite3.connect

    def full(*args, **kwargs):
        exc = sqlite3.OperationalError("database or disk is full")
        exc.sqlite_errorcode, exc.sqlite_errorname = sqlite3.SQLITE_FULL, "SQLITE_FULL"
        raise exc

    monkeypatch.setattr(sqlite3, "connect", full)
    with pytest.raises(OptoutError) as info:
        History(Profile())
    text = str(info.value)
    assert str(Profile().base) in text and "disk is full" in text and "aside" not in text
    monkeypatch.setattr(sqlite3, "connect", real)
    Profile().history_db.write_bytes(b"not sqlite at all " * 300)
    with pytest.raises(OptoutError) as info:
        History(Profile())
    assert str(Profile().history_db) in str(info.value) and "aside" not in str(info.value)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KB file system (tmpfs), where root may mount one: a disk that fills for real."""
    import os
    import shutil
    import subprocess

    where = tmp_path / "tiny"
    where.mkdir()
    if (
        os.geteuid() != 0
        or not shutil.which("mount")
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)],
            capture_output=True,
            check=False,
        ).returncode
    ):
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_history_on_a_disk_that_fills_says_the_disk_is_full(tiny_disk, monkeypatch):
    """Issue 23.15: SQLite rolls back by itself on a full disk; optout's own ROLLBACK then failed
    ("no transaction is active") and the message said to restore the history from a backup."""
    monkeypatch.setenv("OPTOUT_HOME", str(tiny_disk / "home"))
    with pytest.raises(OptoutError) as info:
        with History(Profile()) as history:
            history.start_run("check")
    text = f"{info.value.message} {info.value.hint}"
    assert "disk is full" in text and "backup" not in text and "cannot be read" not in text, text
    result = invoke("history")
    assert (
        result.exit_code == 1 and "disk is full" in result.output and "backup" not in result.output
    )


def test_a_disk_io_error_on_a_full_disk_names_the_disk(optout_home, monkeypatch):
    """SQLite reports some full disks as "disk I/O error": the free space decides."""
    import shutil

    Profile().ensure()

    def io_error(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(sqlite3, "connect", io_error)
    monkeypatch.setattr(
        shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9, 0)
    )
    with pytest.raises(OptoutError) as info:
        History(Profile())
    assert "disk is full" in info.value.message and "backup" not in info.value.hint
    monkeypatch.setattr(
        shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 0, 10**9)
    )
    with pytest.raises(OptoutError) as info:
        History(Profile())
    assert "cannot be read" in info.value.message  # room on the disk: the file is what failed
