"""Rendering results for people (rich table, HTML evidence report) and scripts (JSON).

Everything a platform's page put into a result (labels, details) is untrusted: a hostile or
broken page must not be able to colour, move or rewrite the terminal, nor run script in the
report. So text is made inert (controls and escape sequences removed), shown in the terminal as
rich Text (never parsed as markup) and HTML-escaped by jinja2's autoescape in the report.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import jinja2
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from optout import __version__
from optout.history import History
from optout.paths import Profile
from optout.states import EXPLANATIONS, State
from optout.textsafe import inert, inert_all  # noqa: F401 (kept importable from here)

STATE_STYLES: dict[str, str] = {
    "on": "bold red",
    "off": "green",
    "submitted": "green",
    "unavailable": "dim",
    "needs_login": "yellow",
    "needs_human": "bold yellow",
    "broken": "magenta",
    "error": "red",
}
MAX_IMAGE_BYTES = 8 * 1024 * 1024
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def as_dict(result) -> dict:
    """A Result (or Drift) as a dict; a history row (already a mapping) as a copy."""
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


#: How a result read by a flow that is not the shipped one is marked next to its platform.
FLOW_SOURCES = {"local": "local flow", "update": "updated flow"}


def platform_name(r: dict) -> str:
    """The platform, with "(local flow)" or "(updated flow)" when such a flow read the result."""
    marker = FLOW_SOURCES.get(str(r.get("flow_source") or "shipped"))
    return inert(r.get("platform")) + (f" ({marker})" if marker else "")


#: Below this many columns a table of labels and details wraps into towers: one block per setting.
WIDE = 120


def narrow(console: Console | None) -> bool:
    """Whether `console` is too narrow for the tables (a block per setting is printed instead)."""
    return console is not None and console.width < WIDE


def results_blocks(
    rows: Iterable, console: Console, title: str | None = None, when_column: bool = False
) -> None:
    """Results or history rows for a narrow terminal: a head line per setting (platform, account,
    the setting's short id, its state), the full label and the detail indented under it."""
    if title:
        console.print(Text(title, style="bold"))
    shown: list[str] = []
    for r in map(as_dict, rows):
        state = str(r.get("state", ""))
        shown.append(state)
        head = Text.assemble(
            (f"{format_when(r.get('at'))}  " if when_column and r.get("at") else "", "dim"),
            (platform_name(r), "bold"),
            (f" ({inert(r.get('account'))})" if r.get("account") else ""),
            "  ",
            inert(r.get("setting")),
            "  ",
            (inert(state), STATE_STYLES.get(state, "")),
            ("  changed" if r.get("changed") else "", "cyan"),
        )
        if when_column and r.get("run_kind"):
            head.append(f"  ({inert(r['run_kind'])})", style="dim")
        console.print(head)
        for line in (r.get("label"), r.get("detail")):
            if line and inert(line) != inert(r.get("setting")):
                console.print(Padding(Text(inert(line)), (0, 0, 0, 4), expand=False))
    caption = state_caption(shown)
    if caption is not None:
        console.print(caption)


def results_table(
    results: Iterable, console: Console | None = None, title: str | None = None
) -> Table:
    """Print (when given a console) and return a table of Results or history rows; on a narrow
    console, print one block per setting instead."""
    if narrow(console):
        results = list(results)
        results_blocks(results, console, title)
        console = None
    table = Table(title=title, show_lines=False, caption_justify="left")
    for column in ("platform", "account", "setting", "state", "changed", "detail"):
        table.add_column(column, overflow="fold")
    shown: list[str] = []
    for r in map(as_dict, results):
        state = str(r.get("state", ""))
        shown.append(state)
        table.add_row(
            Text(platform_name(r)),
            Text(inert(r.get("account")) or "—"),
            Text(inert(r.get("label") or r.get("setting"))),
            Text(inert(state), style=STATE_STYLES.get(state, "")),
            Text("yes" if r.get("changed") else "—"),
            Text(inert(r.get("detail"))),
        )
    table.caption = state_caption(shown)
    if console is not None:
        console.print(table)
    return table


def state_caption(states: Iterable[str]) -> Text | None:
    """One line per state that needs a word of explanation (everything but `off`), in plain language."""
    present = {str(s) for s in states}
    lines = [
        Text.assemble((f"{s.value}: ", STATE_STYLES.get(s.value, "")), EXPLANATIONS[s])
        for s in State
        if s.value in present and s is not State.OFF
    ]
    return Text("\n").join(lines) if lines else None


def timeline_table(
    rows: Iterable[dict], console: Console | None = None, title: str | None = None
) -> Table:
    """Print (when given a console) and return history rows, oldest first, with when and which run;
    on a narrow console, print one block per row instead."""
    if narrow(console):
        rows = list(rows)
        results_blocks(rows, console, title, when_column=True)
        console = None
    table = Table(title=title)
    for column in ("when", "run", "platform", "account", "setting", "state", "changed", "detail"):
        table.add_column(column, overflow="fold")
    for r in rows:
        state = str(r.get("state", ""))
        table.add_row(
            Text(format_when(r.get("at"))),
            Text(inert(r.get("run_kind", ""))),
            Text(platform_name(r)),
            Text(inert(r.get("account")) or "—"),
            Text(inert(r.get("label") or r.get("setting"))),
            Text(inert(state), style=STATE_STYLES.get(state, "")),
            Text("yes" if r.get("changed") else "—"),
            Text(inert(r.get("detail"))),
        )
    if console is not None:
        console.print(table)
    return table


def results_json(results: Iterable, drift: Iterable = ()) -> str:
    """Stable JSON for scripts: sorted keys, inert text."""
    payload = {
        "results": [inert_all(as_dict(r)) for r in results],
        "drift": [inert_all(as_dict(d)) for d in drift],
    }
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False, default=str)


