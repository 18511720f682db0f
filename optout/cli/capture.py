"""Captures of real pages: `optout capture show|list` to review them before sharing, and
`optout flows test FLOW.yaml --capture FILE...` to read them with a flow (optout.capture)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import click

from optout.cli.common import CliState, echo_json, run_async


@click.group()
def capture():
    """Review the pages `optout check PLATFORM --capture` kept, before sharing them."""


@capture.command("show")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def capture_show(state: CliState, file: Path):
    """Print everything a capture file holds: its header, then the page as a tree of elements
    (tag, #id, .classes, attributes) and texts. "▒" stands for text that was not kept."""
    from optout.capture import fileformat

    captured = fileformat.read(file)
    if state.as_json:
        echo_json(fileformat.as_json(captured))
    else:
        click.echo(fileformat.show(captured))


@capture.command("list")
@click.pass_obj
def capture_list(state: CliState):
    """The captures kept in this profile, newest first."""
    from optout.capture import fileformat
    from optout.errors import OptoutError
    from optout.report import inert

    folder = state.profile.captures
    files = (
        sorted(folder.glob("*.html"), key=lambda p: p.name.rsplit("-", 1)[-1], reverse=True)
        if folder.is_dir()
        else []
    )
    rows = []
    for path in files:
        try:
            header = fileformat.read(path).header
        except OptoutError as exc:
            rows.append({"file": str(path), "problem": exc.message})
            continue
        rows.append(
            {
                "file": str(path),
                "platform": header["platform"],
                "setting": header["setting"],
                "state": header["state"],
                "captured_at": header["captured_at"],
            }
        )
    if state.as_json:
        echo_json({"folder": str(folder), "captures": rows})
        return
    if not rows:
        click.echo(f"No captures in {folder}. Take some with `optout check PLATFORM --capture`.")
        return
    click.echo(f"Captures in {folder}:")
    for row in rows:
        name = inert(Path(row["file"]).name)  # a shared file's name is anyone's
        if "problem" in row:
            click.echo(f"  {name}\n    {inert(row['problem'])}")
        else:
            click.echo(
                inert(
                    f"  {name}\n    {row['platform']} {row['setting']}: {row['state']}, {row['captured_at']}"
                )
            )


@click.command("test")
@click.argument("flow_file", metavar="FLOW.yaml", type=click.Path(dir_okay=False, path_type=Path))
@click.argument(
    "more", nargs=-1, metavar="[FILE]...", type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "--capture",
    "captures",
    multiple=True,
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A capture to read with the flow; more may follow (`--capture a.html b.html`). Each is "
    "served at its URL; nothing else is contacted, and nothing is switched.",
)
@click.pass_obj
def flows_test(
    state: CliState, flow_file: Path, more: tuple[Path, ...], captures: tuple[Path, ...]
):
    """Check a flow file against captured pages: validate it, read each capture's setting with it
    (read only) and compare with the state the capture recorded. Exit 1 when any differs."""
    from optout.capture import fileformat, replay
    from optout.flowfile.load import load_flow
    from optout.report import inert

    if not captures:
        raise click.UsageError("Name the captures to replay: --capture FILE [FILE]...")
    flow = load_flow(flow_file)
    files = [fileformat.read(path) for path in (*captures, *more)]
    done = run_async(
        replay.replay(flow, files, browser_path=state.browser_path, headless=not state.headed)
    )
    if state.as_json:
        echo_json(
            {"flow": flow.id, "flow_version": flow.version, "replays": [r.as_dict() for r in done]}
        )
    else:
        from optout.report import inert

        click.echo(inert(f"{flow.name} flow (version {flow.version}) on {len(done)} capture(s):"))
        for r in done:
            click.echo(inert(f"  {r.capture.path.name if r.capture.path else 'capture'}"))
            if r.problem:
                say(f"not replayed: {r.problem}")
                continue
            verdict = "as captured" if r.matches else f"captured as {inert(r.expected)}: DIFFERS"
            say(f"{r.capture.setting}: read {r.state} ({verdict})")
            if not r.matches and r.detail:
                say(inert(r.detail))
            if r.signed_in is False:
                say("(the flow's signed-in signals do not match this page)")
    sys.exit(0 if done and all(r.matches for r in done) else 1)


def say(text: str) -> None:
    """One indented paragraph of the replay's report, wrapped to 80 columns."""
    from optout.report import inert

    click.echo(textwrap.fill(inert(text), 80, initial_indent="    ", subsequent_indent="      "))


COMMANDS = [capture]  # `flows test` is attached to the flows group in optout.cli.flows
