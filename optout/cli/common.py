"""What every command shares: the state the root hands down, help texts, and small helpers.

Command modules import from here, never from `optout.cli` itself, so there is no import circle.
"""

from __future__ import annotations

import functools
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import click
import click.shell_completion

from optout.paths import DEFAULT_PROFILE, Profile, check_profile_name
from optout.states import EXPLANATIONS, State

# Wrapped here, not by click (a \b paragraph is kept as written): click indents an epilog by two
# more spaces, so 76 columns keeps every line of `--help` within 80.
STATE_HELP = "\n".join(
    textwrap.fill(
        EXPLANATIONS[s], 76, initial_indent=f"  {s.value:<12} ", subsequent_indent=" " * 15
    )
    for s in State
)
STATES_EPILOG = f"\b\nStates:\n{STATE_HELP}"
EXIT_HELP = """Exit codes: 0 everything off, unavailable or submitted; 3 something is on;
4 a person is needed (sign-in, code, security check); 5 a flow no longer
matches its site; 6 all off, but a platform had switched something back on
and this run switched it off again; 1 other errors; 2 usage errors, or no
browser to --connect to."""


def complete_platforms(ctx, param, incomplete: str) -> list:
    """Shell completion: the platform ids starting with what was typed."""
    from optout.flowfile.layers import Layers, load_flows  # pydantic only when flows are read

    return [
        click.shell_completion.CompletionItem(p, help=f.name)
        for p, f in sorted(load_flows(Layers.person()).items())
        if p.startswith(incomplete)
    ]


def complete_settings(ctx, param, incomplete: str) -> list:
    """Shell completion: setting ids of the platforms already on the line (all platforms if none)."""
    from optout.flowfile.layers import Layers, load_flows  # pydantic only when flows are read

    chosen = set(ctx.params.get("platforms") or ())
    ids = dict.fromkeys(
        s.id
        for p, f in sorted(load_flows(Layers.person()).items())
        if not chosen or p in chosen
        for s in f.settings
        if s.id.startswith(incomplete)
    )
    return [click.shell_completion.CompletionItem(i) for i in ids]


platforms_arg = click.argument(
    "platforms", nargs=-1, metavar="[PLATFORM]...", shell_complete=complete_platforms
)


@dataclass
class CliState:
    """The global options, as every command sees them."""

    profile: Profile = field(default_factory=Profile)
    as_json: bool = False
    verbose: int = 0
    headed: bool = False
    unattended: bool = False
    browser_path: str | None = None
    #: `--connect`: work in the person's own running browser ("auto", a folder or a URL).
    connect: str | None = None
    sandbox: bool = False
    log_format: str = "auto"
    #: What the command finished and what it has still to do, said when it is stopped (Ctrl-C).
    finished: list[str] = field(default_factory=list)
    to_do: list[str] = field(default_factory=list)

    @property
    def person(self) -> str:
        """The profile name as the person typed it (sandbox runs use a `sandbox-` twin)."""
        return self.profile.name.removeprefix("sandbox-") if self.sandbox else self.profile.name

    def merge(self, name: str, value) -> None:
        """Take one global option, given before the command or after it."""
        if name == "profile":
            check_profile_name(value)
            # Sandbox runs get their own profile, so replica sessions never meet the real sites.
            self.profile = Profile(f"sandbox-{value}" if self.sandbox else value)
        elif name == "sandbox":
            if not self.sandbox:
                self.sandbox = True
                self.profile = Profile(f"sandbox-{self.profile.name}")
        elif name == "verbose":
            self.verbose += value
        else:
            setattr(self, name, value)


# The global options, defined once. The root group takes them with their defaults and environment
# variables; every command and subcommand takes them too, so they work after the command
# (`optout check linkedin --json`), and what is given there is merged into the root's CliState.
GLOBAL_OPTIONS: list[tuple[tuple[str, ...], dict, dict]] = [
    (
        ("--profile",),
        dict(help="Whose accounts: keeps each person's accounts, sessions and history apart."),
        dict(envvar="OPTOUT_PROFILE", default=DEFAULT_PROFILE, show_default=True),
    ),
    (("--json", "as_json"), dict(is_flag=True, help="Print results as JSON on stdout."), {}),
    (
        ("--headed",),
        dict(is_flag=True, help="Show the browser window while it works."),
        dict(envvar="OPTOUT_HEADED"),
    ),
    (
        ("--unattended",),
        dict(
            is_flag=True,
            help="Nobody is at the machine: never open a window for a sign-in "
            "(a check or code the site asks for is needs_human).",
        ),
        dict(envvar="OPTOUT_UNATTENDED"),
    ),
    (
        ("--browser-path",),
        dict(
            metavar="PATH",
            help="Chromium/Chrome to use (default: Playwright's, else one found on the system).",
        ),
        dict(envvar="OPTOUT_BROWSER"),
    ),
    (
        ("--connect",),
        dict(
            metavar="[auto|URL|DIR]",
            is_flag=False,
            flag_value="auto",
            help="Work in your own running Chrome, Edge or Chromium, where you are signed "
            "in (switch on chrome://inspect/#remote-debugging first). Alone: find it.",
        ),
        dict(envvar="OPTOUT_CONNECT"),
    ),
    (
        ("--log-format",),
        dict(type=click.Choice(["auto", "console", "json"]), help="Log lines on stderr."),
        dict(default="auto", envvar="OPTOUT_LOG_FORMAT", show_default=True),
    ),
    (("-v", "--verbose"), dict(count=True, help="More detail on stderr (-vv for debug)."), {}),
    (
        ("--sandbox",),
        dict(
            is_flag=True,
            help="Run against optout's built-in replicas of the platforms, never the real sites.",
        ),
        dict(envvar="OPTOUT_SANDBOX"),
    ),
]
_GIVEN = "optout.global_options"


