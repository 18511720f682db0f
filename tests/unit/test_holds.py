"""Sign-in holds (optout.holds), where they show (`optout status`), and when a run counts as
attended (a person at a terminal where a window can open)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from optout.cli import cli
from optout.cli.common import CliState, attended
from optout.holds import Holds
from optout.paths import Profile


def test_a_hold_is_per_account_without_case_and_lifted_by_platform_or_account():
    holds = Holds(Profile())
    holds.put("linkedin", "Ann@Example.org", "asks for a code sent by e-mail", "needs_human")
    holds.put("x", "ann", "did not accept the stored password")
    assert holds.get("linkedin", "ann@example.org")["state"] == "needs_human"
    assert oct(holds.path.stat().st_mode)[-3:] == "600"
    assert (
        holds.clear("linkedin", "ANN@example.org")
        and holds.get("linkedin", "ann@example.org") is None
    )
    assert not holds.clear("linkedin")
    assert holds.clear("x") and holds.all() == []


def test_a_damaged_holds_file_is_no_hold_not_a_crash():
    holds = Holds(Profile())
    Profile().ensure()
    holds.path.write_text("{not json")
    assert holds.get("linkedin", "ann") is None
    holds.put("linkedin", "ann", "asks for a security check (CAPTCHA)")
    assert [h["account"] for h in holds.all()] == ["ann"]


def test_status_names_a_held_account_and_sends_the_person_to_optout_login():
    Holds(Profile()).put(
        "linkedin", "ann@example.org", "asks for a code sent by e-mail", "needs_human"
    )
    out = CliRunner().invoke(cli, ["status", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    [row] = [s for s in data["settings"] if s["platform"] == "linkedin"]
    assert "password held back" in row["note"] and "code sent by e-mail" in row["note"]
    assert row["next"] == "optout login linkedin" and data["next"] == "optout login linkedin"


def test_attended_only_at_a_terminal_where_a_window_can_open(monkeypatch):
    import sys

    class Tty:
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdin", Tty())
    monkeypatch.setattr(sys, "stderr", Tty())
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":5")
    state = CliState()
    assert attended(state)
    assert not attended(state, scheduled=True)
    assert not attended(CliState(unattended=True))
    monkeypatch.delenv("DISPLAY")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not attended(state)  # no desktop session (SSH, a container): needs_human, no window
    monkeypatch.setenv("DISPLAY", ":5")
    monkeypatch.setattr(sys, "stdin", open("/dev/null"))
    assert not attended(state)