# -- HTML evidence report -----------------------------------------------------------------------


@functools.cache
def _templates():
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("optout", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["inert"] = inert
    return env


def render_page(template: str, /, **context) -> str:
    """Render one of optout/templates (autoescaped, so page text can never become markup)."""
    return _templates().get_template(template).render(**context)


def format_when(iso: str | None) -> str:
    """An ISO time as people read it, in UTC to the minute; '' for none."""
    if not iso:
        return ""
    at = datetime.fromisoformat(iso).astimezone(UTC)
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _image(path_text: str) -> dict:
    path = Path(path_text)
    name = inert(path.name)
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:
            return {"name": name, "uri": "", "note": "too large to include; kept on disk"}
        data = path.read_bytes()
    except OSError:
        return {"name": name, "uri": "", "note": "file missing (pruned or moved)"}
    if not data.startswith(_PNG_MAGIC):
        return {"name": name, "uri": "", "note": "not a PNG screenshot; kept on disk"}
    return {
        "name": name,
        "uri": "data:image/png;base64," + base64.b64encode(data).decode(),
        "note": "",
    }


def _entry(row: dict) -> dict:
    return {
        "at": format_when(row["at"]),
        "state": inert(row["state"]),
        "changed": row["changed"],
        "detail": inert(row["detail"]),
        "images": [_image(p) for p in row["evidence"] if p.lower().endswith(".png")],
    }


#: How many of a setting's latest readings its timeline strip shows.
STRIP_LENGTH = 40


def _setting_view(index: int, row: dict, rows: list[dict], cutoff: datetime | None) -> dict:
    """One setting of the report: its state, its strip of readings, the before/after pair of its
    last change (or its latest screenshots), and every older entry of its timeline of changes."""
    # The timeline of changes: the first reading, every change of state, every action taken, and
    # the latest reading.
    picked = [
        r
        for i, r in enumerate(rows)
        if i == 0 or r["changed"] or r["state"] != rows[i - 1]["state"] or r is rows[-1]
    ]
    if cutoff:
        picked = [r for r in picked if datetime.fromisoformat(r["at"]) >= cutoff or r is rows[-1]]
    entries = [_entry(r) for r in picked]
    # The pair shown side by side: the last action's before and after screenshots, else the latest.
    last = next(
        (
            i
            for i in range(len(picked) - 1, -1, -1)
            if picked[i]["changed"] and entries[i]["images"]
        ),
        len(picked) - 1,
    )
    shown = entries[last] if entries else {"images": [], "at": ""}
    state = State(row["state"])
    return {
        "anchor": f"setting-{index}",
        "platform": platform_name(row),
        "account": inert(row["account"]),
        "id": inert(row["setting"]),
        "label": inert(row["label"] or row["setting"]),
        "state": str(state),
        "state_class": str(state),
        "explanation": EXPLANATIONS.get(state, ""),
        "detail": inert(row["detail"]),
        "at": format_when(row["at"]),
        "entries": entries,
        "strip": [
            {"state": inert(r["state"]), "at": format_when(r["at"]), "changed": r["changed"]}
            for r in rows[-STRIP_LENGTH:]
        ],
        "readings": len(rows),
        "shown": shown,
        "shown_is_change": bool(picked and picked[last]["changed"]),
        "older": [e for i, e in enumerate(entries) if i != last and e["images"]],
    }


def html_report(profile: Profile, since: datetime | None = None, sample: bool = False) -> str:
    """One self-contained HTML page (images inlined, no script) from history and evidence files:
    an overview of every setting first, then each setting's timeline and screenshots. `sample`:
    made on the replicas (--sandbox), marked so nobody takes it for evidence of real accounts."""

    timeline, latest, drift = [], [], []
    if profile.history_db.exists():
        with History(profile) as history:
            timeline, latest = history.timeline(), history.latest()
            drift = history.drift_log(since=since)
    by_key: dict[tuple, list[dict]] = {}
    for row in timeline:
        by_key.setdefault((row["platform"], row["account"], row["setting"]), []).append(row)
    cutoff = since.astimezone(UTC) if since else None
    accounts: dict[tuple, dict] = {}
    settings = []
    for index, row in enumerate(latest):
        view = _setting_view(
            index, row, by_key[(row["platform"], row["account"], row["setting"])], cutoff
        )
        settings.append(view)
        accounts.setdefault(
            (row["platform"], row["account"]),
            {"platform": platform_name(row), "account": inert(row["account"]), "settings": []},
        )["settings"].append(view)
    counts = {}
    for view in settings:
        counts[view["state"]] = counts.get(view["state"], 0) + 1
    return render_page(
        "report.html",
        profile=inert(profile.name),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
        since=format_when(since.isoformat()) if since else "",
        drift=[{**inert_all(d), "at": format_when(d["at"])} for d in drift],
        counts=[{"state": str(s), "count": counts[str(s)]} for s in State if str(s) in counts],
        settings=settings,
        accounts=list(accounts.values()),
        sample=sample,
    )
