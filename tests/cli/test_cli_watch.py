"""The watch commands (history, report, schedule, notify) through click's CliRunner."""

from __future__ import annotations

import json
import stat
import subprocess
from datetime import UTC, datetime, timedelta

import click
import pytest
from click.testing import CliRunner

from optout import schedule
from optout.cli.common import CliState
from optout.cli.watch import COMMANDS, Since
from optout.errors import OptoutError
from optout.history import History
from optout.notify import load_urls
from optout.paths import Profile
from optout.results import Result
from optout.states import State


@click.group()
@click.option("--json", "as_json", is_flag=True)
@click.option("--sandbox", is_flag=True)
@click.pass_context
def root(ctx, as_json, sandbox):
    ctx.obj = CliState(profile=Profile("default"), as_json=as_json, sandbox=sandbox)


for command in COMMANDS:
    root.add_command(command)


def invoke(*args, ok=True):
    result = CliRunner(env={"COLUMNS": "220"}).invoke(root, list(args), catch_exceptions=True)
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


@pytest.fixture
def recorded():
    """Two runs: LinkedIn's setting off, then switched back on by the platform."""
    old = datetime.now(UTC) - timedelta(days=30)
    with History(Profile()) as h:
        first = h.start_run("check")
        h.record(
            first,
            Result(
                "linkedin",
                "train",
                State.OFF,
                label="Train AI \x1b[2J[red]x[/red]",
                account="a@example.org",
                at=old,
            ),
        )
        h.record(first, Result("x", "grok", State.OFF, label="Grok", at=old))
        h.finish_run(first)
        second = h.start_run("scheduled")
        h.record(
            second,
            Result(
                "linkedin",
                "train",
                State.ON,
                label="Train AI \x1b[2J[red]x[/red]",
                account="a@example.org",
            ),
        )
        h.finish_run(second)
        h.drift(second)


def test_since_parsing():
    since = Since()
    now = datetime.now(UTC)
    assert abs(since.convert("7d", None, None) - (now - timedelta(days=7))) < timedelta(seconds=5)
    assert abs(since.convert("12h", None, None) - (now - timedelta(hours=12))) < timedelta(
        seconds=5
    )
    day = since.convert("2026-11-01", None, None)
    assert (day.year, day.month, day.day, day.hour) == (2026, 11, 1, 0) and day.tzinfo
    with pytest.raises(click.BadParameter):
        since.convert("last tuesday", None, None)


def test_history_table_and_drift(recorded):
    out = invoke("history").output
    assert "linkedin" in out and "Grok" in out and "scheduled" in out
    assert "[red]x[/red]" in out and "\x1b[2J" not in out  # page text shown literally, inert
    assert "is on again" in out


def test_history_filters(recorded):
    out = invoke("history", "x").output
    assert "Grok" in out and "a@example.org" not in out
    data = json.loads(invoke("--json", "history", "--since", "7d").output)
    assert [r["state"] for r in data["results"]] == ["on"]
    assert [d["kind"] for d in data["drift"]] == ["switched_on"]
    assert data["profile"] == "default"
    assert "\x1b" not in json.dumps(data)


def test_history_empty():
    assert "No results recorded yet" in invoke("history").output
    assert json.loads(invoke("--json", "history").output)["results"] == []
    assert not Profile().history_db.exists()  # reading never creates a history


def test_bad_since_is_a_usage_error():
    assert invoke("history", "--since", "soon", ok=False).exit_code == 2


def test_report_file(recorded, tmp_path):
    target = tmp_path / "out.html"
    out = invoke("report", "-o", str(target)).output
    assert "Wrote" in out
    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>") and "Train AI" in page
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(invoke("--json", "report", "-o", str(target)).output)["report"] == str(target)
    assert invoke("report", "-o", "-", "--since", "7d").output.startswith("<!DOCTYPE html>")


@pytest.fixture
def fake_scheduler(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    calls = []
    monkeypatch.setattr(
        schedule,
        "_run",
        lambda cmd, input=None: calls.append(cmd) or subprocess.CompletedProcess(cmd, 0, "", ""),
    )
    return home, calls


def test_schedule_dry_run(fake_scheduler):
    home, calls = fake_scheduler
    out = invoke(
        "schedule",
        "install",
        "--every",
        "weekly",
        "--fix",
        "--notify",
        "ntfy://t0ken@x/y",
        "--dry-run",
        "--system",
        "systemd",
    ).output
    assert "OnCalendar=Mon" in out and "--profile default off --scheduled" in out
    assert "t0ken" not in out and calls == [] and not (home / ".config").exists()


def test_schedule_install_status_remove(fake_scheduler):
    home, calls = fake_scheduler
    out = invoke(
        "schedule", "install", "--notify", "ntfy://t0ken@x/y", "--system", "systemd"
    ).output
    assert (
        "wrote" in out
        and "Scheduled a daily check of profile default" in out
        and "t0ken" not in out
    )
    assert load_urls("default") == ["ntfy://t0ken@x/y"]
    assert ["systemctl", "--user", "enable", "--now", "optout-default.timer"] in calls
    status = json.loads(invoke("--json", "schedule", "status", "--system", "systemd").output)
    assert status["installed"] and status["notify_urls"] == 1
    assert "Scheduled (systemd)" in invoke("schedule", "status", "--system", "systemd").output
    assert "deleted" in invoke("schedule", "remove", "--system", "systemd").output
    assert "No schedule installed" in invoke("schedule", "status", "--system", "systemd").output


def test_schedule_refuses_sandbox(fake_scheduler):
    result = invoke("--sandbox", "schedule", "install", "--dry-run", ok=False)
    assert isinstance(result.exception, OptoutError)


def test_notify_test(apprise_receiver, monkeypatch):
    url, received = apprise_receiver
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    out = invoke("notify", "test", "--notify", url).output
    assert "sent: json://…" in out and "127.0.0.1" not in out
    assert received[0]["title"] == "optout: test notification"


def test_notify_test_with_nowhere_to_send(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    result = invoke("notify", "test", ok=False)
    assert isinstance(result.exception, OptoutError) and "Nothing to send to" in str(
        result.exception
    )
