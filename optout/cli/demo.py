"""`optout demo`: the whole cycle (check → off → check) on the built-in replicas, with a throw-away
session key and no keyring, so it works on a fresh machine without any account."""

from __future__ import annotations

import sys

import click

from optout.cli.common import CliState, run_async
from optout.results import Result, run_exit_code


@click.command()
@click.option("--misbehave", multiple=True, metavar="NAME",
              help="Make the replica misbehave (e.g. save_fails, two_factor); see `optout sandbox list`.")
@click.pass_obj
def demo(state: CliState, misbehave):
    """Run check → off → check on built-in replicas: see optout work without any account."""
    results = run_async(run_demo(state, misbehave))
    sys.exit(run_exit_code(results))


async def run_demo(state: CliState, misbehave=()) -> list[Result]:
    from cryptography.fernet import Fernet
    from rich.console import Console

    from optout import api, report
    from optout.credentials import Credential
    from optout.flowspec import load_flows
    from optout.paths import Profile
    from optout.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME, Sandbox
    from optout.sessions import SessionStore

    out, err = Console(), Console(stderr=True)
    sandbox = Sandbox()
    platforms = list(sandbox.replicas)
    for name in platforms:
        sandbox.configure(name, *misbehave)
    profile = Profile("demo").ensure()
    sessions = SessionStore(profile, key=Fernet.generate_key())
    sessions.delete_all()  # sessions of an earlier demo were sealed with a key that is gone
    flows = load_flows()
    for name in platforms:  # no password sign-in in the flow: start signed in, as after `optout login`
        if name in flows and flows[name].login and not flows[name].login.steps:
            sessions.save(name, SANDBOX_USERNAME, sandbox.replica(name).storage_state())
    opts = dict(
        credentials={name: Credential(SANDBOX_USERNAME, SANDBOX_PASSWORD) for name in platforms},
        setup_context=sandbox.install, sessions=sessions,
        profile=profile, headless=not state.headed, browser_path=state.browser_path, all_settings=True,
    )
    all_results = []
    steps = (("1. Check (read only)", api.check), ("2. Switch off, then reload and verify", api.switch_off),
             ("3. Check again", api.check))
    state.to_do[:] = [title for title, _ in steps]  # said if the demo is stopped (Ctrl-C)
    for title, fn in steps:
        if not state.as_json:
            err.print(f"[bold]{title}[/] on the built-in replicas of {', '.join(platforms)}…")
        results = await fn(platforms, **opts)
        all_results.append(results)
        state.to_do.remove(title)
        state.finished.append(title)
        if not state.as_json:
            report.results_table(results, out, title=title)
    if state.as_json:
        import json

        out.print_json(json.dumps({"check": [r.to_dict() for r in all_results[0]],
                                   "off": [r.to_dict() for r in all_results[1]],
                                   "verify": [r.to_dict() for r in all_results[2]]}))
    else:
        err.print(f"Evidence (screenshots of each setting before and after) is in {profile.evidence}")
        err.print("Next, for your own accounts: optout account add linkedin, then optout off linkedin")
    return all_results[-1]


COMMANDS = [demo]
