"""Handouts: one printable page in plain language: what was found, what was switched off, what
still needs the person (forms, e-mails, guide steps, with drafted text and links), what to watch for
and how to check again. No secrets; a name only if the volunteer typed one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote, urlsplit

from optout.errors import OptoutError
from optout.history import History
from optout.paths import Profile
from optout.people.assist import ASSISTED_ACCOUNT, setting_of
from optout.report import as_dict, inert, render_page
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
    def from_flow(cls, flow) -> Guide | None:
        guide = getattr(flow, "guide", None)
        if guide is None:
            return None
        email = (
            Email(guide.email_to, guide.email_subject or "", guide.email_body or "")
            if guide.email_to
            else None
        )
        return cls(
            platform=flow.id,
            title=f"{flow.name}: {guide.summary}",
            steps=list(guide.steps),
            links=[u for u in guide.links if _safe_url(u)],
            email=email,
        )

    @classmethod
    def from_detail(cls, platform: str, title: str, detail: str) -> Guide:
        """Steps from a result's detail: numbered or bulleted lines, links, a mailto: address."""
        detail = detail or ""
        steps = [m.group(1) for line in detail.splitlines() if (m := _STEP.match(line))]
        email = None
        if m := _MAILTO.search(detail):
            parts = urlsplit(m.group(0))
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            email = Email(unquote(parts.path), query.get("subject", ""), query.get("body", ""))
        links = [u.rstrip(".,;:") for u in _URL.findall(detail)]
        return cls(
            platform=platform,
            title=title,
            steps=steps,
            links=list(dict.fromkeys(links)),
            email=email,
            note="" if steps else detail,
        )


def _safe_url(url: str) -> bool:
    return urlsplit(url).scheme == "https"


_QUERY = re.compile(r"((?:https?|wss?)://[^\s?#'\"<>]+)[?#][^\s'\"<>]*")


def _without_queries(text: str) -> str:
    """Page addresses in a detail without their ?query and #fragment, where sites put tokens."""
    return _QUERY.sub(r"\1", text or "")


def _as_row(r) -> dict:
    d = as_dict(r)
    d["state"] = State(str(d.get("state")))
    return d


def _date(at) -> str:
    if not at:
        return ""
    when = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    return when.astimezone(UTC).strftime("%Y-%m-%d")


def handout_html(
    results: Iterable,
    *,
    name: str | None = None,
    flows: dict | None = None,
    recheck: Sequence[str] = (),
    switched: dict | None = None,
    guides: Sequence[Guide] = (),
    generated: datetime | None = None,
    assisted: bool = False,
    sample: bool = False,
) -> str:
    """One printable page in plain language from results (Result objects or history rows).

    `name`: the person's name, only when the volunteer typed it. `recheck`: commands to run again.
    `switched`: (platform, account, setting) → date optout switched it off (from history).
    `guides`: extra guides to list (flows' own guides and needs_human details are added here).
    `assisted`: the person signed in themselves (an assisted session), so no password was kept.
    `sample`: made on the replicas (--sandbox): marked as such, never taken for a person's own."""

    if flows is None:
        from optout.flowfile.layers import (  # pydantic only when flows are read
            Layers,
            load_flows,
        )

        try:
            flows = load_flows(Layers.person())
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
        show_account = (
            len(per_platform[r["platform"]]) > 1 and account and account != ASSISTED_ACCOUNT
        )
        url = setting.url if setting is not None else ""
        if "{item}" in url:  # per-item settings: "id/item"
            item_id = r["setting"].partition("/")[2]
            url = url.replace("{item}", item_id) if item_id else ""
        item = {
            "platform": platform_name,
            "label": label,
            "state": STATE_WORDS[state],
            "state_class": str(state),
            "explanation": EXPLANATIONS[state],
            "meaning": inert(setting.description) if setting else "",
            "account": inert(account) if show_account else "",
            "url": url,
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
            todo.append(
                {**item, "kind": "form", "draft": OBJECTION_TEXT.format(platform=platform_name)}
            )
        elif state == State.ON:
            todo.append({**item, "kind": "switch"})
        elif state == State.NEEDS_HUMAN:
            guide = Guide.from_detail(
                r["platform"], f"{platform_name}: {label}", _without_queries(r.get("detail") or "")
            )
            todo.append({**item, "kind": "human", "guide": guide})
        elif state in (State.NEEDS_LOGIN, State.BROKEN, State.ERROR):
            todo.append({**item, "kind": "retry"})
        elif state == State.UNAVAILABLE:
            unavailable.append(item)
    for guide in guides:
        if guide.platform not in seen_guides:
            seen_guides.add(guide.platform)
            todo_guides.append(guide)

    return render_page(
        "handout.html",
        name=inert(name or ""),
        generated=_date(generated or datetime.now(UTC)),
        found=found,
        done=done,
        todo=todo,
        guides=todo_guides,
        unavailable=unavailable,
        self_check=self_check,
        recheck=[inert(c) for c in recheck],
        assisted=assisted,
        sample=sample,
        counts={
            "settings": len(found),
            "off": sum(1 for f in found if f["state_class"] in ("off", "submitted")),
            "todo": len(todo) + len(todo_guides),
        },
    )


def handout_for_profile(profile: Profile, *, name: str | None = None, sandbox: bool = False) -> str:
    """The handout of a profile, from its history: the latest reading of every setting."""

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
    return handout_html(rows, name=name, recheck=recheck, switched=switched, sample=sandbox)
