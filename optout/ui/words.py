"""States, readings and next steps in the words a person uses, by the platform's real name.

Plain data for the templates and the live events; no Starlette here. Everything a platform's page
put into a result is untrusted: it is made inert here and HTML-escaped by the templates, and the
page's script only ever sets it as text."""

from __future__ import annotations

from dataclasses import dataclass, field

from optout import status
from optout.flowfile.layers import Layers, load_flows
from optout.textsafe import inert

#: "<State> — <what it means>", {name} being the platform's real name.
STATE_WORDS = {
    "on": "On — {name} uses your data to train AI",
    "off": "Off — checked: {name} does not use your data for this",
    "submitted": "Objection sent — {name} received your objection",
    "unavailable": "Not offered — {name} has no such setting for this account",
    "needs_login": "Needs you to sign in — optout could not sign in to {name}",
    "needs_human": "Needs you — {name} asks something only you can answer",
    "broken": "Could not read — {name}'s page changed; nothing was changed",
    "error": "Could not read — something went wrong; nothing was assumed",
    "unread": "Not read yet",
}

#: An objection form reads `on` until one is sent: said as what it is.
FORM_WORDS = {"on": "Not sent yet — no objection sent; {name} may use your data to train AI"}

#: The one step a state calls for: (action, button words); action is what the page runs.
ACTIONS = {"off": "Switch off", "check": "Check again", "signin": "Sign in"}


def _flows() -> dict:
    try:
        return load_flows(Layers.person())
    except Exception:  # noqa: BLE001 - a flow that does not load must not hide the page
        return {}


def names() -> dict[str, str]:
    """platform id → its real name, from the catalogue (the flows)."""
    return {pid: flow.name for pid, flow in _flows().items()}


def forms() -> set[tuple[str, str]]:
    """(platform, setting) of every objection form."""
    return {
        (pid, s.id)
        for pid, flow in _flows().items()
        for s in flow.settings
        if s.control.kind == "form"
    }


def is_form(platform: str, setting: str, known_forms: set[tuple[str, str]]) -> bool:
    return (platform, setting.split("/", 1)[0]) in known_forms


def state_words(state: str, name: str, form: bool = False) -> str:
    words = (FORM_WORDS if form else {}).get(str(state)) or STATE_WORDS.get(str(state), str(state))
    return words.format(name=name)


@dataclass
class Row:
    """One setting of one account, as the page shows it."""

    platform: str
    name: str
    account: str
    setting: str
    state: str
    words: str
    age: str
    drift: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class Step:
    """The next step as one button: run `action` on `platform`."""

    action: str
    platform: str
    label: str


def step_of(command: str | None, known: dict[str, str]) -> Step | None:
    """optout.status's next command ("optout off linkedin") as a button."""
    if not command:
        return None
    parts = command.split()
    if len(parts) < 3:
        return None
    verb, platform = parts[1], parts[2]
    action = {"off": "off", "check": "check", "login": "signin"}.get(verb)
    if action is None:
        return None
    name = known.get(platform, platform)
    label = {
        "off": f"Switch off AI training on {name}",
        "check": f"Check {name} now",
        "signin": f"Sign in to {name} and check",
    }[action]
    return Step(action, platform, label)


def where_you_stand(profile) -> tuple[list[Row], Step | None]:
    """Every account and setting from history (optout.status), and the one next step."""

    known, known_forms = names(), forms()
    found = status.standing(profile)
    rows = []
    for s in found:
        name = known.get(s.platform, s.platform)
        label = inert(s.label or s.setting or "(no setting read yet)")
        words = state_words(s.state, name, is_form(s.platform, s.setting, known_forms))
        rows.append(
            Row(
                s.platform,
                name,
                inert(s.account or ""),
                label,
                s.state,
                words,
                s.age,
                [inert(d) for d in s.drift],
                inert(s.note or ""),
            )
        )
    return rows, step_of(status.next_step(found), known)


def result_event(result, known: dict[str, str], known_forms: set[tuple[str, str]]) -> dict:
    """A result as the live page shows it."""
    name = known.get(result.platform, result.platform)
    return {
        "type": "result",
        "platform": result.platform,
        "name": name,
        "setting": inert(result.label or result.setting),
        "state": str(result.state),
        "words": state_words(
            str(result.state), name, is_form(result.platform, result.setting, known_forms)
        ),
        "detail": inert(result.detail or ""),
        "account": inert(result.account or ""),
    }
