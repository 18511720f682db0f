"""The command line: parse, call the API, render. Nothing else lives here."""

from __future__ import annotations

import os
import sys

import click

from optout.clistate import CliState
from optout.errors import OptoutError
from optout.paths import DEFAULT_PROFILE, Profile, check_profile_name
from optout.results import run_exit_code
from optout.states import EXPLANATIONS, State

STATE_HELP = "\n".join(f"  {s.value:<12} {EXPLANATIONS[s]}" for s in State)
EXIT_HELP = """Exit codes: 0 everything off, unavailable or submitted; 3 something is on;
4 a person is needed (sign-in, code, security check); 5 a flow no longer matches
its site; 1 other errors; 2 usage errors."""


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


def run_async(coro):
    import asyncio  # not at the top: `optout --help` stays fast

    return asyncio.run(coro)


def _stderr():
    from rich.console import Console

    return Console(stderr=True)


def _sandbox_opts(state: CliState) -> dict:
    if not state.sandbox:
        return {}
    from optout.sandbox import Sandbox

    sandbox = Sandbox.for_profile(state.profile.name)
    return {"setup_context": sandbox.install}


def _run_and_render(state: CliState, mode: str, platforms, scheduled: bool = False, **opts) -> None:
    from optout import api
    from optout.history import prune_evidence
    from optout.schedule import run_lock

    err = _stderr()
    fn = api.check if mode == "check" else api.switch_off
    quiet = state.as_json or scheduled

    def on_result(result):
        if not quiet:
            err.print(f"  {result.platform} {result.setting}: {result.state}", highlight=False)

    opts = {**_sandbox_opts(state), **opts}
    headless = not state.headed or scheduled  # scheduled runs are unattended
    status = err.status("Checking…" if mode == "check" else "Switching off…") if not quiet and err.is_terminal else _nullcontext()
    with run_lock(state.profile), status:
        results = run_async(fn(list(platforms) or None, profile=state.profile, headless=headless,
                               browser_path=state.browser_path, on_result=on_result,
                               kind="scheduled" if scheduled else mode, **opts))
    prune_evidence(state.profile)
    code = run_exit_code(results)
    if scheduled:
        from optout.notify import notify_run

        notify_run(state.profile.name, results.drift, results)
    if not (scheduled and code == 0 and not results.drift and not state.as_json):
        _render(state, results)
    sys.exit(code)


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _render(state: CliState, results) -> None:
    from rich.console import Console
    from rich.text import Text

    from optout import report

    drift = getattr(results, "drift", [])
    if state.as_json:
        click.echo(report.results_json(results, drift))
        return
    console = Console()
    report.results_table(results, console)
    for d in drift:
        what = DRIFT_WORDS.get(d.kind, d.kind)
        console.print(Text(f"Attention — {what} ({d.platform}): {report.inert(d.detail)}", style="bold red"))
    guides = {r.platform for r in results if r.setting == "guide"}
    if guides:
        from optout.flowspec import load_flows

        flows = load_flows()
        for platform in sorted(guides):
            guide = flows[platform].guide
            console.print(Text(f"\n{flows[platform].name} — what to do:", style="bold"))
            for i, step in enumerate(guide.steps, 1):
                console.print(Text(f"  {i}. {step}"))
            for link in guide.links:
                console.print(Text(f"  {link}"))
            if guide.email_to:
                console.print(Text(f"  E-mail to {guide.email_to}, subject: {guide.email_subject or ''}"))
                console.print(Text("  " + (guide.email_body or "").replace("\n", "\n  ")))


DRIFT_WORDS = {
    "switched_on": "switched back on",
    "new_setting": "a new setting",
    "broken_streak": "broken for several runs",
    "login_failing": "sign-in keeps failing",
}

scheduled_option = click.option("--scheduled", is_flag=True,
                                help="Unattended run (used by `optout schedule`): headless, quiet unless "
                                     "something needs attention, notifies.")
platforms_arg = click.argument("platforms", nargs=-1, metavar="[PLATFORM]...")


STATES_EPILOG = f"\b\nStates:\n{STATE_HELP}"


@cli.command(epilog=STATES_EPILOG)
@platforms_arg
@scheduled_option
@click.pass_obj
def check(state: CliState, platforms, scheduled):
    """Read each setting and report its state. Changes nothing."""
    _run_and_render(state, "check", platforms, scheduled)


@cli.command(epilog=STATES_EPILOG)
@platforms_arg
@click.option("--dry-run", is_flag=True, help="Read and say what would change; change nothing.")
@click.option("--setting", "selected", multiple=True, metavar="ID",
              help="Also switch off this optional setting (see `optout platforms`).")
@click.option("--all-settings", is_flag=True, help="Switch off optional settings too.")
@click.option("--reason", default="", metavar="TEXT",
              help="Reason given in objection forms (optional; default: none).")
@scheduled_option
@click.pass_obj
def off(state: CliState, platforms, dry_run, selected, all_settings, reason, scheduled):
    """Switch off every setting that reads on, then reload and verify it reads off. Objection forms
    are sent once and then reported as submitted."""
    _run_and_render(state, "off", platforms, scheduled, dry_run=dry_run, selected=selected,
                    all_settings=all_settings, form_reason=reason)


@cli.command()
@click.pass_obj
def platforms(state: CliState):
    """What optout supports: each setting, what it means, where it applies."""
    from optout import catalog

    flows = catalog.flows()
    if state.as_json:
        click.echo(catalog.as_json(flows))
    else:
        catalog.print_platforms(flows)


