"""The command line: parse, call the API, render. Nothing else lives here.

This module holds the root group and main(); the commands live in the modules beside it (run,
accounts, tools, watch, people, demo), which import optout.cli.common and never this module.
"""

from __future__ import annotations

import os
import sys

import click

from optout.cli import accounts, demo, people, run, tools, watch
from optout.cli.common import EXIT_HELP, STATE_HELP, CliState
from optout.errors import OptoutError
from optout.paths import DEFAULT_PROFILE, Profile, check_profile_name


class OptoutGroup(click.Group):
    """Turns expected failures into a message with its next step and the right exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OptoutError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            if exc.hint:
                click.echo(exc.hint, err=True)
            ctx.exit(exc.exit_code)


@click.group(
    cls=OptoutGroup,
    epilog=f"\b\nStates:\n{STATE_HELP}\n\n\b\n{EXIT_HELP}",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="optout")
@click.option("--profile", envvar="OPTOUT_PROFILE", default=DEFAULT_PROFILE, show_default=True,
              help="Whose accounts: keeps each person's accounts, sessions and history apart.")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON on stdout.")
@click.option("--headed", is_flag=True, envvar="OPTOUT_HEADED", help="Show the browser window while it works.")
@click.option("--browser-path", envvar="OPTOUT_BROWSER", metavar="PATH",
              help="Chromium/Chrome to use (default: Playwright's, else one found on the system).")
@click.option("--log-format", type=click.Choice(["auto", "console", "json"]), default="auto",
              envvar="OPTOUT_LOG_FORMAT", show_default=True, help="Log lines on stderr.")
@click.option("-v", "--verbose", count=True, help="More detail on stderr (-vv for debug).")
@click.option("--sandbox", is_flag=True, envvar="OPTOUT_SANDBOX",
              help="Run against optout's built-in replicas of the platforms, never the real sites.")
@click.pass_context
def cli(ctx, profile, as_json, headed, browser_path, log_format, verbose, sandbox):
    """Find the settings that let platforms train AI on your accounts, switch them off, and
    prove it.

    \b
    Get started:
      optout demo                      see it work on built-in replicas, no account needed
      optout account add linkedin      store a login in your system keyring
      optout check linkedin            read the settings (changes nothing)
      optout off linkedin              switch them off and verify after a reload
    """
    from optout import logs

    logs.configure(log_format, verbose)
    check_profile_name(profile)
    # Sandbox runs get their own profile, so replica sessions never meet the real sites.
    name = f"sandbox-{profile}" if sandbox else profile
    ctx.obj = CliState(profile=Profile(name), as_json=as_json, verbose=verbose, headed=headed,
                       browser_path=browser_path, sandbox=sandbox)


for _module in (run, accounts, tools, watch, people, demo):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    try:
        cli.main(prog_name="optout")
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:  # unexpected: one line, the traceback with -v
        if getattr(sys, "_called_from_test", False) or os.environ.get("OPTOUT_RAISE_ERRORS"):
            raise
        click.echo(f"Error: unexpected {type(exc).__name__}: {exc}", err=True)
        if any(a in sys.argv for a in ("-v", "-vv", "--verbose")):
            import traceback

            traceback.print_exc()
        else:
            click.echo("Run again with -v for details, and please report it.", err=True)
        sys.exit(1)
