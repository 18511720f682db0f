"""`optout install-browser` decides without downloading: subprocess.run is replaced, and the
"installer" writes a fake Chromium where Playwright's would go."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from optout import browser
from optout.cli import cli, tools

INSTALLER = [sys.executable, "-m", "playwright", "install", "chromium"]


def fake_exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 1\n")
    path.chmod(0o755)
    return path


def put_bundled(registry: Path) -> None:
    """What `playwright install chromium` leaves: the browser and its headless shell."""
    revisions, key = browser._playwright_revisions(), browser._os_key()
    fake_exe(registry / f"chromium-{revisions['chromium']}" / browser._BUNDLED_EXES[key][0])
    shell = revisions["chromium-headless-shell"]
    fake_exe(registry / f"chromium_headless_shell-{shell}" / browser._SHELL_EXES[key][0])


@pytest.fixture
def machine(monkeypatch, tmp_path):
    """No browser anywhere; `runs` records each subprocess.run, `result` is what it returns. A
    `playwright` and `python` on PATH that fail: the installer must not be found through PATH."""
    registry = tmp_path / "ms-playwright"
    monkeypatch.delenv("OPTOUT_BROWSER", raising=False)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(registry))
    monkeypatch.setattr(browser, "system_candidates", lambda: [])
    for name in ("playwright", "python", "python3"):
        fake_exe(tmp_path / "other-bin" / name)
    monkeypatch.setenv("PATH", str(tmp_path / "other-bin"))
    state = {"runs": [], "rc": 0, "installs": True, "registry": registry}

    def run(cmd, **kw):
        state["runs"].append(cmd)
        if state["rc"] == 0 and state["installs"]:
            put_bundled(registry)
        return subprocess.CompletedProcess(cmd, state["rc"])

    monkeypatch.setattr(subprocess, "run", run)
    return state


def invoke(*args, answer=None):
    return CliRunner().invoke(cli, ["install-browser", *args], input=answer, catch_exceptions=False)


def test_an_installed_browser_is_used_and_nothing_is_downloaded(machine, monkeypatch, tmp_path):
    chrome = fake_exe(tmp_path / "usr" / "bin" / "google-chrome")
    monkeypatch.setattr(browser, "system_candidates", lambda: [str(chrome)])
    result = invoke("--yes")
    assert result.exit_code == 0, result.output
    assert f"optout uses {chrome} (system); nothing to install." in " ".join(result.output.split())
    assert machine["runs"] == []


def test_playwrights_chromium_already_there_is_used(machine):
    put_bundled(machine["registry"])
    result = invoke("--yes", "--bundled")
    assert result.exit_code == 0 and "Playwright Chromium (playwright-bundled)" in result.output
    assert machine["runs"] == []


def test_absent_without_a_terminal_or_yes_says_what_it_would_do_and_fails(machine):
    result = invoke()
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "No browser optout can use was found here." in out and str(machine["registry"]) in out
    assert " ".join(INSTALLER) in out  # the exact command, with optout's own Python
    assert "Nothing was downloaded" in out and "optout install-browser --yes" in out
    assert machine["runs"] == []


def test_absent_with_yes_runs_playwrights_installer_with_optouts_own_python(machine):
    result = invoke("--yes")
    assert result.exit_code == 0, result.output
    assert machine["runs"] == [
        INSTALLER
    ]  # sys.executable, never a `playwright` or `python` on PATH
    out = " ".join(result.output.split())
    assert f"Playwright's Chromium is installed in {machine['registry']}" in out
    assert browser.find_browser().source == "playwright-bundled"


@pytest.mark.parametrize("answer, runs", [("y\n", 1), ("n\n", 0), ("\n", 0)])
def test_at_a_terminal_the_person_is_asked(machine, monkeypatch, answer, runs):
    monkeypatch.setattr(tools, "_at_terminal", lambda: True)
    result = invoke(answer=answer)
    assert "Download it now?" in result.output
    assert len(machine["runs"]) == runs and result.exit_code == (0 if runs else 1)


def test_the_installer_failing_names_its_exit_and_the_next_step(machine):
    machine["rc"] = 3
    result = invoke("--yes")
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "Playwright's installer failed (exit 3)" in out and "optout install-browser --yes" in out
    assert "HTTPS_PROXY" in out


def test_the_installer_that_cannot_start_or_installs_nothing_is_said(machine, monkeypatch):
    machine["installs"] = False
    result = invoke("--yes")
    assert result.exit_code == 1 and "no Chromium for this Playwright is in" in " ".join(
        result.output.split()
    )

    def cannot(cmd, **kw):
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(subprocess, "run", cannot)
    result = invoke("--yes")
    assert result.exit_code == 1 and "could not start (No such file or directory)" in result.output


def test_a_wrong_optout_browser_is_said_not_papered_over_by_a_download(
    machine, monkeypatch, tmp_path
):
    monkeypatch.setenv("OPTOUT_BROWSER", str(tmp_path / "nope"))
    result = invoke("--yes")
    out = " ".join(result.output.split())
    assert result.exit_code == 1 and f"({tmp_path / 'nope'}) does not exist" in out
    assert machine["runs"] == []


def test_bundled_installs_even_beside_a_system_browser_and_json_says_so(
    machine, monkeypatch, tmp_path
):
    chrome = fake_exe(tmp_path / "usr" / "bin" / "chromium")
    monkeypatch.setattr(browser, "system_candidates", lambda: [str(chrome)])
    result = CliRunner().invoke(cli, ["--json", "install-browser", "--bundled", "--yes"])
    assert result.exit_code == 0 and machine["runs"] == [INSTALLER]
    said = json.loads(result.stdout)
    assert said["installed"] is True and said["folder"] == str(machine["registry"])


def test_every_message_fits_80_columns(machine):
    machine["rc"] = 1
    for result in (invoke(), invoke("--yes")):  # a line longer is a path alone
        assert all(len(line) <= 80 for line in result.output.splitlines() if " " in line.strip()), (
            result.output
        )
