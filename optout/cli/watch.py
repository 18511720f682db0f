"""Commands for watching over time: history, report, schedule, notify.

Registered on the root group by optout.cli; each gets the root's CliState via @click.pass_obj and
prints for people with rich, or JSON with --json.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, time, timedelta

import click

from optout.cli.common import CliState, echo_json, next_command, write_page
from optout.errors import OptoutError

_RELATIVE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)


class Since(click.ParamType):
    """`7d`, `12h`, `2w`, or a date/time such as `2026-11-01` (local time)."""

    name = "since"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        if m := _RELATIVE.match(value):
            unit = {"h": "hours", "d": "days", "w": "weeks"}[m.group(2).lower()]
            return datetime.now(UTC) - timedelta(**{unit: int(m.group(1))})
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
                at = datetime.combine(date.fromisoformat(value.strip()), time())
            else:
                at = datetime.fromisoformat(value.strip())
        except ValueError:
            self.fail(
                f"{value!r} is neither a duration (7d, 12h, 2w) nor a date (2026-11-01)", param, ctx
            )
        return at if at.tzinfo else at.astimezone()


SINCE = click.option(
    "--since",
    type=Since(),
    metavar="7d|2026-11-01",
    help="Only what happened since then (a duration like 7d, 12h, 2w, or a date).",
)


def _console():
    from rich.console import Console

    return Console()


# -- history, report --------------------------------------------------------------------------


@click.command("history")
@click.argument("platform", required=False)
@SINCE
@click.pass_obj
def history_cmd(state: CliState, platform, since):
    """Show every recorded result, oldest first, and what needed attention."""
    from optout import render
    from optout.history import History
    from optout.report import timeline_table

    rows, drift = [], []
    if state.profile.history_db.exists():
        with History(state.profile) as history:
            rows = history.timeline(platform=platform, since=since)
            drift = history.drift_log(since=since, platform=platform)
    if state.as_json:
        echo_json({"profile": state.profile.name, "results": rows, "drift": drift})
        return
    console = _console()
    if not rows:
        console.print(
            f"No results recorded yet for profile {state.profile.name}. Run `{next_command(state, 'check')}` first.",
            highlight=False,
            markup=False,
        )
        return
    timeline_table(rows, console, title=f"History of profile {state.profile.name}")
    render.drift_lines(drift, console)


@click.command("report")
@SINCE
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Where to write the page ('-' for stdout). "
    "Default: optout-report-PROFILE.html in the current folder.",
)
@click.pass_obj
def report_cmd(state: CliState, since, output):
    """Write a one-page HTML evidence report (screenshots included) to attach to a complaint."""
    from optout.report import html_report

    page = html_report(state.profile, since=since, sample=state.sandbox)
    path = write_page(page, output, f"optout-report-{state.profile.name}.html")
    if path is None:
        return
    if state.as_json:
        echo_json({"report": str(path.resolve())})
    else:
        click.echo(f"Wrote {path} — open it in a browser; it prints to one document per account.")


# -- schedule ---------------------------------------------------------------------------------


@click.group("schedule")
def schedule_group():
    """Re-check on a schedule, and hear about it when something changes."""


_SYSTEM = dict(
    type=click.Choice(["auto", "systemd", "launchd", "windows", "cron"]),
    default="auto",
    show_default=True,
    help="Which scheduler to use.",
)


def _scheduler_command(name: str):
    """A `schedule` subcommand: takes --system (None for auto) and the CliState."""

    def decorate(f):
        @functools.wraps(f)
        def run(state: CliState, *args, system: str, **kwargs):
            return f(state, *args, system=None if system == "auto" else system, **kwargs)

        command = schedule_group.command(name)(click.pass_obj(run))
        command.params.append(click.Option(["--system"], **_SYSTEM))
        return command

    return decorate


@_scheduler_command("install")
@click.option("--every", type=click.Choice(["daily", "weekly"]), default="daily", show_default=True)
@click.option(
    "--fix", is_flag=True, help="Switch settings off again when found on (default: only check)."
)
@click.option(
    "--notify",
    "urls",
    multiple=True,
    metavar="URL",
    help="Also notify this apprise URL (ntfy, e-mail, Matrix, Slack, …); kept in the keyring.",
)
@click.option("--dry-run", is_flag=True, help="Print what would be written; install nothing.")
def schedule_install(state: CliState, every, fix, urls, dry_run, system):
    """Install a daily or weekly unattended re-check of this profile."""
    from optout import schedule

    if state.sandbox:
        raise OptoutError(
            "Schedules check the real sites; --sandbox cannot be scheduled.",
            "Run the same command without --sandbox.",
        )
    spec = schedule.ScheduleSpec(
        every=every, fix=fix, notify=list(urls), profile=state.profile.name
    )
    chosen = system or schedule.detect_system()
    lines = schedule.install(spec, dry_run=dry_run, system=chosen)
    if state.as_json:
        echo_json(
            {
                "system": chosen,
                "dry_run": dry_run,
                "profile": spec.profile,
                "output": lines,
                "notify_urls": len(spec.notify),
            }
        )
        return
    for line in lines:
        click.echo(line)
    if not dry_run:
        click.echo(
            f"Scheduled a {every} {'fix' if fix else 'check'} of profile {spec.profile} ({chosen})."
            + (f" {len(urls)} notification address(es) stored in the keyring." if urls else "")
            + " See it with: optout schedule status"
        )


@schedule_group.command("test")
@click.option(
    "--fix", is_flag=True, help="Run what `schedule install --fix` runs (switches settings off)."
)
@click.pass_obj
def schedule_test(state: CliState, fix):
    """Run the scheduled command once now, in the environment its entry would give it, and say
    what it met (a keyring without the accounts, no browser, drift)."""
    from optout import schedule
    from optout.results import DRIFT_FIXED

    if state.sandbox:
        raise OptoutError(
            "Schedules check the real sites; --sandbox cannot be scheduled.",
            "Run the same command without --sandbox.",
        )
    spec = schedule.ScheduleSpec(fix=fix, profile=state.profile.name)
    done = schedule.run_as_scheduled(spec)
    meaning = {
        0: "all is well",
        3: "something is on",
        4: "a person is needed (sign-in, code or the keyring: see above)",
        5: "a flow no longer matches its site",
        DRIFT_FIXED: "something had been switched back on and was switched off again",
        1: "an error (see above)",
        2: "a usage error",
    }.get(done.returncode, "stopped or failed")
    if state.as_json:
        echo_json(
            {
                "profile": spec.profile,
                "command": spec.argv,
                "env": sorted(spec.env),
                "exit_code": done.returncode,
                "meaning": meaning,
                "output": done.stdout + done.stderr,
            }
        )
    else:
        import textwrap

        said = (
            f"Ran: {' '.join(spec.argv)}",
            f"with only {', '.join(sorted(spec.env))} and what the "
            "scheduler gives every job (HOME, USER, LANG).",
        )
        for text in said:
            click.echo(textwrap.fill(text, 80, subsequent_indent="  ", break_on_hyphens=False))
        for line in (done.stdout + done.stderr).strip().splitlines():
            click.echo(f"  {line}")
        click.echo(f"It exited {done.returncode}: {meaning}.")
    ctx = click.get_current_context()
    ctx.exit(done.returncode if done.returncode in (0, 3, 4, 5, DRIFT_FIXED) else 1)


@_scheduler_command("status")
def schedule_status(state: CliState, system):
    """Show whether a schedule is installed for this profile."""
    from optout import schedule

    info = schedule.status(state.profile.name, system=system)
    if state.as_json:
        echo_json(info)
        return
    if not info["installed"]:
        click.echo(
            f"No schedule installed for profile {info['profile']} ({info['system']}). "
            "Install one with: optout schedule install --every daily"
        )
        return
    click.echo(
        f"Scheduled ({info['system']}) for profile {info['profile']}; "
        f"{info['notify_urls']} notification address(es) in the keyring."
    )
    for f in info["files"]:
        click.echo(f"  {f}")
    if info["detail"]:
        click.echo(info["detail"])


@_scheduler_command("remove")
def schedule_remove(state: CliState, system):
    """Remove this profile's schedule and its stored notification addresses."""
    from optout import schedule

    lines = schedule.remove(state.profile.name, system=system)
    if state.as_json:
        echo_json({"profile": state.profile.name, "output": lines})
    else:
        for line in lines:
            click.echo(line)


