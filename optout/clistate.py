"""What the root command hands to every sub-command (kept apart so command modules avoid import cycles)."""

from __future__ import annotations

from dataclasses import dataclass

from optout.paths import Profile


@dataclass
class CliState:
    profile: Profile
    as_json: bool = False
    verbose: int = 0
    headed: bool = False
    browser_path: str | None = None
    sandbox: bool = False
