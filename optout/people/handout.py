"""Handouts: one printable page in plain language: what was found, what was switched off, what
still needs the person (forms, e-mails, guide steps, with drafted text and links), what to watch for
and how to check again. No secrets; a name only if the volunteer typed one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qs, unquote, urlsplit

from optout.errors import OptoutError
from optout.paths import Profile
from optout.people.assist import ASSISTED_ACCOUNT, setting_of
from optout.states import EXPLANATIONS, State


#: How each state is named on the handout, for someone who never saw optout.
STATE_WORDS: dict[State, str] = {
    State.ON: "On: used for AI training",
    State.OFF: "Off",
    State.SUBMITTED: "Objection sent",
    State.UNAVAILABLE: "Not offered to you",
    State.NEEDS_LOGIN: "Not checked: could not sign in",
    State.NEEDS_HUMAN: "Needs you",
    State.BROKEN: "Not checked: the page has changed",
    State.ERROR: "Not checked: something went wrong",
}

OBJECTION_TEXT = (
    "I object to {platform} using my personal data (my profile, my posts and my activity) to train or "
    "improve artificial intelligence models. Please stop this use of my data and confirm to me in "
    "writing that you have done so."
)

_URL = re.compile(r"https://[^\s<>\"'`)\]]+")
_MAILTO = re.compile(r"mailto:[^\s<>\"'`)\]]+")
_STEP = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+(.*\S)")


@dataclass
class Email:
    to: str
    subject: str = ""
    body: str = ""


@dataclass
class Guide:
    """Steps a person takes by hand: from a flow's `guide`, or read from a result's detail."""

    platform: str
    title: str
    steps: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    email: Email | None = None
    draft: str = ""  # text to paste into a form
    note: str = ""  # what optout saw (page text: shown escaped)

    @classmethod
    def from_flow(cls, flow) -> "Guide | None":
        guide = getattr(flow, "guide", None)
        if guide is None:
            return None
        email = Email(guide.email_to, guide.email_subject or "", guide.email_body or "") if guide.email_to else None
        return cls(platform=flow.id, title=f"{flow.name}: {guide.summary}", steps=list(guide.steps),
                   links=[u for u in guide.links if _safe_url(u)], email=email)

    @classmethod
    def from_detail(cls, platform: str, title: str, detail: str) -> "Guide":
        """Steps from a result's detail: numbered or bulleted lines, links, a mailto: address."""
        detail = detail or ""
        steps = [m.group(1) for line in detail.splitlines() if (m := _STEP.match(line))]
        email = None
        if m := _MAILTO.search(detail):
            parts = urlsplit(m.group(0))
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            email = Email(unquote(parts.path), query.get("subject", ""), query.get("body", ""))
        links = [u.rstrip(".,;:") for u in _URL.findall(detail)]
        return cls(platform=platform, title=title, steps=steps, links=list(dict.fromkeys(links)), email=email,
                   note="" if steps else detail)


def _safe_url(url: str) -> bool:
    return urlsplit(url).scheme == "https"


_QUERY = re.compile(r"((?:https?|wss?)://[^\s?#'\"<>]+)[?#][^\s'\"<>]*")


def _without_queries(text: str) -> str:
    """Page addresses in a detail without their ?query and #fragment, where sites put tokens."""
    return _QUERY.sub(r"\1", text or "")


def _as_row(r) -> dict:
    d = r.to_dict() if hasattr(r, "to_dict") else dict(r)
    d["state"] = State(str(d.get("state")))
    return d


def _date(at) -> str:
    if not at:
        return ""
    when = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d")


