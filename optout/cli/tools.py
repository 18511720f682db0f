"""What optout supports, whether this machine is ready, and the replicas: platforms, doctor, sandbox."""

from __future__ import annotations

import json
import sys

import click

from optout.cli.common import CliState


@click.command()
@click.pass_obj
def platforms(state: CliState):
    """What optout supports: each setting, what it means, where it applies."""
    from optout import catalog

    from optout.report import inert_all

    described = inert_all(catalog.catalogue())  # local flows and updates are written by strangers
    if state.as_json:
        click.echo(catalog.as_json(described))
    else:
        catalog.print_platforms(described)


@click.command()
@click.pass_obj
def doctor(state: CliState):
    """Check the browser, the keyring and the data folder, with fixes."""

    from optout.browser import doctor_report

    lines = doctor_report(state.profile, state.browser_path, state.connect)
    if state.as_json:
        click.echo(json.dumps([line.__dict__ for line in lines], indent=2))
    else:
        from rich.console import Console

        from optout import render

        render.doctor(lines, Console())
    sys.exit(0 if all(line.ok for line in lines) else 1)


@click.group()
def sandbox():
    """Set up the built-in replicas used by --sandbox runs (for trying optout and for tests)."""


@sandbox.command("list")
@click.pass_obj
def sandbox_list(state: CliState):
    """The misbehaviours a replica can be told to show."""
    import textwrap

    from optout.sandbox import MISBEHAVIOURS

    if state.as_json:
        click.echo(json.dumps([{"name": n, "what": w} for n, w in MISBEHAVIOURS.items()], indent=2))
        return
    for name, what in MISBEHAVIOURS.items():
        # a long name gets its own line; the text wraps under the column so lines fit 80
        first = f"{name:<16} " if len(name) < 17 else f"{name}\n{'':17}"
        click.echo(textwrap.fill(what, 80, initial_indent=first, subsequent_indent=" " * 17))


def _replica(box, platform: str):
    if platform not in box.replicas:
        raise click.BadParameter(f"no replica of {platform}; there are: {', '.join(sorted(box.replicas))}",
                                 param_hint="PLATFORM")
    return box.replica(platform)


@sandbox.command("set")
@click.argument("platform")
@click.argument("misbehaviours", nargs=-1)
@click.option("--keep-state", is_flag=True, help="Keep the replica's settings and sessions.")
@click.pass_obj
def sandbox_set(state: CliState, platform, misbehaviours, keep_state):
    """Reset a replica for `optout --sandbox` runs, with the given misbehaviours. Its account is
    demo@example.org with the password sandbox-demo-password."""
    from optout.sandbox import Sandbox

    box = Sandbox.for_profile(state.profile.name)
    _replica(box, platform)
    try:
        box.configure(platform, *misbehaviours, reset=not keep_state)
    except (KeyError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    if state.as_json:
        click.echo(json.dumps({"platform": platform, "misbehaviours": sorted(set(misbehaviours))}, indent=2))
    click.echo(f"{platform} replica: {', '.join(misbehaviours) or 'behaving'}", err=True)


@sandbox.command("flip")
@click.argument("platform")
@click.argument("setting")
@click.argument("value", type=click.Choice(["on", "off"]))
@click.pass_obj
def sandbox_flip(state: CliState, platform, setting, value):
    """Switch a replica's setting behind optout's back (as platforms do)."""
    from optout.sandbox import Sandbox

    box = Sandbox.for_profile(state.profile.name)
    known = sorted(_replica(box, platform).settings)
    if setting not in known:
        raise click.BadParameter(f"{platform}'s replica has no setting {setting}; it has: {', '.join(known)}",
                                 param_hint="SETTING")
    box.data[platform]["settings"][setting] = value == "on"
    box.save()
    if state.as_json:
        click.echo(json.dumps({"platform": platform, "setting": setting, "on": value == "on"}, indent=2))
    click.echo(f"{platform} replica: {setting} is now {value}", err=True)


COMMANDS = [platforms, doctor, sandbox]
