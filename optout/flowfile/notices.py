"""Warnings about flows that are not used (a local flow others could write, an update that no longer
verifies): kept for `optout platforms --json` and said once per command on stderr."""

from __future__ import annotations

import sys

#: Warnings of the last layered load (also printed on stderr once per process).
last_warnings: list[str] = []
_said: set[str] = set()


def warn(message: str) -> None:
    if message not in last_warnings:
        last_warnings.append(message)
    if message not in _said:
        _said.add(message)
        try:
            sys.stderr.write(f"Warning: {message}\n")
        except OSError:  # pragma: no cover - no terminal left
            pass


def said_again() -> None:
    """Let the warnings be said again (a new command in the same process)."""
    _said.clear()
