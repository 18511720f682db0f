"""`optout status`: where each account and setting stands, from history alone (no browser)."""

from __future__ import annotations

import click

from optout.cli.common import CliState, echo_json


def has_anything(state: CliState) -> bool:
    """Whether the profile has accounts or history, so bare `optout` shows status, not help."""
    from optout.credentials import AccountStore

    return state.profile.history_db.exists() or bool(AccountStore(state.profile).list())


@click.command()
@click.pass_obj
def status(state: CliState):
    """Where you stand, without starting a browser: every account and setting, its last state, when
    it was read, what drifted, and the one command to run next."""
    from optout import render
    from optout.status import next_step, standing

    found = standing(state.profile)
    step = next_step(found)
    if state.as_json:
        echo_json({"profile": state.person, "settings": [s.to_dict() for s in found], "next": step})
        return
    from rich.console import Console

    render.status(found, step, state.person, Console())


COMMANDS = [status]
