"""Packaging: the version has one source (optout/__init__.py), the second command says its own
name, and a schedule starts this install's optout."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from click.testing import CliRunner

import optout
from optout import schedule
from optout.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def test_version_is_written_once_and_shown():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    result = CliRunner().invoke(cli, ["--version"], prog_name="optout")
    assert result.exit_code == 0 and result.output == f"optout {optout.__version__}\n"


def test_the_second_command_is_named_as_called():
    script = ROOT / "build" / "optout-ai"  # never written: argv[0] is only read for its name
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.argv[0] = {str(script)!r}; from optout.cli import main; main()",
            "--version",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.stdout == f"optout-ai {optout.__version__}\n", done.stderr


def test_a_schedule_starts_this_installs_optout_not_the_first_on_path(monkeypatch, tmp_path):
    other = tmp_path / "elsewhere" / "optout"  # another project's `optout`, first on PATH
    other.parent.mkdir()
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    monkeypatch.setenv("PATH", str(other.parent))
    venv = tmp_path / "venv" / "bin"
    venv.mkdir(parents=True)
    monkeypatch.setattr(sys, "executable", str(venv / "python"))
    assert schedule.default_optout_cmd() == [str(venv / "python"), "-m", "optout"]
    (venv / ("optout.exe" if sys.platform.startswith("win") else "optout")).write_text("")
    assert schedule.default_optout_cmd() == [str(venv / "optout")]
