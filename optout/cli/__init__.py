"""The command line: parse, call the API, render. Nothing else lives here.

This module holds the root group and main(); the commands live in the modules beside it (run,
accounts, tools, watch, people, demo), which import optout.cli.common and never this module.
"""

from __future__ import annotations

import os
import sys

import click

from optout import __version__
from optout.cli import (
    accounts,
    capture,
    completion,
    demo,
    flows,
    people,
    run,
    status,
    tools,
    ui,
    watch,
)
from optout.cli.common import (
    EXIT_HELP,
    STATE_HELP,
    CliState,
    add_global_options,
    connect_args,
    keep_sandbox,
)
from optout.errors import OptoutError


class OptoutGroup(click.Group):
    """Turns expected failures into a message with its next step and the right exit code."""

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, connect_args(args))

    def invoke(self, ctx):
        notices = sys.modules.get(
            "optout.flowfile.notices"
        )  # each command says its flow warnings once
        if notices is not None:
            notices.said_again()
        try:
            return super().invoke(ctx)
        except OptoutError as exc:
            from optout.report import (
                inert,  # messages quote files, flows and pages: never a terminal escape
            )

            state = ctx.obj if isinstance(ctx.obj, CliState) else None
            click.echo(f"Error: {inert(keep_sandbox(state, exc.message))}", err=True)
            if exc.hint:
                click.echo(inert(keep_sandbox(state, exc.hint)), err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, a closed terminal (optout.stopping)
            ctx.exit(stopped(ctx.obj, exc))


def stopped(state, exc: KeyboardInterrupt) -> int:
    """Say what was finished and what was not, and return the exit code (128 + the signal)."""
    from optout.stopping import Stopped

    exc = exc if isinstance(exc, Stopped) else Stopped()
    finished, to_do = (state.finished, state.to_do) if isinstance(state, CliState) else ([], [])
    lines = [f"Stopped ({exc.why})."]
    if finished:
        lines.append("Finished: " + "; ".join(finished) + ".")
    if to_do:
        lines.append("Not finished: " + "; ".join(to_do) + ".")
    lines.append("Nothing of the unfinished run was recorded in the history.")
    try:
        click.echo(" ".join(lines), err=True)
    except OSError:  # the terminal is gone (SIGHUP)
        pass
    return exc.exit_code


@click.group(
    cls=OptoutGroup,
    epilog=f"\b\nStates:\n{STATE_HELP}\n\n\b\n{EXIT_HELP}",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    invoke_without_command=True,
)
@click.version_option(
    __version__, message="%(prog)s %(version)s"
)  # optout/__init__.py: the one source
@click.pass_context
def cli(ctx):
    """Find the settings that let platforms train AI on your accounts, switch them off, and
    prove it.

    \b
    Get started:
      optout demo                      try it on built-in replicas, no account
      optout account add linkedin      store a login in your system keyring
      optout check linkedin            read the settings (changes nothing)
      optout off linkedin              switch them off and verify after a reload
      optout status                    where you stand, from history (no browser)
    """
    if ctx.invoked_subcommand is None:  # bare `optout`: where you stand once there is something
        if status.has_anything(ctx.obj):
            ctx.invoke(status.status)
        else:
            click.echo(ctx.get_help())


for _module in (run, accounts, status, tools, watch, people, demo, flows, capture, completion, ui):
    for _command in _module.COMMANDS:
        cli.add_command(_command)
        add_global_options(_command)
add_global_options(cli, root=True)


def main() -> None:
    """The `optout` and `optout-ai` commands (the second for machines where `optout` is taken)."""
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    try:
        cli.main(prog_name=name if name == "optout-ai" else "optout")
    except KeyboardInterrupt as exc:  # before a command ran (click's own prompts catch theirs)
        sys.exit(stopped(None, exc))
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