def handout_html(results: Iterable, *, name: str | None = None, flows: dict | None = None,
                 recheck: Sequence[str] = (), switched: dict | None = None,
                 guides: Sequence[Guide] = (), generated: datetime | None = None,
                 assisted: bool = False) -> str:
    """One printable page in plain language from results (Result objects or history rows).

    `name`: the person's name, only when the volunteer typed it. `recheck`: commands to run again.
    `switched`: (platform, account, setting) → date optout switched it off (from history).
    `guides`: extra guides to list (flows' own guides and needs_human details are added here).
    `assisted`: the person signed in themselves (an assisted session), so no password was kept."""
    import jinja2

    from optout.report import inert

    if flows is None:
        from optout import flowspec

        try:
            flows = flowspec.load_flows()
        except OptoutError:
            flows = {}
    rows = [_as_row(r) for r in results]
    per_platform: dict[str, set] = {}
    for r in rows:
        per_platform.setdefault(r["platform"], set()).add(r.get("account") or "")
    switched = dict(switched or {})

    found, done, todo, unavailable, self_check = [], [], [], [], []
    todo_guides: list[Guide] = []
    seen_guides: set[str] = set()
    for r in rows:
        flow = flows.get(r["platform"])
        platform_name = flow.name if flow else r["platform"]
        setting = setting_of(flow, r["setting"])
        state: State = r["state"]
        label = inert(r.get("label") or (setting.label if setting else r["setting"]))
        account = r.get("account") or ""
        show_account = len(per_platform[r["platform"]]) > 1 and account and account != ASSISTED_ACCOUNT
        url = setting.url if setting is not None else ""
        if "{item}" in url:  # per-item settings: "id/item"
            item_id = r["setting"].partition("/")[2]
            url = url.replace("{item}", item_id) if item_id else ""
        item = {
            "platform": platform_name, "label": label, "state": STATE_WORDS[state], "state_class": str(state),
            "explanation": EXPLANATIONS[state], "meaning": inert(setting.description) if setting else "",
            "account": inert(account) if show_account else "", "url": url,
            "detail": inert(_without_queries(r.get("detail") or "")),
            "form": bool(setting and setting.control.kind == "form"),
        }
        if r["setting"] == "guide":
            guide = Guide.from_flow(flow) if flow is not None else None
            if guide and guide.platform not in seen_guides:
                seen_guides.add(guide.platform)
                if state == State.UNAVAILABLE:
                    unavailable.append({**item, "label": guide.title})
                else:
                    todo_guides.append(guide)
            continue
        found.append(item)
        key = (r["platform"], r.get("account"), r["setting"])
        if state in (State.OFF, State.SUBMITTED) and (r.get("changed") or key in switched):
            done.append({**item, "when": switched.get(key) or _date(r.get("at"))})
        if url and state in (State.OFF, State.SUBMITTED):  # the others' links are under "needs you"
            self_check.append(item)
        if state == State.ON and item["form"]:
            todo.append({**item, "kind": "form", "draft": OBJECTION_TEXT.format(platform=platform_name)})
        elif state == State.ON:
            todo.append({**item, "kind": "switch"})
        elif state == State.NEEDS_HUMAN:
            guide = Guide.from_detail(r["platform"], f"{platform_name}: {label}",
                                      _without_queries(r.get("detail") or ""))
            todo.append({**item, "kind": "human", "guide": guide})
        elif state in (State.NEEDS_LOGIN, State.BROKEN, State.ERROR):
            todo.append({**item, "kind": "retry"})
        elif state == State.UNAVAILABLE:
            unavailable.append(item)
    for guide in guides:
        if guide.platform not in seen_guides:
            seen_guides.add(guide.platform)
            todo_guides.append(guide)

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["inert"] = inert
    return env.from_string(_HANDOUT).render(
        name=inert(name or ""), generated=_date(generated or datetime.now(timezone.utc)),
        found=found, done=done, todo=todo, guides=todo_guides, unavailable=unavailable,
        self_check=self_check, recheck=[inert(c) for c in recheck], assisted=assisted,
        counts={"settings": len(found), "off": sum(1 for f in found if f["state_class"] in ("off", "submitted")),
                "todo": len(todo) + len(todo_guides)},
    )


def handout_for_profile(profile: Profile, *, name: str | None = None, sandbox: bool = False) -> str:
    """The handout of a profile, from its history: the latest reading of every setting."""
    from optout.history import History

    rows, switched = [], {}
    if profile.history_db.exists():
        with History(profile) as history:
            rows = history.latest()
            for r in history.timeline():
                if r["changed"] and r["state"] in (State.OFF, State.SUBMITTED):
                    switched[(r["platform"], r["account"], r["setting"])] = _date(r["at"])
    platforms = sorted({r["platform"] for r in rows})
    prefix = "optout --sandbox" if sandbox else "optout"
    who = profile.name.removeprefix("sandbox-") if sandbox else profile.name
    recheck = [f"{prefix} --profile {who} check {' '.join(platforms)}".rstrip()] if rows else []
    if platforms:
        recheck.append(f"{prefix} assist {' '.join(platforms)}")
    return handout_html(rows, name=name, recheck=recheck, switched=switched)


