"""Rendering results for people (rich table, HTML evidence report) and scripts (JSON).

Everything a platform's page put into a result (labels, details) is untrusted: a hostile or
broken page must not be able to colour, move or rewrite the terminal, nor run script in the
report. So text is made inert (controls and escape sequences removed), shown in the terminal as
rich Text (never parsed as markup) and HTML-escaped by jinja2's autoescape in the report.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from optout import __version__
from optout.paths import Profile
from optout.states import EXPLANATIONS, State

_ESCAPES = re.compile(
    r"""
      \x1b\[[0-?]*[ -/]*[@-~]             # CSI: colours, cursor moves, erase
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?  # OSC: titles, hyperlinks, clipboard
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?       # DCS, SOS, PM, APC strings
    | \x1b[ -/]*[0-~]                     # any other escape
    | \x9b[0-?]*[ -/]*[@-~]               # 8-bit CSI
    """,
    re.VERBOSE,
)
# C0 except \t and \n, DEL, C1, and the bidi overrides that make text read differently than it is.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

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


def inert(text: object) -> str:
    """`text` with terminal escape sequences and control characters (except \\n, \\t) removed."""
    if text is None:
        return ""
    return _CONTROLS.sub("", _ESCAPES.sub("", str(text)))


def _as_dict(result) -> dict:
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


def _inert_all(value):
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, dict):
        return {inert(k): _inert_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_inert_all(v) for v in value]
    return value


def results_table(results: Iterable, console: Console | None = None, title: str | None = None) -> Table:
    """Print (when given a console) and return a table of Results or history rows."""
    table = Table(title=title, show_lines=False, caption_justify="left")
    for column in ("platform", "account", "setting", "state", "changed", "detail"):
        table.add_column(column, overflow="fold")
    shown: list[str] = []
    for r in map(_as_dict, results):
        state = str(r.get("state", ""))
        shown.append(state)
        table.add_row(
            Text(inert(r.get("platform"))),
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
    lines = [Text.assemble((f"{s.value}: ", STATE_STYLES.get(s.value, "")), EXPLANATIONS[s])
             for s in State if s.value in present and s is not State.OFF]
    return Text("\n").join(lines) if lines else None


def timeline_table(rows: Iterable[dict], console: Console | None = None, title: str | None = None) -> Table:
    """Print (when given a console) and return history rows, oldest first, with when and which run."""
    table = Table(title=title)
    for column in ("when", "run", "platform", "account", "setting", "state", "changed", "detail"):
        table.add_column(column, overflow="fold")
    for r in rows:
        state = str(r.get("state", ""))
        table.add_row(
            Text(_when(r.get("at"))),
            Text(inert(r.get("run_kind", ""))),
            Text(inert(r.get("platform"))),
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
        "results": [_inert_all(_as_dict(r)) for r in results],
        "drift": [_inert_all(_as_dict(d)) for d in drift],
    }
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False, default=str)


# -- HTML evidence report -----------------------------------------------------------------------

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>optout evidence report: {{ profile }}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { border-bottom: 1px solid #ccc; margin-top: 2rem; }
.meta { color: #555; } .setting { border: 1px solid #ddd; border-radius: 6px; padding: .8rem 1rem; margin: 1rem 0; }
.state { font-weight: bold; padding: .1rem .5rem; border-radius: 4px; }
.on, .error { background: #fdd; color: #900; } .off, .submitted { background: #dfd; color: #060; }
.needs_login, .needs_human { background: #ffd; color: #750; } .broken { background: #f3ddf7; color: #606; }
.unavailable { background: #eee; color: #555; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #eee; vertical-align: top; }
figure { display: inline-block; margin: .5rem .5rem 0 0; max-width: 100%; } img { max-width: 100%; border: 1px solid #ccc; }
figcaption, .note { font-size: .85rem; color: #555; } .drift { background: #fff4f4; border-left: 4px solid #c00; padding: .5rem 1rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; } .setting { break-inside: avoid; }
  figure { break-inside: avoid; } img { max-height: 45vh; } a { color: inherit; text-decoration: none; }
}
</style>
</head>
<body>
<h1>AI-training settings: evidence report</h1>
<p class="meta">Profile <strong>{{ profile }}</strong> · generated {{ generated }} by optout {{ version }}
{%- if since %} · changes since {{ since }}{% endif %}</p>
<p>This page records what optout read on each platform's own settings pages, when, and what it changed,
with the screenshots it took as proof.</p>
{% if drift %}
<div class="drift"><h2>Needs attention</h2><ul>
{% for d in drift %}<li>{{ d.at }} · {{ d.platform }}{% if d.account %} ({{ d.account }}){% endif %}: {{ d.detail }}</li>
{% endfor %}</ul></div>
{% endif %}
{% if not accounts %}<p>No results recorded yet. Run <code>optout check</code> first.</p>{% endif %}
{% for acct in accounts %}
<h2>{{ acct.platform }}{% if acct.account %} · {{ acct.account }}{% endif %}</h2>
{% for s in acct.settings %}
<section class="setting">
<h3>{{ s.label }}</h3>
<p><span class="state {{ s.state_class }}">{{ s.state }}</span> {{ s.explanation }}
<span class="note">(last checked {{ s.at }})</span></p>
{% if s.detail %}<p class="note">{{ s.detail }}</p>{% endif %}
<table><tr><th>when</th><th>state</th><th>changed by optout</th><th>detail</th></tr>
{% for e in s.entries %}<tr><td>{{ e.at }}</td><td>{{ e.state }}</td><td>{{ "yes" if e.changed else "—" }}</td><td>{{ e.detail }}</td></tr>
{% endfor %}</table>
{% for e in s.entries %}{% for img in e.images %}
<figure>{% if img.uri %}<img src="{{ img.uri }}" alt="screenshot {{ img.name }}">{% endif %}
<figcaption>{{ e.at }} · {{ img.name }}{% if img.note %} · {{ img.note }}{% endif %}</figcaption></figure>
{% endfor %}{% endfor %}
</section>
{% endfor %}
{% endfor %}
</body>
</html>
"""


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    at = datetime.fromisoformat(iso).astimezone(timezone.utc)
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
    return {"name": name, "uri": "data:image/png;base64," + base64.b64encode(data).decode(), "note": ""}


def _entry(row: dict) -> dict:
    return {
        "at": _when(row["at"]),
        "state": inert(row["state"]),
        "changed": row["changed"],
        "detail": inert(row["detail"]),
        "images": [_image(p) for p in row["evidence"] if p.lower().endswith(".png")],
    }


def html_report(profile: Profile, since: datetime | None = None) -> str:
    """One self-contained HTML page (images inlined, no script) from history and evidence files."""
    import jinja2

    from optout.history import History

    timeline, latest, drift = [], [], []
    if profile.history_db.exists():
        with History(profile) as history:
            timeline, latest = history.timeline(), history.latest()
            drift = history.drift_log(since=since)
    by_key: dict[tuple, list[dict]] = {}
    for row in timeline:
        by_key.setdefault((row["platform"], row["account"], row["setting"]), []).append(row)
    cutoff = since.astimezone(timezone.utc) if since else None
    accounts: dict[tuple, dict] = {}
    for row in latest:
        rows = by_key[(row["platform"], row["account"], row["setting"])]
        # The timeline of changes: the first reading, every change of state, every action taken,
        # and the latest reading.
        picked = [r for i, r in enumerate(rows)
                  if i == 0 or r["changed"] or r["state"] != rows[i - 1]["state"] or r is rows[-1]]
        if cutoff:
            picked = [r for r in picked
                      if datetime.fromisoformat(r["at"]) >= cutoff or r is rows[-1]]
        acct = accounts.setdefault((row["platform"], row["account"]), {
            "platform": inert(row["platform"]), "account": inert(row["account"]), "settings": []})
        state = State(row["state"])
        acct["settings"].append({
            "label": inert(row["label"] or row["setting"]),
            "state": str(state),
            "state_class": str(state),
            "explanation": EXPLANATIONS.get(state, ""),
            "detail": inert(row["detail"]),
            "at": _when(row["at"]),
            "entries": [_entry(r) for r in picked],
        })
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_TEMPLATE).render(
        profile=inert(profile.name),
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
        since=_when(since.isoformat()) if since else "",
        drift=[{**_inert_all(d), "at": _when(d["at"])} for d in drift],
        accounts=list(accounts.values()),
    )
