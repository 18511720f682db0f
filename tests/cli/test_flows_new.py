"""`optout flows new ID` in a copy of the repository: the flow it writes loads, and the test it
writes passes against the replica it writes, through real Chromium, in a pytest of that copy (so
the three files agree as scaffolded). Refusals change nothing and say what to do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from optout.cli import cli
from optout.flowfile.load import load_flow

ROOT = Path(__file__).resolve().parents[2]


def copy_of_repository(to: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("optout", "flows"):
        shutil.copytree(ROOT / name, to / name, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", to)
    (to / "tests" / "flows").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "conftest.py", to / "tests")
    return to


def test_a_scaffolded_platform_passes_its_own_test_through_chromium(tmp_path, browser_path):
    repo = copy_of_repository(tmp_path / "optout")
    done = CliRunner().invoke(
        cli,
        [
            "--json",
            "flows",
            "new",
            "acme-chat",
            "--domain",
            "acme.example",
            "--name",
            "Acme Chat",
            "--into",
            str(repo),
        ],
    )
    assert done.exit_code == 0, done.output
    files = {k: Path(v) for k, v in json.loads(done.output).items()}
    assert files == {
        "flow": repo / "flows" / "acme-chat.yaml",
        "replica": repo / "optout" / "sandbox" / "acme_chat.py",
        "test": repo / "tests" / "flows" / "test_acme_chat.py",
    }
    flow = load_flow(files["flow"])
    assert (flow.id, flow.name, flow.domains, [s.id for s in flow.settings]) == (
        "acme-chat",
        "Acme Chat",
        ["acme.example"],
        ["ai-training"],
    )
    env = {**os.environ, "OPTOUT_BROWSER": browser_path}
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "0", "-q", "tests/flows/test_acme_chat.py"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ran.returncode == 0 and "3 passed" in ran.stdout, ran.stdout[-3000:] + ran.stderr[-2000:]


def test_a_taken_id_or_a_folder_that_is_no_clone_is_refused_with_nothing_written(tmp_path):
    taken = CliRunner().invoke(
        cli, ["flows", "new", "linkedin", "--domain", "linkedin.com", "--into", str(ROOT)]
    )
    assert taken.exit_code != 0 and "linkedin exists already: flows/linkedin.yaml" in taken.output
    assert "Pick another id" in taken.output
    empty = CliRunner().invoke(
        cli, ["flows", "new", "acme", "--domain", "acme.example", "--into", str(tmp_path)]
    )
    assert empty.exit_code != 0 and "is not a clone of optout's repository" in empty.output
    assert list(tmp_path.iterdir()) == []
    suffix = CliRunner().invoke(
        cli, ["flows", "new", "acme", "--domain", "co.uk", "--into", str(ROOT)]
    )
    assert suffix.exit_code != 0 and "public suffix" in suffix.output
    assert not (ROOT / "flows" / "acme.yaml").exists()
