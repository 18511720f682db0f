"""Flows and code cite sources a reader can follow (issue 24): public ones, or files in this
repository, never notes outside it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITED = [*ROOT.glob("flows/*.yaml"), *ROOT.glob("optout/**/*.py")]


def test_no_source_outside_the_repository():
    outside = re.compile(r"\.\./|/work/|research-languages\.md|research-consent\.md")
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in CITED
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if outside.search(line) and "#" in line
    ]
    assert found == []


def test_every_cited_research_file_exists():
    cited = {
        m
        for p in CITED
        for m in re.findall(r"docs/research/[\w.-]+\.md", p.read_text(encoding="utf-8"))
    }
    assert cited and all((ROOT / c).is_file() for c in cited), sorted(cited)
