"""Commands for helping someone else: profile list/delete, assist, handout.

Registered on the root group by optout.cli; each gets the root's CliState via @click.pass_obj.
The logic lives in optout.people; these parse, call and render.
"""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from optout.cli.common import (
    STATES_EPILOG,
    CliState,
    check_settings,
    echo_json,
    next_command,
    platforms_arg,
    run_async,
    sandbox_opts,
    stderr,
    write_page,
)
from optout.errors import OptoutError
from optout.paths import check_profile_name
from optout.results import run_exit_code

# -- profile ------------------------------------------------------------------------------------


@click.group("profile")
def profile_group():
    """The people optout keeps apart: list them, or delete everything of one."""


@profile_group.command("list")
@click.pass_obj
def profile_list(state: CliState):
    """Every profile: how many accounts and saved sessions, and when it last ran."""
    from optout import people

    found = people.list_profiles()
    if state.as_json:
        click.echo(json.dumps([p.to_dict() for p in found], indent=2))
        return
    if not found:
        click.echo("No profiles yet. Each --profile NAME gets one when first used.", err=True)
        return
    from rich.console import Console

    from optout import render

    render.profiles(found, Console())


@profile_group.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def profile_delete(state: CliState, name, yes):
    """Delete every trace of one person: stored logins and the session key in the keyring,
    notification addresses, saved sessions, history, evidence, the schedule and the profile's
    folder (and its sandbox twin). Says what it removed. Cannot be undone.

    Pages you saved elsewhere (optout report / handout -o FILE, assist's handout) are not tracked:
    delete those yourself. What could not be deleted safely is listed as NOT DELETED (exit 1)."""
    from optout import people

    check_profile_name(name)
    if not yes:
        click.confirm(
            f"Delete everything optout keeps for profile {name}? This cannot be undone.",
            abort=True,
            err=True,
        )
    removals = people.delete_profile(name)
    if state.as_json:
        click.echo(json.dumps([r.to_dict() for r in removals], indent=2))
    else:
        for removal in removals:
            for line in removal.lines():
                click.echo(line)
        click.echo(
            "Not tracked, so not deleted: handouts and reports saved to a file (optout-handout-*.html, "
            "optout report -o); delete those yourself."
        )
    if any(r.remains for r in removals):
        sys.exit(1)


# -- assist -------------------------------------------------------------------------------------


def _choose_platforms() -> list[str]:
    from optout.flowfile.layers import (  # pydantic only when flows are read
        Layers,
        load_flows,
        resolve,
    )

    flows = load_flows(Layers.person())
    known = ", ".join(flows)
    if not sys.stdin.isatty():
        raise click.UsageError(
            f"Name the platforms to go through, e.g. `optout assist linkedin x`. Known: {known}."
        )
    click.echo(f"Platforms optout knows: {known}", err=True)
    answer = click.prompt("Which ones does the person use? (names separated by spaces)", err=True)
    chosen = answer.replace(",", " ").split()
    if not chosen:
        raise click.UsageError("Not a platform optout knows: (none given).")
    resolve(chosen, Layers.person())  # an unknown name is a usage error naming the nearest one
    return chosen


