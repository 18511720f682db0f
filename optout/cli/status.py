"""`optout status`: where each account and setting stands, from history alone (no browser)."""

from __future__ import annotations

import click

from optout.cli.common import CliState, echo_json, keep_sandbox


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
    for s in found:  # a sandbox profile's next steps keep --sandbox
        s.next = keep_sandbox(state, s.next) if s.next else s.next
    step = keep_sandbox(state, next_step(found) or "") or None
    # The profile's own name, as history and `profile list` say it (`sandbox-NAME` for --sandbox).
    if state.as_json:
        echo_json(
            {"profile": state.profile.name, "settings": [s.to_dict() for s in found], "next": step}
        )
        return
    from rich.console import Console

    render.status(
        found, step, state.profile.name, Console(), hint=lambda text: keep_sandbox(state, text)
    )


COMMANDS = [status]
