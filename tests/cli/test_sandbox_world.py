"""Replica and real mode never mix (issue 22): every hint of a `--sandbox` run keeps `--sandbox`,
`--sandbox status` names the profile history uses, and the report and handout of replica runs are
marked as a sample."""

from __future__ import annotations

import re

from click.testing import CliRunner

from optout.cli import cli
from optout.history import History
from optout.paths import Profile
from optout.results import Result
from optout.states import State


def invoke(*args: str, **kwargs):
    done = CliRunner().invoke(cli, list(args), env={"COLUMNS": "80"}, **kwargs)
    assert "Traceback" not in done.output
    return done


def commands(text: str) -> list[str]:
    """Every optout command the text suggests (backquoted, or after "Next:" / "Add one:")."""
    found = re.findall(r"`(optout [^`]+)`", text)
    found += re.findall(r"(?:Next|Add one|data): (optout [^\n]+)", text)
    return found


def record(profile: Profile, *results: Result) -> None:
    with History(profile) as h:
        run = h.start_run("check")
        for r in results:
            h.record(run, r)
        h.finish_run(run)


def test_sandbox_hints_keep_sandbox():
    said = []
    said.append(
        invoke(
            "--sandbox",
            "account",
            "add",
            "linkedin",
            input="demo@example.org\nsandbox-demo-password\n",
        ).output
    )
    said.append(invoke("--sandbox", "account", "list").output)
    said.append(invoke("--sandbox", "account", "remove", "x").output)  # an error with a hint
    said.append(invoke("--sandbox", "history").output)
    record(
        Profile("sandbox-default"),
        Result(
            "linkedin",
            "generative-ai",
            State.NEEDS_LOGIN,
            account="demo@example.org",
            detail="LinkedIn asks to sign in. Sign in yourself with `optout login linkedin`.",
        ),
        Result("x", "grok", State.BROKEN, account="demo@example.org", detail="page changed"),
    )
    said.append(invoke("--sandbox", "status").output)
    found = [c for text in said for c in commands(text)]
    assert found, said
    assert all("--sandbox" in c for c in found), found


def test_sandbox_result_details_keep_sandbox(monkeypatch):
    from optout import api
    from optout.api import Results

    async def check(platforms, **opts):
        return Results(
            [
                Result(
                    "linkedin",
                    "generative-ai",
                    State.NEEDS_LOGIN,
                    account="a",
                    detail="Sign in yourself with `optout login linkedin`.",
                )
            ]
        )

    monkeypatch.setattr(api, "check", check)
    done = invoke("--sandbox", "check", "linkedin")
    assert "optout --sandbox login linkedin" in " ".join(done.output.split())


def test_sandbox_status_names_the_profile_history_uses():
    record(Profile("sandbox-default"), Result("linkedin", "generative-ai", State.OFF, account="a"))
    done = invoke("--sandbox", "status")
    assert "sandbox-default" in done.output
    profiles = invoke("profile", "list").output
    assert "sandbox-default" in profiles
    import json

    assert (
        json.loads(invoke("--sandbox", "status", "--json").output)["profile"] == "sandbox-default"
    )


def test_sandbox_report_and_handout_are_marked_as_a_sample(tmp_path):
    record(Profile("sandbox-default"), Result("linkedin", "generative-ai", State.OFF, account="a"))
    record(Profile(), Result("linkedin", "generative-ai", State.OFF, account="a"))
    for command in ("report", "handout"):
        sample = invoke("--sandbox", command, "-o", str(tmp_path / f"s-{command}.html"))
        assert sample.exit_code == 0, sample.output
        assert "Sample, made on replicas" in (tmp_path / f"s-{command}.html").read_text()
        real = invoke(command, "-o", str(tmp_path / f"r-{command}.html"))
        assert real.exit_code == 0, real.output
        assert "Sample, made on replicas" not in (tmp_path / f"r-{command}.html").read_text()
