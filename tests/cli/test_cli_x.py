"""`optout --sandbox … x` end to end through the CLI (CliRunner), against the X replica."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from optout.cli import cli
from optout.sandbox import Sandbox

SENTINEL_PASSWORD = "sentinel-pw-CliX5Jr9"
HANDLE = "demo_handle"


@pytest.fixture
def invoke(browser_path):
    def _invoke(*args, input=None):
        return CliRunner().invoke(
            cli, ["--browser-path", browser_path, *args], input=input, catch_exceptions=False
        )

    return _invoke


def rows(result) -> dict[str, dict]:
    return {r["setting"]: r for r in json.loads(result.stdout)["results"] if r["platform"] == "x"}


def test_sandbox_check_then_off_x(invoke, optout_home):
    # X asks "phone number or username" here: only a stored username may answer it.
    Sandbox.for_profile("default").configure(
        "x", "identifier_step", username=HANDLE, password=SENTINEL_PASSWORD
    )
    added = invoke("--sandbox", "account", "add", "x", input=f"{HANDLE}\n{SENTINEL_PASSWORD}\n")
    assert added.exit_code == 0, added.output

    check = invoke("--sandbox", "--json", "check", "x")
    assert check.exit_code == 3, check.output
    assert {k: r["state"] for k, r in rows(check).items()} == {
        "training": "on",
        "personalization": "on",
        "memory": "on",
    }

    off = invoke("--sandbox", "--json", "off", "x", "--setting", "memory")
    states = {k: (r["state"], r["changed"]) for k, r in rows(off).items()}
    assert states == {
        "training": ("off", True),
        "personalization": ("on", False),
        "memory": ("off", True),
    }
    # Personalization is optional and was not asked for: it reads on, and says so, but the run
    # did what the person asked, so the exit code is 0.
    assert rows(off)["personalization"]["optional"] is True
    assert off.exit_code == 0, off.output

    again = invoke("--sandbox", "--json", "check", "x")
    assert rows(again)["training"]["state"] == "off"
    replica = Sandbox.for_profile("default").replica("x")
    assert len(replica.events("login")) == 1, "the first run's session is reused by the later ones"
    for out in (added.output, check.output, off.output, again.output):
        assert SENTINEL_PASSWORD not in out
    for path in optout_home.rglob("*"):
        if path.is_file():
            assert SENTINEL_PASSWORD.encode() not in path.read_bytes(), path


def test_platforms_explains_x_and_grok(invoke):
    result = invoke("--json", "platforms")
    flows = {f["platform"]: f for f in json.loads(result.stdout)}
    x = {s["id"]: s for s in flows["x"]["settings"]}
    assert list(x) == ["training", "personalization", "memory"]
    assert x["training"]["label"].startswith("Allow your public data as well as your interactions")
    assert (
        not x["training"]["optional"]
        and x["personalization"]["optional"]
        and x["memory"]["optional"]
    )
    assert all(s["meaning"] and s["regions"] and "\n" not in s["meaning"] for s in x.values())
    assert "EU" in x["training"]["regions"] and "under-18" in x["training"]["regions"]
    [grok] = flows["grok"]["settings"]
    assert grok["label"] == "Improve the Model" and grok["url"] == "https://grok.com/?_s=data"
    assert "UK" in grok["regions"] and "Switzerland" in grok["regions"]
