"""The commands that run flows against the sites: check, off, login."""

from __future__ import annotations

import sys

import click

from optout.cli.common import (
    STATES_EPILOG,
    CliState,
    attended,
    check_settings,
    complete_platforms,
    complete_settings,
    keep_sandbox,
    next_command,
    platforms_arg,
    run_async,
    sandbox_opts,
    stderr,
)
from optout.results import run_exit_code

scheduled_option = click.option(
    "--scheduled",
    is_flag=True,
    help="Unattended run (used by `optout schedule`): headless, quiet unless "
    "something needs attention, notifies.",
)

person_wait_option = click.option(
    "--person-wait",
    "person_wait_min",
    type=click.FloatRange(min=0.5, max=60),
    default=5,
    show_default=True,
    metavar="MIN",
    help="How long a sign-in at the terminal waits for you to answer what the site asks "
    "in its window.",
)

concurrency_option = click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    metavar="N",
    help="Accounts worked on at once (default: chosen from this machine's CPUs and free memory).",
)


def run_and_render(
    state: CliState, mode: str, platforms, scheduled: bool = False, capture: bool = False, **opts
) -> None:
    """Parse what the command line asked into an API call (optout.runs holds the run's policy:
    lock, history, capture, pruning, notifications), then render what came back."""
    from rich.markup import escape

    from optout import api
    from optout.render import progress

    err = stderr()
    fn = api.check if mode == "check" else api.switch_off
    quiet = state.as_json or scheduled

    def on_result(result):
        if not quiet:
            err.print(f"  {result.platform} {result.setting}: {result.state}", highlight=False)
            advance(result)

    opts = {**sandbox_opts(state), **opts}
    headless = not state.headed or scheduled  # scheduled runs are unattended
    if state.connect:  # found first, to say which browser (or what to switch on) before anything
        from optout import connect

        opts["connect"] = connect.find(state.connect)
        if not quiet:
            err.print(
                f"Working in {opts['connect'].what}; allow remote debugging if it asks.",
                highlight=False,
                markup=False,
            )

    def tell(message: str) -> None:  # a sign-in waits for the person: said even with --json
        err.print(f"[bold]{escape(message)}[/bold]", highlight=False)

    from optout.credentials import unlock_secrets
    from optout.errors import AccountNotFound

    unlock_secrets(state.profile)  # a keyring's password prompt comes before any progress output
    try:
        with progress(err, list(platforms), not quiet) as advance:
            results = run_async(
                fn(
                    list(platforms) or None,
                    profile=state.profile,
                    headless=headless,
                    browser_path=state.browser_path,
                    on_result=on_result,
                    kind="scheduled" if scheduled else mode,
                    capture=capture,
                    notify=scheduled,
                    attended=attended(state, scheduled),
                    tell=tell,
                    **opts,
                )
            )
    except AccountNotFound as exc:
        raise other_keyring(state, exc) from None
    code = run_exit_code(results)
    # A scheduled run is quiet only when it found nothing and changed nothing: a platform quietly
    # switching a setting back on (and `--fix` switching it off again) is what it exists to catch.
    changed = any(r.changed for r in results)
    if not (scheduled and code == 0 and not results.drift and not changed and not state.as_json):
        show(state, results, captured=capture)
    sys.exit(code)


def other_keyring(state: CliState, exc):
    """No accounts, yet history has results of some: this run met another keyring (or data
    folder) than the one they were added with, which is what a schedule without the right
    environment meets. Said as such; "add one" would be the wrong next step."""
    from optout.errors import AccountNotFound
    from optout.history import History

    if not state.profile.history_db.exists():
        return exc
    with History(state.profile, read_only=True) as history:
        known = sorted({platform for platform, _ in history.accounts()})
    if not known:
        return exc
    return AccountNotFound(
        f"This run found no accounts of profile {state.profile.name} in the keyring, yet its history "
        f"has results of {', '.join(known)}: it is reaching another keyring than the one they were "
        "added with.",
        "Compare `optout doctor` and `optout account list` here with a terminal where they show; "
        "for a schedule, run `optout schedule install` again from that terminal (it passes "
        "PYTHON_KEYRING_BACKEND, DBUS_SESSION_BUS_ADDRESS and OPTOUT_HOME on).",
    )


