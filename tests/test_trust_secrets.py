"""Trust holes of issue 12: one scrub list, every encoding scrubbed, secrets that survive failures."""

from __future__ import annotations

import re
from pathlib import Path

from optout import logs, notify

SENTINEL = "S3ntinel&<>\"' %/pw"
OPTOUT = Path(__file__).resolve().parent.parent / "optout"


def test_one_private_writer_and_one_scrub_list():
    """The 0600 write lives only in paths.py; notify scrubs what logs was told of."""
    for path in OPTOUT.rglob("*.py"):
        if path.name == "paths.py" or "sandbox" in path.parts:
            continue
        text = path.read_text()
        assert not re.search(r"os\.open\(|0o600|\.chmod\(", text), path
    logs.register_secret("one-list-sentinel-9c1d")
    assert "one-list-sentinel-9c1d" not in notify.scrub("pw one-list-sentinel-9c1d")
    assert not hasattr(notify, "_SECRETS")
