"""`optout ui`: the local page for people who do not live in a terminal (optout.ui does the work)."""

from __future__ import annotations

import click

from optout.cli.common import CliState, run_async


@click.command("ui")
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=0,
    metavar="PORT",
    help="Port on 127.0.0.1 (default: any free one).",
)
@click.option(
    "--no-open",
    is_flag=True,
    help="Do not open the page in the default browser; print its link only.",
)
@click.pass_obj
def ui(state: CliState, port, no_open):
    """Open a page in your browser: where you stand, check or switch off, help someone, accounts.

    It listens on 127.0.0.1 only, behind a one-time link; it stops when you press Close on the
    page or Ctrl-C here. With --json, prints the link as JSON."""
    from optout.browser import can_show_window
    from optout.cli.common import sandbox_opts
    from optout.ui.app import Ui, bind, serve
    from optout.ui.jobs import UiContext

    if state.connect:
        raise click.UsageError("optout ui works in a browser of its own; leave out --connect.")
    ctx = UiContext(
        profile=state.profile.ensure(),
        browser_path=state.browser_path,
        sandbox=state.sandbox,
        headless=not state.headed,
        attended=not state.unattended and can_show_window(),
        **sandbox_opts(state),
    )
    page = Ui(ctx)
    sock = bind(port)

    def ready(url: str) -> None:
        if state.as_json:
            import json

            click.echo(json.dumps({"url": url, "port": page.guard.port}), nl=True)
        else:
            click.echo(
                f"optout ui is at {url}\nIt stops when you press Close on the page, or Ctrl-C here.",
                err=True,
            )
        if not no_open:
            import webbrowser

            webbrowser.open(url)

    run_async(serve(page, sock, on_ready=ready))
    if not state.as_json:
        click.echo(
            "Stopped (Close was pressed on the page)." if page.closed_by_page else "Stopped.",
            err=True,
        )


COMMANDS = [ui]