@cli.group()
def account():
    """Store, list and remove logins (kept in your system keyring)."""


@account.command("add")
@click.argument("platform")
@click.option("--totp", is_flag=True, help="Also store the account's TOTP (authenticator) secret.")
@click.pass_obj
def account_add(state: CliState, platform, totp):
    """Store a login. Asks for the username and password (hidden); reads them from stdin when piped,
    one per line. Never pass a password as an argument."""
    from optout import flowspec
    from optout.credentials import AccountStore, Credential, read_secret, require_keyring

    [flow] = flowspec.resolve([platform])
    if flow.guide is not None:
        raise OptoutError(f"{flow.name} has nothing optout signs in to.", f"`optout off {platform}` shows what to do.")
    if not flow.login.steps:
        raise OptoutError(f"optout does not sign in to {flow.name} with a password.",
                          f"Sign in yourself with `optout login {platform}`; optout keeps that session.")
    require_keyring()
    username = _ask(f"{flow.name} username (e-mail or phone): ")
    password = read_secret(f"{flow.name} password: ")
    secret = read_secret("TOTP secret (the setup key, not a 6-digit code): ") if totp else None
    if not username or not password:
        raise OptoutError("A username and a password are both needed.", f"Run `optout account add {platform}` again.")
    cred = Credential(username, password, secret or None)
    cred.validate()
    AccountStore(state.profile).add(platform, cred)
    click.echo(f"Stored {flow.name} account {username} in the system keyring. Next: optout check {platform}", err=True)


def _ask(prompt: str) -> str:
    """A visible answer from the terminal, or one line from a pipe."""
    if sys.stdin.isatty():
        return click.prompt(prompt.rstrip(": "), err=True).strip()
    line = sys.stdin.readline()
    return line.rstrip("\n").strip()


@account.command("list")
@click.pass_obj
def account_list(state: CliState):
    """The accounts optout knows (no secrets are shown)."""
    import json

    from optout.credentials import AccountStore

    accounts = AccountStore(state.profile).list()
    if state.as_json:
        click.echo(json.dumps([a.__dict__ for a in accounts], indent=2))
        return
    if not accounts:
        click.echo("No accounts yet. Add one: optout account add linkedin", err=True)
    for a in accounts:
        click.echo(f"{a.platform}\t{a.username}\t{'totp' if a.has_totp else ''}")


@account.command("remove")
@click.argument("platform")
@click.argument("username", required=False)
@click.pass_obj
def account_remove(state: CliState, platform, username):
    """Remove a stored login (and its saved session) from the keyring and optout's index."""
    from optout.credentials import AccountStore
    from optout.sessions import SessionStore

    removed = AccountStore(state.profile).remove(platform, username)
    sessions = SessionStore(state.profile)
    for a in removed:
        sessions.delete(platform, a.username)
        click.echo(f"Removed {a.platform} account {a.username}.", err=True)


@cli.command()
@click.argument("platform")
@click.option("--account", "account_name", metavar="NAME", help="Which stored account this session is for.")
@click.pass_obj
def login(state: CliState, platform, account_name):
    """Sign in yourself in a visible browser (for 2FA, CAPTCHAs, e-mail codes); optout keeps the session."""
    from optout import api

    click.echo(f"A browser window opens at the {platform} sign-in page. Sign in there; optout "
               "notices when you are in and saves the session. (Ctrl-C to give up.)", err=True)
    path = run_async(api.login(platform, account=account_name, profile=state.profile,
                               browser_path=state.browser_path, **_sandbox_opts(state)))
    click.echo(f"Saved the session (encrypted) at {path}. Next: optout check {platform}", err=True)


@cli.command()
@click.pass_obj
def doctor(state: CliState):
    """Check the browser, the keyring and the data folder, with fixes."""
    import json

    from optout.browser import doctor_report

    lines = doctor_report(state.profile, state.browser_path)
    if state.as_json:
        click.echo(json.dumps([line.__dict__ for line in lines], indent=2))
    else:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table("", "check", "found", "fix")
        for line in lines:
            table.add_row("[green]ok[/]" if line.ok else "[red]!![/]", line.name, Text(line.value), Text(line.fix or ""))
        Console().print(table)
    sys.exit(0 if all(line.ok for line in lines) else 1)


@cli.command()
@click.option("--misbehave", multiple=True, metavar="NAME",
              help="Make the replica misbehave (e.g. save_fails, two_factor); see `optout sandbox list`.")
@click.pass_obj
def demo(state: CliState, misbehave):
    """Run check → off → check on built-in replicas: see optout work without any account."""
    from optout.demo import run_demo

    results = run_async(run_demo(state, misbehave))
    sys.exit(run_exit_code(results))


@cli.group()
def sandbox():
    """Set up the built-in replicas used by --sandbox runs (for trying optout and for tests)."""


@sandbox.command("list")
def sandbox_list():
    """The misbehaviours a replica can be told to show."""
    from optout.sandbox import MISBEHAVIOURS

    for name, what in MISBEHAVIOURS.items():
        click.echo(f"{name:<16} {what}")


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
    try:
        box.configure(platform, *misbehaviours, reset=not keep_state)
    except (KeyError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
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
    box.data[platform]["settings"][setting] = value == "on"
    box.save()


def _register_watch_commands() -> None:
    from optout import cli_watch

    for command in cli_watch.COMMANDS:
        cli.add_command(command)


_register_watch_commands()


def _register_people_commands() -> None:
    from optout import cli_people

    for command in cli_people.COMMANDS:
        cli.add_command(command)


_register_people_commands()


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
