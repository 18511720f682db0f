"""The one state vocabulary shared by CLI, JSON, history, reports and the API."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    ON = "on"
    OFF = "off"
    SUBMITTED = "submitted"
    UNAVAILABLE = "unavailable"
    NEEDS_LOGIN = "needs_login"
    NEEDS_HUMAN = "needs_human"
    BROKEN = "broken"
    ERROR = "error"


class Kind(StrEnum):
    """What sort of outcome within its state, where a later decision depends on it: a result is
    a state plus, at most, one kind. History stores it in its own column; nothing decides on a
    result's detail, which is words for the person."""

    #: An objection form answered 2xx without a recognised confirmation: counted as sent, so
    #: later runs do not send it again on their own (`optout off --resend` does).
    SENT_UNCONFIRMED = "sent_unconfirmed"


#: The state each kind belongs to: a kind never comes with another state.
KIND_STATE: dict[Kind, State] = {Kind.SENT_UNCONFIRMED: State.NEEDS_HUMAN}


#: One sentence a non-technical person understands.
EXPLANATIONS: dict[State, str] = {
    State.ON: "This account is being used to train AI.",
    State.OFF: "Checked: this account is opted out of AI training.",
    State.SUBMITTED: "An objection was sent to the platform; a copy is kept as proof.",
    State.UNAVAILABLE: "The platform does not offer this setting to this account (region, age or plan), or has none.",
    State.NEEDS_LOGIN: "optout could not sign in: add the account or sign in again.",
    State.NEEDS_HUMAN: (
        "A person must act: answer the platform's code, puzzle or security check, or follow "
        "its own steps where nothing can be switched automatically."
    ),
    State.BROKEN: "The page no longer looks the way optout expects; nothing was changed.",
    State.ERROR: "Something went wrong (network, timeout, browser); nothing was assumed.",
}

#: Exit codes of DESIGN.md; when results are mixed the most urgent wins, in this order.
EXIT_PRIORITY: list[tuple[State, int]] = [
    (State.ON, 3),
    (State.NEEDS_LOGIN, 4),
    (State.NEEDS_HUMAN, 4),
    (State.BROKEN, 5),
    (State.ERROR, 1),
]


def exit_code(states: list[State] | list[str]) -> int:
    present = {State(s) for s in states}
    for state, code in EXIT_PRIORITY:
        if state in present:
            return code
    return 0
