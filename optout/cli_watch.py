"""Commands for watching over time: history, report, schedule, notify.

Registered by the main CLI (`cli.add_command(...)`); each gets the root's CliState via
@click.pass_obj and prints for people with rich, or JSON with --json.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import click

from optout.clistate import CliState
from optout.errors import OptoutError
from optout.paths import write_private

_RELATIVE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)


class Since(click.ParamType):
    """`7d`, `12h`, `2w`, or a date/time such as `2026-11-01` (local time)."""

    name = "since"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        if m := _RELATIVE.match(value):
            unit = {"h": "hours", "d": "days", "w": "weeks"}[m.group(2).lower()]
            return datetime.now(timezone.utc) - timedelta(**{unit: int(m.group(1))})
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
                at = datetime.combine(date.fromisoformat(value.strip()), time())
            else:
                at = datetime.fromisoformat(value.strip())
        except ValueError:
            self.fail(f"{value!r} is neither a duration (7d, 12h, 2w) nor a date (2026-11-01)", param, ctx)
        return at if at.tzinfo else at.astimezone()


SINCE = click.option("--since", type=Since(), metavar="7d|2026-11-01",
                     help="Only what happened since then (a duration like 7d, 12h, 2w, or a date).")


def _console():
    from rich.console import Console

    return Console()


def _json(data) -> None:
    from optout.report import _inert_all

    click.echo(json.dumps(_inert_all(data), indent=2, sort_keys=True, ensure_ascii=False, default=str))


# -- history, report --------------------------------------------------------------------------


@click.command("history")
@click.argument("platform", required=False)
@SINCE
@click.pass_obj
def history_cmd(state: CliState, platform, since):
    """Show every recorded result, oldest first, and what needed attention."""
    from optout.history import History
    from optout.report import _when, inert, timeline_table

    rows, drift = [], []
    if state.profile.history_db.exists():
        with History(state.profile) as history:
            rows = history.timeline(platform=platform, since=since)
            drift = history.drift_log(since=since, platform=platform)
    if state.as_json:
        _json({"profile": state.profile.name, "results": rows, "drift": drift})
        return
    console = _console()
    if not rows:
        console.print(f"No results recorded yet for profile {state.profile.name}. Run `optout check` first.",
                      highlight=False, markup=False)
        return
    timeline_table(rows, console, title=f"History of profile {state.profile.name}")
    for d in drift:
        who = f" ({inert(d['account'])})" if d["account"] else ""
        console.print(f"! {_when(d['at'])} {inert(d['platform'])}{who}: {inert(d['detail'])}",
                      style="bold red", highlight=False, markup=False)


@click.command("report")
@SINCE
@click.option("-o", "--output", metavar="FILE", help="Where to write the page ('-' for stdout). "
              "Default: optout-report-PROFILE.html in the current folder.")
@click.pass_obj
def report_cmd(state: CliState, since, output):
    """Write a one-page HTML evidence report (screenshots included) to attach to a complaint."""
    from optout.report import html_report

    page = html_report(state.profile, since=since)
    if output == "-":
        click.echo(page)
        return
    path = Path(output or f"optout-report-{state.profile.name}.html")
    # The report names accounts and shows their settings pages: readable by its owner only.
    write_private(path, page.encode("utf-8"))
    if state.as_json:
        _json({"report": str(path.resolve())})
    else:
        click.echo(f"Wrote {path} — open it in a browser; it prints to one document per account.")


# -- schedule ---------------------------------------------------------------------------------

_SYSTEM = click.option("--system", type=click.Choice(["auto", "systemd", "launchd", "windows", "cron"]),
                       default="auto", show_default=True, help="Which scheduler to use.")


def _system(value: str) -> str | None:
    return None if value == "auto" else value


@click.group("schedule")
def schedule_group():
    """Re-check on a schedule, and hear about it when something changes."""


@schedule_group.command("install")
@click.option("--every", type=click.Choice(["daily", "weekly"]), default="daily", show_default=True)
@click.option("--fix", is_flag=True, help="Switch settings off again when found on (default: only check).")
@click.option("--notify", "urls", multiple=True, metavar="URL",
              help="Also notify this apprise URL (ntfy, e-mail, Matrix, Slack, …); kept in the keyring.")
@click.option("--dry-run", is_flag=True, help="Print what would be written; install nothing.")
@_SYSTEM
@click.pass_obj
def schedule_install(state: CliState, every, fix, urls, dry_run, system):
    """Install a daily or weekly unattended re-check of this profile."""
    from optout import schedule

    if state.sandbox:
        raise OptoutError("Schedules check the real sites; --sandbox cannot be scheduled.",
                          "Run the same command without --sandbox.")
    spec = schedule.ScheduleSpec(every=every, fix=fix, notify=list(urls), profile=state.profile.name)
    chosen = _system(system) or schedule.detect_system()
    lines = schedule.install(spec, dry_run=dry_run, system=chosen)
    if state.as_json:
        _json({"system": chosen, "dry_run": dry_run, "profile": spec.profile, "output": lines,
               "notify_urls": len(spec.notify)})
        return
    for line in lines:
        click.echo(line)
    if not dry_run:
        click.echo(f"Scheduled a {every} {'fix' if fix else 'check'} of profile {spec.profile} ({chosen})."
                   + (f" {len(urls)} notification address(es) stored in the keyring." if urls else "")
                   + " See it with: optout schedule status")


@schedule_group.command("status")
@_SYSTEM
@click.pass_obj
def schedule_status(state: CliState, system):
    """Show whether a schedule is installed for this profile."""
    from optout import schedule

    info = schedule.status(state.profile.name, system=_system(system))
    if state.as_json:
        _json(info)
        return
    if not info["installed"]:
        click.echo(f"No schedule installed for profile {info['profile']} ({info['system']}). "
                   "Install one with: optout schedule install --every daily")
        return
    click.echo(f"Scheduled ({info['system']}) for profile {info['profile']}; "
               f"{info['notify_urls']} notification address(es) in the keyring.")
    for f in info["files"]:
        click.echo(f"  {f}")
    if info["detail"]:
        click.echo(info["detail"])


@schedule_group.command("remove")
@_SYSTEM
@click.pass_obj
def schedule_remove(state: CliState, system):
    """Remove this profile's schedule and its stored notification addresses."""
    from optout import schedule

    lines = schedule.remove(state.profile.name, system=_system(system))
    if state.as_json:
        _json({"profile": state.profile.name, "output": lines})
    else:
        for line in lines:
            click.echo(line)