def _remember(ctx: click.Context, param: click.Parameter, value):
    if value not in (None, False, 0):
        ctx.meta.setdefault(_GIVEN, []).append((param.name, value))
    return value


def connect_args(args: list[str]) -> list[str]:
    """`--connect` alone means auto wherever it stands: `optout --connect check linkedin` must not
    read "check" as its value. Only a URL, "auto" or a path (with a slash, or starting ~ or .)
    is taken as its value."""

    def target(arg: str) -> bool:
        return (
            arg == "auto"
            or arg.startswith(("http://", "https://", "ws://", "wss://", "~", "."))
            or "/" in arg
            or "\\" in arg
        )

    out = list(args)
    for i, arg in enumerate(out):
        if arg == "--":
            break
        if arg == "--connect" and (i + 1 == len(out) or not target(out[i + 1])):
            out[i] = "--connect=auto"
    return out


#: Commands that never log, so start-up need not set logging up (structlog is slow to import).
NO_LOGGING = {"platforms"}


def add_global_options(command: click.Command, root: bool = False) -> None:
    """Give `command` (and, for a group, its subcommands) the global options, merged into the
    CliState before its own callback runs."""
    for decls, kwargs, root_kwargs in GLOBAL_OPTIONS:
        extra = root_kwargs if root else {}
        command.params.append(
            click.Option(list(decls), expose_value=False, callback=_remember, **kwargs, **extra)
        )
    callback = command.callback

    def merged(*args, **kwargs):
        ctx = click.get_current_context()
        state = ctx.find_object(CliState)
        if state is None:
            state = ctx.obj = CliState()
        given = ctx.meta.pop(_GIVEN, [])
        for name, value in given:
            state.merge(name, value)
        logs_given = not root and {"verbose", "log_format"} & {name for name, _ in given}
        if (root and ctx.invoked_subcommand not in NO_LOGGING) or logs_given:
            from optout import logs

            logs.configure(state.log_format, state.verbose)
        return callback(*args, **kwargs) if callback else None

    command.callback = functools.wraps(callback)(merged) if callback else merged
    if isinstance(command, click.Group) and not root:
        for sub in command.commands.values():
            add_global_options(sub)


def check_settings(platforms, selected) -> None:
    """Refuse `--setting` ids that none of the chosen platforms has (a typo would otherwise be
    ignored and the setting left on), naming the nearest id and every valid one."""
    if not selected:
        return
    from difflib import get_close_matches

    from optout.flowfile.layers import Layers, resolve  # pydantic only when flows are read

    flows = resolve(list(platforms) or None, Layers.person())
    valid = {name for flow in flows for s in flow.settings for name in (s.id, f"{flow.id}:{s.id}")}
    unknown = [sel for sel in selected if sel.split("/")[0] not in valid]
    if not unknown:
        return
    guesses = [g for sel in unknown for g in get_close_matches(sel, valid, n=1)]
    ids = "; ".join(
        f"{flow.id}: {', '.join(s.id + (' (optional)' if s.opt_in else '') for s in flow.settings)}"
        for flow in flows
        if flow.settings
    )
    raise click.UsageError(
        f"No setting {', '.join(unknown)} on {', '.join(f.id for f in flows) if platforms else 'any platform'}."
        + (f" Did you mean {' or '.join(dict.fromkeys(guesses))}?" if guesses else "")
        + f" Valid ids: {ids or 'none'}."
    )


def run_async(coro):
    """Run a command's coroutine; Ctrl-C, SIGTERM or a closed terminal stop it cleanly and raise
    optout.stopping.Stopped (the root group says what finished and exits 128 + the signal)."""
    from optout import stopping

    return stopping.run(coro)


def stderr():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def attended(state: CliState, scheduled: bool = False) -> bool:
    """Whether a person is at the machine: a terminal on both ends, where a window can open; never
    for scheduled runs or with --unattended."""
    import sys

    from optout.browser import can_show_window

    return (
        not scheduled
        and not state.unattended
        and sys.stdin.isatty()
        and sys.stderr.isatty()
        and can_show_window()
    )


def next_command(state: CliState, *words: str) -> str:
    """A command to run next, in this run's world: a sandbox run's hint keeps `--sandbox` (without
    it the hint would go to the real site) and another profile's keeps `--profile`."""
    parts = ["optout", *(["--sandbox"] if state.sandbox else [])]
    if state.person != DEFAULT_PROFILE:
        parts += ["--profile", state.person]
    return " ".join([*parts, *words])


_COMMANDS = (
    "account assist capture check completion demo doctor flows handout history login notify off "
    "platforms profile report sandbox schedule status"
).split()
_OPTOUT_COMMAND = re.compile(rf"\boptout (?=(?:{'|'.join(_COMMANDS)})\b)([^`\n]*)")


def keep_sandbox(state: CliState | None, text: str) -> str:
    """Text said in a sandbox run (an engine's detail, an error's hint) with `--sandbox` put into
    every optout command it names, so no hint of a replica run leads to the real site."""
    if state is None or not state.sandbox or not text:
        return text

    def add(match: re.Match) -> str:
        rest = match.group(1)
        return match.group(0) if "--sandbox" in rest else f"optout --sandbox {rest}"

    return _OPTOUT_COMMAND.sub(add, text)


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
    from optout.paths import write_private

    path = Path(output or default)
    write_private(path, page.encode("utf-8"))
    return path


def echo_json(data) -> None:
    """Stable JSON for scripts on stdout: sorted keys, inert text."""
    from optout.render import json_text

    click.echo(json_text(data))