_HANDOUT = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your AI-training settings{% if name %}: {{ name }}{% endif %}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; max-width: 46rem; margin: 1.5rem auto; padding: 0 1rem; color: #111; }
h1 { font-size: 1.4rem; margin: 0 0 .2rem; } h2 { font-size: 1.1rem; margin: 1.2rem 0 .4rem; border-bottom: 1px solid #bbb; }
h3 { font-size: 1rem; margin: .6rem 0 .2rem; }
.meta, .small { color: #444; font-size: .85rem; } .summary { font-size: 1.05rem; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; vertical-align: top; padding: .25rem .4rem; border-bottom: 1px solid #ddd; }
.state { font-weight: 700; white-space: nowrap; }
.on, .error { color: #a00; } .off, .submitted { color: #060; } .needs_login, .needs_human { color: #8a5a00; }
.broken { color: #606; } .unavailable { color: #555; }
.box { border: 1px solid #bbb; border-radius: 6px; padding: .4rem .8rem; margin: .5rem 0; break-inside: avoid; }
pre { white-space: pre-wrap; font: inherit; background: #f4f4f4; padding: .4rem .6rem; border-radius: 4px; margin: .3rem 0; }
code { font-size: .9em; background: #f4f4f4; padding: 0 .2rem; } a { color: #0645ad; word-break: break-all; }
ol, ul { margin: .2rem 0 .2rem 1.2rem; padding: 0; }
@page { size: A4; margin: 10mm 12mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 9.5pt; line-height: 1.3; } a { color: inherit; text-decoration: none; }
  h1 { font-size: 15pt; } h2 { font-size: 11pt; margin: .7rem 0 .2rem; break-after: avoid; } h3 { margin: .2rem 0; }
  p { margin: .25rem 0; } .summary { font-size: 10.5pt; } td, th { padding: .1rem .3rem; }
  .box { padding: .1rem .6rem; margin: .3rem 0; } tr, .box, li { break-inside: avoid; }
}
</style>
</head>
<body>
<h1>Your AI-training settings</h1>
<p class="meta">{% if name %}Prepared for <strong>{{ name }}</strong> · {% endif %}{{ generated }} · made with optout</p>
<p class="summary">We looked at {{ counts.settings }} setting{{ "" if counts.settings == 1 else "s" }} that let companies
use your accounts to train AI. {{ counts.off }} {{ "is" if counts.off == 1 else "are" }} now off.
{% if counts.todo %}{{ counts.todo }} thing{{ "" if counts.todo == 1 else "s" }} still need{{ "s" if counts.todo == 1 else "" }} you (see "What still needs you").{% else %}Nothing else needs you right now.{% endif %}</p>
{% if assisted %}<p class="small">You typed your password yourself: your helper did not see it and optout did not keep it.</p>{% endif %}

{% if found %}
<h2>What we found</h2>
<table>
<tr><th>Where</th><th>Setting</th><th>Now</th><th>What it means</th></tr>
{% for f in found %}<tr><td>{{ f.platform }}{% if f.account %}<br><span class="small">{{ f.account }}</span>{% endif %}</td>
<td>{{ f.label }}{% if f.meaning %}<br><span class="small">{{ f.meaning }}</span>{% endif %}</td>
<td class="state {{ f.state_class }}">{{ f.state }}</td><td>{{ f.explanation }}</td></tr>
{% endfor %}</table>
{% endif %}

{% if done %}
<h2>What we switched off</h2>
<ul>{% for d in done %}<li><strong>{{ d.platform }}</strong>: {{ d.label }} — {{ "objection sent" if d.state_class == "submitted" else "switched off and checked again after reloading the page" }}{% if d.when %} ({{ d.when }}){% endif %}.</li>
{% endfor %}</ul>
{% endif %}

{% if todo or guides %}
<h2>What still needs you</h2>
{% for t in todo %}<div class="box">
<h3>{{ t.platform }}: {{ t.label }}</h3>
{% if t.kind == "form" %}<p>This one is a form: send it to object. Open the link below, sign in, and send the form.
If there is a box for a reason, you may paste this text (you can change it):</p>
{% if t.url %}<p><a href="{{ t.url }}">{{ t.url }}</a></p>{% endif %}
<pre>{{ t.draft }}</pre>
{% elif t.kind == "switch" %}<p>It is still on. To switch it off yourself: {% if t.url %}open the link below{% else %}open
{{ t.platform }}'s settings{% endif %}, sign in, find "{{ t.label }}" and switch it off.</p>{% if t.url %}<p><a href="{{ t.url }}">{{ t.url }}</a></p>{% endif %}
{% elif t.kind == "human" %}<p>{{ t.explanation }}</p>
{% if t.guide.steps %}<ol>{% for s in t.guide.steps %}<li>{{ s | inert }}</li>{% endfor %}</ol>{% endif %}
{% for link in t.guide.links %}<p><a href="{{ link }}">{{ link }}</a></p>{% endfor %}
{% if t.guide.email %}<p>E-mail to <strong>{{ t.guide.email.to | inert }}</strong>{% if t.guide.email.subject %}, subject "{{ t.guide.email.subject | inert }}"{% endif %}{{ ":" if t.guide.email.body else "." }}</p>{% if t.guide.email.body %}<pre>{{ t.guide.email.body | inert }}</pre>{% endif %}{% endif %}
{% if t.guide.note %}<p class="small">What optout saw: {{ t.guide.note | inert }}</p>{% endif %}
{% else %}<p>{{ t.explanation }} Ask your helper to try again{% if t.url %}, or check it yourself at
<a href="{{ t.url }}">{{ t.url }}</a>{% endif %}.</p>
{% if t.detail %}<p class="small">Note for your helper: {{ t.detail }}</p>{% endif %}
{% endif %}
</div>
{% endfor %}
{% for g in guides %}<div class="box guide">
<h3>{{ g.title | inert }}</h3>
{% if g.steps %}<ol>{% for s in g.steps %}<li>{{ s | inert }}</li>{% endfor %}</ol>{% endif %}
{% for link in g.links %}<p><a href="{{ link }}">{{ link }}</a></p>{% endfor %}
{% if g.email %}<p>Send an e-mail to <strong>{{ g.email.to | inert }}</strong>{% if g.email.subject %} with the subject "{{ g.email.subject | inert }}"{% endif %}{% if g.email.body %}, for example:{% else %}.{% endif %}</p>
{% if g.email.body %}<pre>{{ g.email.body | inert }}</pre>{% endif %}{% endif %}
{% if g.draft %}<pre>{{ g.draft | inert }}</pre>{% endif %}
{% if g.note %}<p class="small">{{ g.note | inert }}</p>{% endif %}
</div>
{% endfor %}
{% endif %}

<h2>What to watch for</h2>
<ul>
<li>Companies have switched these settings back on, or added new ones, after changing their terms. When a company
writes to you about new terms, a new privacy policy or AI, check again.</li>
<li>Switching off usually stops future use only; it may not remove what was already used.</li>
<li>Nobody from optout will ever ask for your password. Be careful with messages that ask you to "confirm" your
opt-out through a link: go to the company's site yourself instead.</li>
{% for u in unavailable %}<li>{{ u.platform }}: "{{ u.label }}" is not offered to you now. Companies change this by
country and over time, so it is worth checking again later.</li>
{% endfor %}</ul>

<h2>How to check again</h2>
{% if self_check %}<p>Yourself: open each page, sign in, and look at the setting (the links for the others are above).</p>
<ul>{% for s in self_check %}<li>{{ s.platform }}: "{{ s.label }}" should be {{ "sent" if s.form else "off" }}: <a href="{{ s.url }}">{{ s.url }}</a></li>
{% endfor %}</ul>{% endif %}
{% if recheck %}<p>With a helper who has optout:</p>
<ul>{% for c in recheck %}<li><code>{{ c }}</code></li>{% endfor %}</ul>{% endif %}
</body>
</html>
"""
