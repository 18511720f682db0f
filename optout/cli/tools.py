"""What optout supports, whether this machine is ready, and the replicas: platforms, doctor,
install-browser, sandbox."""

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
    from optout.textsafe import inert_all

    described = inert_all(catalog.catalogue())  # local flows and updates are written by strangers
    if state.as_json:
        click.echo(catalog.as_json(described))
    else:
        catalog.print_platforms(described)


@click.command()
@click.pass_obj
def doctor(state: CliState):
    """Check the browser, the keyring and the data folder, with fixes."""

    from optout.doctor import doctor_report

    lines = doctor_report(state.profile, state.browser_path, state.connect)
    if state.as_json:
        click.echo(json.dumps([line.__dict__ for line in lines], indent=2))
    else:
        from rich.console import Console

        from optout import render

        render.doctor(lines, Console())
    sys.exit(0 if all(line.ok for line in lines) else 1)


def _say(text: str) -> None:
    """Prose to stderr, wrapped to 80 columns (a long path keeps its own line)."""
    import textwrap

    click.echo(textwrap.fill(text, 79, break_long_words=False, break_on_hyphens=False), err=True)


def _at_terminal() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def _asked(yes: bool) -> bool:
    """--yes, or a person at a terminal who says yes; False without a terminal to ask on."""
    if yes:
        return True
    return _at_terminal() and click.confirm("Download it now?", default=False, err=True)


@click.command("install-browser")
@click.option(
    "--yes", "-y", is_flag=True, help="Download without asking, when a download is needed."
)
@click.option(
    "--bundled",
    is_flag=True,
    help="Install Playwright's Chromium even when another browser is found.",
)
@click.pass_obj
def install_browser(state: CliState, yes, bundled):
    """Use the Chrome, Edge or Chromium installed here, or download Playwright's
    Chromium (only when asked) with optout's own Python."""
    import shlex

    from optout import browserinstall
    from optout.browser import GIVE_ONE, system_install
    from optout.errors import OptoutError

    try:
        todo = browserinstall.plan(state.browser_path, bundled=bundled)
        if todo.found is not None:
            if state.as_json:
                click.echo(
                    json.dumps({"installed": False, "browser": todo.found.describe()}, indent=2)
                )
            _say(f"optout uses {todo.found.describe()}; nothing to install.")
            if todo.found.warning:
                _say(todo.found.warning)
            return
        first = "" if bundled else "No browser optout can use was found here. "
        _say(
            f"{first}Playwright's Chromium, a download of over 100 MB, would go to {todo.folder}, with:"
        )
        click.echo(f"  {shlex.join(todo.command)}", err=True)
        if not _asked(yes):
            raise OptoutError(
                "Nothing was downloaded: a download needs --yes, or a yes at a terminal.",
                f"Run `optout install-browser --yes` to download it, or {system_install()}, {GIVE_ONE}",
            )
        found = browserinstall.install(todo)
    except OptoutError as exc:  # said here, wrapped: the hints name paths and commands
        _say(f"Error: {exc.message}")
        if exc.hint:
            _say(exc.hint)
        sys.exit(exc.exit_code)
    if state.as_json:
        click.echo(
            json.dumps(
                {"installed": True, "folder": str(todo.folder), "browser": found.describe()},
                indent=2,
            )
        )
    _say(
        f"Playwright's Chromium is installed in {todo.folder}; optout uses it from now on. "
        "`optout doctor` checks that it starts."
    )


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
        raise click.BadParameter(
            f"no replica of {platform}; there are: {', '.join(sorted(box.replicas))}",
            param_hint="PLATFORM",
        )
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
        click.echo(
            json.dumps(
                {"platform": platform, "misbehaviours": sorted(set(misbehaviours))}, indent=2
            )
        )
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
        raise click.BadParameter(
            f"{platform}'s replica has no setting {setting}; it has: {', '.join(known)}",
            param_hint="SETTING",
        )
    box.data[platform]["settings"][setting] = value == "on"
    box.save()
    if state.as_json:
        click.echo(
            json.dumps({"platform": platform, "setting": setting, "on": value == "on"}, indent=2)
        )
    click.echo(f"{platform} replica: {setting} is now {value}", err=True)


COMMANDS = [platforms, doctor, install_browser, sandbox]
