"""`optout demo`: the whole cycle (check → off → check) on the built-in replicas, with a throw-away
session key and no keyring, so it works on a fresh machine without any account."""

from __future__ import annotations

import sys

import click

from optout.cli.common import CliState, run_async
from optout.results import Result, run_exit_code
from optout.states import State


@click.command()
@click.option(
    "--misbehave",
    multiple=True,
    metavar="NAME",
    help="Make the replica misbehave (e.g. save_fails, two_factor); see `optout sandbox list`.",
)
@click.pass_obj
def demo(state: CliState, misbehave):
    """Run check → off → check on built-in replicas: see optout work without any account."""
    results = run_async(run_demo(state, misbehave))
    sys.exit(run_exit_code(results))


async def run_demo(state: CliState, misbehave=()) -> list[Result]:
    from cryptography.fernet import Fernet
    from rich.console import Console

    from optout import api, render, report
    from optout.credentials import Credential
    from optout.flowfile.layers import Layers, load_flows
    from optout.paths import Profile, write_private
    from optout.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME, Sandbox
    from optout.sessions import SessionStore

    out, err = Console(), Console(stderr=True)
    sandbox = Sandbox()
    platforms = list(sandbox.replicas)
    for name in platforms:
        sandbox.configure(name, *misbehave)
    profile = Profile("sandbox-demo").ensure()  # a replica world of its own
    sessions = SessionStore(profile, key=Fernet.generate_key())
    sessions.delete_all()  # sessions of an earlier demo were sealed with a key that is gone
    flows = load_flows(Layers.person())
    for (
        name
    ) in platforms:  # no password sign-in in the flow: start signed in, as after `optout login`
        if name in flows and flows[name].login and not flows[name].login.steps:
            sessions.save(name, SANDBOX_USERNAME, sandbox.replica(name).storage_state())
    opts = dict(
        credentials={name: Credential(SANDBOX_USERNAME, SANDBOX_PASSWORD) for name in platforms},
        setup_context=sandbox.install,
        sessions=sessions,
        profile=profile,
        headless=not state.headed,
        browser_path=state.browser_path,
        all_settings=True,
    )
    all_results = []
    steps = (
        ("1. Check (read only)", api.check),
        ("2. Switch off, then reload and verify", api.switch_off),
        ("3. Check again", api.check),
    )
    state.to_do[:] = [title for title, _ in steps]  # said if the demo is stopped (Ctrl-C)
    for title, fn in steps:
        if not state.as_json:
            err.print(f"[bold]{title}[/] on the built-in replicas of {len(platforms)} platforms…")
        with render.progress(err, platforms, not state.as_json) as advance:
            results = await fn(platforms, **opts, on_result=advance)
        all_results.append(results)
        state.to_do.remove(title)
        state.finished.append(title)
    if state.as_json:
        import json

        out.print_json(
            json.dumps(
                {
                    "check": [r.to_dict() for r in all_results[0]],
                    "off": [r.to_dict() for r in all_results[1]],
                    "verify": [r.to_dict() for r in all_results[2]],
                }
            )
        )
        return all_results[-1]
    page = profile.base / "report.html"
    write_private(page, report.html_report(profile, sample=True).encode("utf-8"))
    click.echo(summary(all_results[-1]))
    click.echo(f"Report (a sample, made on replicas): {page}")
    click.echo(NEXT_STEP, err=True)
    return all_results[-1]


#: The demo's last words: the next step on a real account, within 80 columns, saying what `off`
#: does in the person's name before they get there.
NEXT_STEP = (
    "Next, on your own account (after `optout account add linkedin`):\n"
    "optout check linkedin  # reads only; `off` sends objection forms in your name"
)


def summary(verified: list[Result]) -> str:
    """One line instead of three tables: what the final check found, counted."""
    off = sum(1 for r in verified if r.state == State.OFF)
    sent = sum(1 for r in verified if r.state == State.SUBMITTED)
    failed = sum(
        1 for r in verified if r.state not in (State.OFF, State.SUBMITTED, State.UNAVAILABLE)
    )
    return f"{off} switched off and verified, {sent} objections sent, {failed} failed."


COMMANDS = [demo]
