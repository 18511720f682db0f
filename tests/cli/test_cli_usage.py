"""Typos on the command line are usage errors that name the nearest valid choice (CliRunner)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from optout.cli import cli
from optout.cli.common import check_settings


def invoke(*args):
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("command", ["off", "assist"])
def test_an_unknown_setting_is_a_usage_error_listing_the_valid_ids(command):
    result = invoke(command, "x", "--setting", "personalizaton")
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert "No setting personalizaton on x" in flat and "Did you mean personalization?" in flat
    assert "training" in flat and "memory (optional)" in flat


def test_an_unknown_setting_without_platforms_is_checked_against_every_platform():
    result = invoke("off", "--setting", "personalizaton", "--dry-run")
    assert result.exit_code == 2
    assert "Did you mean personalization?" in " ".join(result.output.split())


def test_valid_setting_ids_pass():
    check_settings(["x"], ["memory", "x:personalization", "memory/some-item", "training"])
    check_settings([], ["linkedin:ai-objection"])
    with pytest.raises(click.UsageError):
        check_settings(["linkedin"], ["memory"])  # X's setting, not LinkedIn's


def test_an_unknown_platform_suggests_the_nearest_name():
    result = invoke("check", "linkdin")
    assert result.exit_code == 2
    assert "optout has no flow for linkdin. Did you mean linkedin?" in result.output
    assert "Supported:" in result.output


def test_a_platform_with_nothing_near_suggests_nothing():
    result = invoke("check", "myspace")
    assert result.exit_code == 2
    assert (
        "optout has no flow for myspace." in result.output and "Did you mean" not in result.output
    )


def every_command(group: click.Group, path: tuple[str, ...] = ()):
    yield path
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))
        else:
            yield (*path, name)


@pytest.mark.parametrize("path", list(every_command(cli)), ids=lambda p: " ".join(p) or "optout")
def test_every_help_fits_80_columns(path):
    result = CliRunner(env={"COLUMNS": "80"}).invoke(cli, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    wide = [line for line in result.output.splitlines() if len(line) > 80]
    assert not wide, wide