@click.command("assist", epilog=STATES_EPILOG)
@platforms_arg
@click.option(
    "--yes", is_flag=True, help="Switch off without asking (only when the person already agreed)."
)
@click.option(
    "--keep",
    is_flag=True,
    help="Keep the sessions, history and evidence in --profile NAME so optout can re-check later. "
    "Default: keep nothing.",
)
@click.option(
    "--name", "person", metavar="TEXT", help="The person's name, printed on the handout (optional)."
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Where to write the handout ('-' for stdout). Default: optout-handout-DATE.html here.",
)
@click.option(
    "--open", "open_it", is_flag=True, help="Open the handout in the default browser, to print it."
)
@click.option(
    "--setting",
    "selected",
    multiple=True,
    metavar="ID",
    help="Also switch off this optional setting.",
)
@click.option("--all-settings", is_flag=True, help="Switch off optional settings too.")
@click.option(
    "--reason", default="", metavar="TEXT", help="Reason given in objection forms (optional)."
)
@click.option(
    "--wait",
    "wait_min",
    default=15,
    show_default=True,
    metavar="MINUTES",
    help="How long to wait for each sign-in.",
)
@click.pass_obj
def assist_cmd(
    state: CliState,
    platforms,
    yes,
    keep,
    person,
    output,
    open_it,
    selected,
    all_settings,
    reason,
    wait_min,
):
    """Help someone else: they sign in themselves, you never learn their password.

    A browser window opens at each platform's sign-in page; the person signs in there (a banner
    on the page says optout is waiting). optout then reads the settings, shows them here, and
    switches off what is on once the person agrees. At the end it writes a one-page handout to
    print, and wipes everything else: nothing of the person stays on this machine unless you pass
    --keep (with --profile NAME).
    """
    from rich.console import Console

    from optout import people, report

    if keep and state.profile.name in ("default", "sandbox-default"):
        raise click.UsageError(
            "--keep needs a profile for this person: optout --profile NAME assist --keep …"
        )
    platforms = list(platforms) or _choose_platforms()
    check_settings(platforms, selected)
    err = stderr()
    out = Console()

    def tell(message: str) -> None:
        if not state.as_json:
            err.print(message, markup=False)

    async def confirm(flow, readings, to_switch) -> bool:
        if not state.as_json:
            report.results_table(readings, err, title=f"{flow.name}: what optout read")
        if yes:
            return True
        names = ", ".join(f'"{r.label or r.setting}"' for r in to_switch)
        question = f"Switch off {names} on {flow.name} now? (ask the person)"
        return await ask_aside(click.confirm, question, default=None, err=True)

    done = run_async(
        people.assist(
            platforms,
            keep_profile=state.profile if keep else None,
            confirm=confirm,
            tell=tell,
            browser_path=state.browser_path,
            wait_s=wait_min * 60,
            selected=selected,
            all_settings=all_settings,
            form_reason=reason,
            **sandbox_opts(state),
        )
    )
    prefix = "optout --sandbox" if state.sandbox else "optout"
    recheck = [f"{prefix} assist {' '.join(done.platforms)}"]
    if done.kept:
        recheck.insert(0, f"{prefix} --profile {state.person} check {' '.join(done.platforms)}")
    page = people.handout_html(done.results, name=person, recheck=recheck, assisted=True)
    path = write_page(page, output, f"optout-handout-{date.today().isoformat()}.html")
    if state.as_json and path is None:
        click.echo(report.results_json(done.results))
    elif state.as_json:
        echo_json(
            {
                "results": [r.to_dict() for r in done.results],
                "handout": str(path.resolve()),
                "kept": done.kept,
            }
        )
    else:
        report.results_table(done.results, out, title="Where things stand")
        if path is not None:
            err.print(
                f"Handout: {path} — open it in a browser and print it (Ctrl-P) for the person.",
                markup=False,
            )
        err.print(people.what_was_kept(done.kept, path), markup=False)
    if open_it and path is not None:
        click.launch(str(path))
    sys.exit(run_exit_code(done.results))


async def ask_aside(ask, *args, **kwargs):
    """A prompt read in a daemon thread, so the browser stays served meanwhile and Ctrl-C, SIGTERM
    or a closed terminal can stop the session at the question (asyncio.to_thread's worker would
    hold the process until someone pressed Enter)."""
    import asyncio
    import threading

    loop = asyncio.get_running_loop()
    answer = loop.create_future()

    def settle(how, value) -> None:
        if not answer.done():
            how(value)

    def work() -> None:
        try:
            value, how = ask(*args, **kwargs), answer.set_result
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting coroutine
            value, how = exc, answer.set_exception
        try:
            loop.call_soon_threadsafe(settle, how, value)
        except RuntimeError:  # the session was stopped meanwhile: nobody waits for the answer
            pass

    threading.Thread(target=work, name="optout-prompt", daemon=True).start()
    return await answer


# -- handout ------------------------------------------------------------------------------------


@click.command("handout", epilog=STATES_EPILOG)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Where to write it ('-' for stdout). Default: optout-handout-PROFILE.html here.",
)
@click.option(
    "--name", "person", metavar="TEXT", help="The person's name, printed on the handout (optional)."
)
@click.option(
    "--open", "open_it", is_flag=True, help="Open it in the default browser, to print it."
)
@click.pass_obj
def handout_cmd(state: CliState, output, person, open_it):
    """Write a one-page summary in plain language, from a profile's history: what was found, what
    was switched off, what still needs the person (forms, e-mails, steps), what to watch for and
    how to check again. No secrets; a name only if you give --name. Whose: --profile NAME."""
    from optout import people

    profile = state.profile
    if not profile.history_db.exists():
        raise OptoutError(
            f"Nothing recorded yet for profile {profile.name}.",
            f"Run `{next_command(state, 'check')}` first.",
        )
    page = people.handout_for_profile(profile, name=person, sandbox=state.sandbox)
    path = write_page(page, output, f"optout-handout-{profile.name}.html")
    if path is None:
        return
    if state.as_json:
        click.echo(json.dumps({"handout": str(path.resolve())}))
    else:
        click.echo(f"Wrote {path} — open it in a browser and print it (Ctrl-P).")
    if open_it:
        click.launch(str(path))


COMMANDS = [profile_group, assist_cmd, handout_cmd]