def show(state: CliState, results, captured: bool = False) -> None:
    from rich.console import Console

    from optout import render, report

    drift = getattr(results, "drift", [])
    if state.sandbox:  # hints in details keep --sandbox: without it they would go to the real site
        from dataclasses import replace

        kept = [
            replace(r, detail=keep_sandbox(state, r.detail)) if r.detail else r for r in results
        ]
        results = results.holding(kept) if hasattr(results, "holding") else type(results)(kept)
    if state.as_json:
        text = report.results_json(results, drift)
        if captured:  # the same stable JSON, with what became of each page
            import json

            text = json.dumps(
                {**json.loads(text), "captures": [n.as_dict() for n in results.captures]},
                indent=2,
                sort_keys=True,
                ensure_ascii=False,
            )
        click.echo(text)
        return
    render.results(results, Console(), drift)
    if captured:
        captures_said(results.captures, results)
    else:
        offer_capture(results, state)


def captures_said(notes, results) -> None:
    """What became of each page, and how to look at a capture before sharing it."""
    for note in notes:
        click.echo(note.line())
    noted = {(n.platform, n.setting) for n in notes}
    for r in results:
        if (r.platform, r.setting) not in noted and r.setting != "guide":
            click.echo(f"Not captured {r.platform} {r.setting}: its page was not read ({r.state}).")
    if any(n.path for n in notes):
        click.echo("Look at what a file holds with `optout capture show FILE` before sharing it.")


def offer_capture(results, state: CliState) -> None:
    """When a flow no longer matches its page, offer a capture to share (one line per platform)."""
    for platform in dict.fromkeys(r.platform for r in results if str(r.state) == "broken"):
        click.echo(
            f"Share the page without your data: {next_command(state, 'check', platform, '--capture')}"
        )


@click.command(epilog=STATES_EPILOG)
@platforms_arg
@scheduled_option
@concurrency_option
@person_wait_option
@click.option(
    "--capture",
    is_flag=True,
    help="Also keep each setting's page, scrubbed of your content (structure and the flow's own "
    "words only), to review with `optout capture show` and share when a flow breaks.",
)
@click.pass_obj
def check(state: CliState, platforms, scheduled, concurrency, person_wait_min, capture):
    """Read each setting and report its state. Changes nothing."""
    run_and_render(
        state,
        "check",
        platforms,
        scheduled,
        capture=capture,
        concurrency=concurrency,
        person_wait_s=person_wait_min * 60,
    )


@click.command(epilog=STATES_EPILOG)
@platforms_arg
@click.option("--dry-run", is_flag=True, help="Read and say what would change; change nothing.")
@click.option(
    "--setting",
    "selected",
    multiple=True,
    metavar="ID",
    shell_complete=complete_settings,
    help="Also switch off this optional setting (see `optout platforms`).",
)
@click.option("--all-settings", is_flag=True, help="Switch off optional settings too.")
@click.option(
    "--reason",
    default="",
    metavar="TEXT",
    help="Reason given in objection forms (optional; default: none). Also what fills a form's "
    "required explanation.",
)
@click.option(
    "--resend",
    is_flag=True,
    help="Send objection forms again even if optout sent them before (e.g. when no "
    "confirmation e-mail arrived).",
)
@scheduled_option
@concurrency_option
@person_wait_option
@click.pass_obj
def off(
    state: CliState,
    platforms,
    dry_run,
    selected,
    all_settings,
    reason,
    resend,
    scheduled,
    concurrency,
    person_wait_min,
):
    """Switch off every setting that reads on, then reload and verify it reads off. Objection forms
    are sent once and then reported as submitted (or, without a confirmation, as sent unconfirmed)."""
    check_settings(platforms, selected)
    run_and_render(
        state,
        "off",
        platforms,
        scheduled,
        dry_run=dry_run,
        selected=selected,
        all_settings=all_settings,
        form_reason=reason,
        resend=resend,
        concurrency=concurrency,
        person_wait_s=person_wait_min * 60,
    )


@click.command()
@click.argument("platform", shell_complete=complete_platforms)
@click.option(
    "--account", "account_name", metavar="NAME", help="Which stored account this session is for."
)
@click.pass_obj
def login(state: CliState, platform, account_name):
    """Sign in yourself in a visible browser (for 2FA, CAPTCHAs, e-mail codes); optout keeps the session."""
    from optout import api

    click.echo(
        f"A browser window opens at the {platform} sign-in page. Sign in there; optout "
        "notices when you are in and saves the session. (Ctrl-C to give up.)",
        err=True,
    )
    path = run_async(
        api.login(
            platform,
            account=account_name,
            profile=state.profile,
            browser_path=state.browser_path,
            **sandbox_opts(state),
        )
    )
    if state.as_json:
        import json

        click.echo(
            json.dumps(
                {"platform": platform, "account": account_name, "session": str(path)}, indent=2
            )
        )
    click.echo(
        f"Saved the session (encrypted) at {path}. Next: {next_command(state, 'check', platform)}",
        err=True,
    )


COMMANDS = [check, off, login]