# -- notify -----------------------------------------------------------------------------------


@click.group("notify")
def notify_group():
    """Notifications about drift and settings that need a person."""


@notify_group.command("test")
@click.option("--notify", "urls", multiple=True, metavar="URL",
              help="Send to this apprise URL (default: the ones stored by `schedule install`).")
@click.pass_obj
def notify_test(state: CliState, urls):
    """Send a test notification to the desktop and every notification address."""
    from optout import notify

    urls = list(urls) or notify.load_urls(state.profile.name)
    sent = notify.notify("optout: test notification",
                         f"If you can read this, optout can reach you about profile {state.profile.name}.",
                         urls)
    if state.as_json:
        _json({"sent": [d.__dict__ for d in sent]})
    else:
        for d in sent:
            click.echo(f"{'sent' if d.ok else 'FAILED'}: {d.target}" + (f" ({d.error})" if d.error else ""))
    if not sent:
        raise OptoutError("Nothing to send to: no desktop session here and no notification address.",
                          "Pass --notify URL (e.g. ntfy://ntfy.sh/your-topic), or store one with "
                          "`optout schedule install --notify URL`.")
    if not all(d.ok for d in sent):
        raise OptoutError("Some notifications could not be sent (see above).",
                          "Check the URL with apprise's documentation for that service.")


COMMANDS = [history_cmd, report_cmd, schedule_group, notify_group]
