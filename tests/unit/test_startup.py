"""`optout platforms` starts quickly: the catalogue is cached by the flow files' content, so a run
after the first imports neither the flow schema (pydantic, yaml) nor logging (structlog) nor the
browser (playwright); a changed flow file, or a cache that cannot be read, means parsing again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from optout import catalog
from optout.paths import flows_dir

HEAVY = ("playwright", "pydantic", "yaml", "structlog", "rich")


def imported(*args: str) -> tuple[str, set[str]]:
    """(stdout, the top-level packages imported) of one `optout` process."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "optout", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=True,
        timeout=120,
    )
    names = {
        line.split("|")[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    return done.stdout, names


def test_platforms_json_never_imports_playwright_and_a_cached_run_parses_nothing(optout_home):
    first, cold = imported("platforms", "--json")
    assert "playwright" not in cold
    second, warm = imported("platforms", "--json")
    assert second == first
    assert not set(HEAVY) & warm, sorted(set(HEAVY) & warm)
    assert sorted(f["platform"] for f in json.loads(second)) == sorted(
        p.stem for p in flows_dir().glob("*.yaml")
    )


def test_cached_catalogue_is_what_parsing_shows(optout_home):
    parsed = catalog.describe(catalog.flows())
    assert catalog.catalogue() == parsed  # written
    assert catalog.catalogue() == parsed  # read back
    assert list(catalog.cache_dir().glob("catalogue-*.json"))


def test_a_changed_flow_file_changes_the_key(tmp_path):
    shutil.copy(flows_dir() / "linkedin.yaml", tmp_path)
    before = catalog.content_key(tmp_path)
    flow = tmp_path / "linkedin.yaml"
    flow.write_text(flow.read_text() + "\n# one more comment\n")
    assert catalog.content_key(tmp_path) != before


def test_an_unreadable_cache_falls_back_to_parsing(optout_home):
    parsed = catalog.describe(catalog.flows())
    path = catalog.cache_dir() / f"catalogue-{catalog.content_key()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    for garbage in ("{not json", '{"a": 1}', "[1, 2]"):
        path.write_text(garbage)
        assert catalog.catalogue() == parsed
