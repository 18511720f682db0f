"""What every command shares: the state the root hands down, help texts, and small helpers.

Command modules import from here, never from `optout.cli` itself, so there is no import circle.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import click

from optout.paths import Profile
from optout.states import EXPLANATIONS, State

STATE_HELP = "\n".join(f"  {s.value:<12} {EXPLANATIONS[s]}" for s in State)
STATES_EPILOG = f"\b\nStates:\n{STATE_HELP}"
EXIT_HELP = """Exit codes: 0 everything off, unavailable or submitted; 3 something is on;
4 a person is needed (sign-in, code, security check); 5 a flow no longer matches
its site; 1 other errors; 2 usage errors."""

platforms_arg = click.argument("platforms", nargs=-1, metavar="[PLATFORM]...")


@dataclass
class CliState:
    """The global options, as every command sees them."""

    profile: Profile = field(default_factory=Profile)
    as_json: bool = False
    verbose: int = 0
    headed: bool = False
    browser_path: str | None = None
    sandbox: bool = False

    @property
    def person(self) -> str:
        """The profile name as the person typed it (sandbox runs use a `sandbox-` twin)."""
        return self.profile.name.removeprefix("sandbox-") if self.sandbox else self.profile.name


def run_async(coro):
    import asyncio  # not at the top: `optout --help` stays fast

    return asyncio.run(coro)


def stderr():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def sandbox_opts(state: CliState) -> dict:
    """What an API call needs to run against the replicas instead of the real sites."""
    if not state.sandbox:
        return {}
    from optout.sandbox import Sandbox

    sandbox = Sandbox.for_profile(state.profile.name)
    return {"setup_context": sandbox.install}


def write_page(page: str, output: str | None, default: str) -> Path | None:
    """Write an HTML page readable by its owner only (it names accounts); '-' prints it instead."""
    if output == "-":
        click.echo(page)
        return None
    path = Path(output or default)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(page)
    return path


def echo_json(data) -> None:
    """Stable JSON for scripts on stdout: sorted keys, inert text."""
    from optout.render import json_text

    click.echo(json_text(data))
