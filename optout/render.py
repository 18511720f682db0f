"""Terminal output for people: a run's results with drift and guides, doctor checks, profiles.

The CLI parses and calls the API; what it shows is built here. The rich tables of results and
history and the HTML evidence report live in optout.report. Text that came from a platform's page
is untrusted: it is made inert and shown as rich Text, never parsed as markup.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.padding import Padding
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from optout import report

DRIFT_WORDS = {
    "switched_on": "switched back on",
    "new_setting": "a new setting",
    "broken_streak": "broken for several runs",
    "login_failing": "sign-in keeps failing",
}


def when(iso: str | None, never: str = "") -> str:
    """A stored UTC timestamp as people read it."""
    return report.format_when(iso) if iso else never


def json_text(data) -> str:
    """Stable JSON for scripts: sorted keys, inert text."""
    return json.dumps(
        report.inert_all(data), indent=2, sort_keys=True, ensure_ascii=False, default=str
    )


def results(found: Iterable, console: Console, drift: Iterable = ()) -> None:
    """A run's results table, what drifted since the last run, and the steps of any guide."""
    found = list(found)
    report.results_table(found, console)
    for d in drift:
        what = DRIFT_WORDS.get(d.kind, d.kind)
        console.print(
            Text(f"Attention — {what} ({d.platform}): {report.inert(d.detail)}", style="bold red")
        )
    guides(sorted({r.platform for r in found if r.setting == "guide"}), console)


def guides(platforms: Iterable[str], console: Console) -> None:
    """What a person does by hand on platforms optout cannot switch off itself."""
    platforms = list(platforms)
    if not platforms:
        return
    from optout.flowfile.layers import (  # pydantic only when flows are read
        Layers,
        load_flows,
    )

    flows = load_flows(Layers.person())
    for platform in platforms:
        guide = flows[platform].guide
        console.print(Text(f"\n{flows[platform].name} — what to do:", style="bold"))
        for i, step in enumerate(guide.steps, 1):
            console.print(Text(f"  {i}. {step}"))
        for link in guide.links:
            console.print(Text(f"  {link}"))
        if guide.email_to:
            console.print(
                Text(f"  E-mail to {guide.email_to}, subject: {guide.email_subject or ''}")
            )
            console.print(Text("  " + (guide.email_body or "").replace("\n", "\n  ")))


def doctor(lines: Iterable, console: Console) -> None:
    """The doctor's checks as a list: each ok or not with what was found, and its fix under it."""
    for line in lines:
        console.print(
            Text.assemble(
                ("ok " if line.ok else "!! ", "green" if line.ok else "bold red"),
                (line.name, "bold"),
                ": ",
                line.value,
            )
        )
        if line.fix:
            console.print(Padding(Text("fix: " + line.fix), (0, 0, 0, 5), expand=False))


def profiles(found: Iterable, console: Console) -> None:
    """Every profile: its accounts, saved sessions and last run."""
    table = Table("profile", "accounts", "saved sessions", "last run")
    for p in found:
        table.add_row(
            Text(p.name),
            "?" if p.accounts < 0 else str(p.accounts),
            str(p.sessions),
            when(p.last_run, never="never"),
        )
    console.print(table)


def drift_lines(drift: Iterable[dict], console: Console) -> None:
    """History's record of what needed attention, one line each."""
    for d in drift:
        who = f" ({report.inert(d['account'])})" if d["account"] else ""
        console.print(
            f"! {when(d['at'])} {report.inert(d['platform'])}{who}: {report.inert(d['detail'])}",
            style="bold red",
            highlight=False,
            markup=False,
        )


def status(
    found: list,
    next_step: str | None,
    profile: str,
    console: Console,
    hint: Callable[[str], str] = str,
) -> None:
    """Where each account and setting stands, from history: one block per setting (its short id,
    state and age; its label, drift and next command under it), then the one command to run next.
    `hint` rewrites a command it suggests (a sandbox run's keep --sandbox)."""
    if not found:
        console.print(
            Text(
                hint(
                    f"Nothing known yet for profile {profile}. Add an account with "
                    "`optout account add PLATFORM`, or try `optout demo`."
                )
            )
        )
        return
    console.print(Text(f"Where profile {profile} stands", style="bold"))
    for s in found:
        console.print(
            Text.assemble(
                (report.inert(s.platform), "bold"),
                f" ({report.inert(s.account)})" if s.account else "",
                "  ",
                report.inert(s.setting) or "—",
                "  ",
                (report.inert(s.state), report.STATE_STYLES.get(s.state, "")),
                (f"  read {s.age}", "dim"),
            )
        )
        lines = [(report.inert(s.label), "")] if s.label and s.label != s.setting else []
        lines += [(f"! {report.inert(d)}", "red") for d in s.drift]
        lines += [(report.inert(s.note), "dim")] if s.note else []
        lines += [(f"next: {s.next}", "bold")] if s.next else []
        for line, style in lines:
            console.print(Padding(Text(line, style=style), (0, 0, 0, 4), expand=False))
    console.print(
        Text.assemble("Next: ", (next_step, "bold"))
        if next_step
        else Text("Nothing to do: every setting reads off and was read in the last week.")
    )


@contextmanager
def progress(
    console: Console, platforms: list[str], enabled: bool, delay: float = 1.0
) -> Iterator[Callable]:
    """Progress on stderr for a run that takes longer than a second: which platform was last heard
    from and how many of the platforms have reported. Yields the callback to give each result;
    shows nothing unless `enabled` and `console` is a terminal."""
    if not enabled or not console.is_terminal:
        yield lambda result: None
        return

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = bar.add_task("starting the browser…", total=len(platforms) or None)
    seen: set[str] = set()
    lock = threading.Lock()
    done = False

    def start() -> None:  # a run done within `delay` seconds shows no bar at all
        with lock:
            if not done:
                bar.start()

    timer = threading.Timer(delay, start)
    timer.daemon = True
    if delay > 0:
        timer.start()
    else:
        start()

    def update(result) -> None:
        seen.add(result.platform)
        bar.update(
            task, completed=len(seen), description=f"reading {report.inert(result.platform)}"
        )

    try:
        yield update
    finally:
        timer.cancel()
        with lock:
            done = True
            bar.stop()
