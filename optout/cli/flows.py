"""Flows beyond the shipped ones: the person's own flow folder and signed flow updates."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from optout.cli.capture import flows_test
from optout.cli.common import CliState
from optout.flowfile import guard, updates
from optout.flowfile.folders import user_flows_dir

ALLOW_HELP = (
    "Allow a flow to reach these https origins beyond the shipped flow's (comma-separated or "
    "repeated). Type them yourself, and only for sites you trust: a password may be sent there."
)


@click.group()
def flows():
    """Your own flows and signed flow updates, for when a platform changes its page.

    \b
    A flow file in your flow folder (optout flows path) is used instead of
    the shipped one once it matches the schema; a signed update (optout
    flows update) is used where you have no local flow. `optout flows test`
    reads captured pages with a flow file before you use it; `optout flows
    new` starts a new platform in a clone of optout.
    """


flows.add_command(flows_test)


@flows.command("new")
@click.argument("platform")
@click.option("--domain", required=True, help="The platform's own domain, e.g. acme.com.")
@click.option("--name", help="The platform's name as people know it (default: from PLATFORM).")
@click.option("--setting", default="ai-training", show_default=True, help="The setting's id.")
@click.option(
    "--label",
    default="Use my content to train AI models",
    show_default=True,
    help="The switch's accessible name (a placeholder until sourced).",
)
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    help="The clone of optout's repository to write into (default: here).",
)
@click.pass_obj
def flows_new(
    state: CliState,
    platform: str,
    domain: str,
    name: str | None,
    setting: str,
    label: str,
    into: Path,
):
    """Start a new platform: its flow (flows/PLATFORM.yaml), a sandbox replica of its settings page
    and a short test that runs the flow against it through a real browser, in a clone of optout.
    The test passes as written; then make flow and replica match the real platform, with sources."""
    from optout.flowfile.scaffold import (  # the schema (pydantic) only for this command
        NewPlatform,
        scaffold,
    )

    new = NewPlatform(
        platform, name or platform.replace("-", " ").title(), domain.lower(), setting, label
    )
    files = scaffold(new, into)
    if state.as_json:
        click.echo(json.dumps({k: str(v) for k, v in files.items()}, indent=2))
        return
    for what, path in files.items():
        click.echo(f"{what:<8} {path}")
    test = files["test"].relative_to(into) if files["test"].is_relative_to(into) else files["test"]
    click.echo(
        f"\nNext: source every fact in {files['flow'].name} (docs/flows.md explains each key), make\n"
        f"the replica look like the real page, and run: python -m pytest {test}"
    )


@flows.command("path")
@click.pass_obj
def flows_path(state: CliState):
    """Print your flow folder (set OPTOUT_FLOWS to use another one)."""
    if state.as_json:
        click.echo(
            json.dumps(
                {
                    "flows": str(user_flows_dir()),
                    "updates": str(updates.updates_dir()),
                    "allowances": str(guard.allowances_path()),
                },
                indent=2,
            )
        )
    else:
        click.echo(str(user_flows_dir()))


@flows.command("add")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--allow-origins", "allow", multiple=True, metavar="ORIGINS", help=ALLOW_HELP)
@click.pass_obj
def flows_add(state: CliState, file: Path, allow: tuple[str, ...]):
    """Check FILE and copy it into your flow folder, where it overrides the shipped flow of the
    same name (FILE must be named after the platform, e.g. linkedin.yaml)."""
    from optout.flowfile.local import add_local  # the schema (pydantic) only for this command
    from optout.report import inert_all  # rich only for this command

    info = inert_all(add_local(file, guard.split_origins(allow)))  # a stranger's names and texts
    if state.as_json:
        click.echo(json.dumps(info, indent=2))
        return
    shipped = info["shipped_version"]
    over = (
        f"instead of the shipped flow (version {shipped})"
        if shipped
        else "(optout ships no flow for it)"
    )
    click.echo(f"{info['name']}: your flow (version {info['version']}) is used from now on {over}.")
    click.echo(f"Saved as {info['file']}. To go back: optout flows remove {info['platform']}")


@flows.command("remove")
@click.argument("platform", required=False)
@click.option(
    "--update", "update_too", is_flag=True, help="Remove the installed signed update instead."
)
@click.pass_obj
def flows_remove(state: CliState, platform: str | None, update_too: bool):
    """Remove your local flow for PLATFORM (or, with --update, the installed update), so the
    shipped or updated flow is used again."""
    from optout.flowfile.local import remove_local  # the schema (pydantic) only for this command

    if bool(platform) == update_too:
        raise click.UsageError(
            "Give a PLATFORM whose local flow to remove, or --update (not both)."
        )
    if update_too:
        removed = updates.remove()
        what = "the installed flow update" if removed else "no flow update was installed"
    else:
        remove_local(platform)
        removed, what = True, f"your local flow for {platform}"
    if state.as_json:
        click.echo(json.dumps({"removed": removed, "what": what}))
    else:
        click.echo(f"Removed {what}." if removed else f"Nothing removed: {what}.")


@flows.command("update")
@click.argument("source", metavar="FILE|URL")
@click.option("--check", is_flag=True, help="Show what would change; install nothing.")
@click.option("--allow-origins", "allow", multiple=True, metavar="ORIGINS", help=ALLOW_HELP)
@click.pass_obj
def flows_update(state: CliState, source: str, check: bool, allow: tuple[str, ...]):
    """Install a signed flow bundle from a file or an https URL. It is installed only when its
    signature verifies against optout's release key, it is newer than your flows, and every flow
    in it is valid; a refused bundle changes nothing."""
    # https (ssl), the schema (pydantic) and rich only for this command
    from optout.flowfile import fetch, install
    from optout.report import inert_all

    data = fetch.read_source(source)
    command = f"optout flows update {source}"
    result = inert_all(install.update(data, source, guard.split_origins(allow), check, command))
    if state.as_json:
        click.echo(json.dumps(result, indent=2))
        return
    head = f"Flow update #{result['sequence']} ({result['created']})" + (
        " would change:" if check else " installed:"
    )
    click.echo(head)
    for row in result["flows"]:
        if row["change"] == "new":
            line = f"new platform, version {row['version']}"
        elif row["change"] == "changed":
            line = f"version {row['current_version']} -> {row['version']}"
        else:
            line = f"unchanged (version {row['version']})"
        if row["overridden_by_local"]:
            line += "; your local flow still comes first"
        click.echo(f"  {row['platform']:<16} {line}")
    if check:
        click.echo(f"Nothing was installed. To install it: {command}", err=True)
    sys.stdout.flush()


COMMANDS = [flows]