# -- notify -----------------------------------------------------------------------------------


@click.group("notify")
def notify_group():
    """Notifications about drift and settings that need a person."""


@notify_group.command("test")
@click.option(
    "--notify",
    "urls",
    multiple=True,
    metavar="URL",
    help="Send to this apprise URL (default: the ones stored by `schedule install`).",
)
@click.pass_obj
def notify_test(state: CliState, urls):
    """Send a test notification to the desktop and every notification address."""
    from optout import notify

    urls = list(urls) or notify.load_urls(state.profile.name)
    sent = notify.notify(
        "optout: test notification",
        f"If you can read this, optout can reach you about profile {state.profile.name}.",
        urls,
    )
    if state.as_json:
        echo_json({"sent": [d.__dict__ for d in sent]})
    else:
        for d in sent:
            click.echo(
                f"{'sent' if d.ok else 'FAILED'}: {d.target}" + (f" ({d.error})" if d.error else "")
            )
    if not sent:
        raise OptoutError(
            "Nothing to send to: no desktop session here and no notification address.",
            "Pass --notify URL (e.g. ntfy://ntfy.sh/your-topic), or store one with "
            "`optout schedule install --notify URL`.",
        )
    if not all(d.ok for d in sent):
        raise OptoutError(
            "Some notifications could not be sent (see above).",
            "Check the URL with apprise's documentation for that service.",
        )


COMMANDS = [history_cmd, report_cmd, schedule_group, notify_group]
