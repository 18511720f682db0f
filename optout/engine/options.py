"""What a run is asked to do (RunOptions), what it knows as it goes (RunState), for whom (Account), and how work on a setting or an
account ends early (Outcome). Plain data: nothing here touches a browser."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from optout.credentials import Credential
from optout.flowfile.schema import Flow, Setting
from optout.results import Result
from optout.states import State

SetupContext = Callable[[object], Awaitable[None]]


@dataclass
class Account:
    platform: str
    name: str
    credential: Credential | None = None
    session: dict | None = None
    #: The identity of the browser that made `session` (optout.sessions.IDENTITY_JS), or None.
    identity: dict | None = None


@dataclass
class RunOptions:
    mode: Literal["check", "off"] = "check"
    dry_run: bool = False
    #: Opt-in settings to act on by id ("personalization") or "platform:id"; None = the defaults.
    selected: set[str] = field(default_factory=set)
    all_settings: bool = False
    headless: bool = True
    browser_path: str | None = None
    setup_context: SetupContext | None = None
    #: Accounts at once; None = chosen from the machine (optout.engine.capacity).
    concurrency: int | None = None
    evidence_dir: Path = Path("evidence")
    sessions: object | None = None  # optout.sessions.SessionStore
    #: False when replaying a shared capture: nothing is clicked, not a reveal, not a consent dialog.
    clicks: bool = True
    find_timeout_s: float = 15.0
    nav_timeout_ms: int = 30000
    setting_timeout_s: float = 120.0
    #: Send objection forms again even when history says they went out (`optout off --resend`).
    resend: bool = False
    #: The optional reason typed into objection forms (default: none).
    form_reason: str = ""
    #: Called as (page, flow, account, setting, result) after each setting whose page was read,
    #: whatever it read (`optout check --capture`: optout.capture.hook.Capturer). Its failures
    #: never change a result.
    capture: Callable[..., Awaitable[None]] | None = None
    #: A person is at the machine: a sign-in happens in a visible window where they answer what
    #: the platform asks (a challenge, a refused password), and the same run goes on.
    attended: bool = False
    #: How long an attended sign-in waits for the person before `needs_human`.
    person_wait_s: float = 300.0
    #: Says something to the person at the machine (the CLI prints it on stderr).
    tell: Callable[[str], None] | None = None
    #: Called with the visible window's page once a sign-in waits for the person (tests play the
    #: person through it).
    on_window: Callable[[object], Awaitable[None]] | None = None
    #: The profile's sign-in holds (optout.holds.Holds), or None to keep none.
    holds: object | None = None
    #: Work in the person's own running browser (`--connect`): "auto", a user-data folder, a URL,
    #: or an optout.connect.Endpoint already found. None: launch a browser of optout's own.
    connect: object | None = None
    #: Asked as (flow, account, setting, [(field, text), …]) once an objection form is filled in,
    #: before it is sent: False sends nothing (the setting stays `on`). None: no question
    #: (`optout off` sends what the person asked for on the command line).
    confirm_form: Callable[..., Awaitable[bool]] | None = None

    def targets(self, platform: str, setting: Setting) -> bool:
        """Whether the person wants this setting off: every default one; optional ones when asked
        (by id or "platform:id"; a per-item setting "id/item" is asked for by its base id too)."""
        if not setting.opt_in or self.all_settings:
            return True
        base = setting.id.split("/")[0]
        return bool(
            {setting.id, base, f"{platform}:{setting.id}", f"{platform}:{base}"} & self.selected
        )

    def wants_off(self, platform: str, setting: Setting) -> bool:
        return self.mode == "off" and self.targets(platform, setting)


@dataclass
class RunState:
    """What one run knows as it goes, beside what it was asked (RunOptions): shared by its
    accounts, made fresh for each run."""

    #: (platform, account, setting) → the last history row saying a form went out (`submitted`, or
    #: kind sent_unconfirmed), so forms go out once.
    prior: Callable[[str, str | None, str], dict | None] | None = None
    #: (platform, account name casefolded) of every automated sign-in attempted in this run: one
    #: attempt per account per run, however many times the account was named.
    sign_ins: set[tuple[str, str]] = field(default_factory=set)
    #: What this run was allowed at once and why (set by run(): the override or the machine's pick).
    capacity: object | None = None  # optout.engine.capacity.Capacity
    #: Opens a context in a visible browser, given an identity (set by engine.run when attended).
    window: Callable[..., Awaitable[object]] | None = None


class Outcome(Exception):
    """Ends the work on one setting with a state; `account_wide` ends it for the whole account
    (e.g. a credential refused for its origin), whatever the state."""

    def __init__(
        self,
        state: State,
        detail: str,
        evidence: list[Path] | None = None,
        *,
        account_wide: bool = False,
        asked: str = "",
    ):
        super().__init__(detail)
        self.state, self.detail, self.evidence = state, detail, evidence or []
        self.account_wide = account_wide
        #: What a sign-in met that only a person can answer, in words ("asks for a code sent by
        #: e-mail", "did not accept the stored password"): the password is then held back.
        self.asked = asked


def every_setting(flow: Flow, account: str, state: State, detail: str) -> list[Result]:
    """One result per setting of the flow, all in `state` with the same `detail`: what a run
    says of settings it never reached (a browser that failed, a person who did not sign in)."""
    return [
        Result(
            platform=flow.id,
            setting=s.id,
            state=state,
            detail=detail,
            account=account,
            label=s.label,
            flow_version=flow.version,
            flow_source=flow.flow_source,
        )
        for s in flow.settings
    ]


def error_results(flow: Flow, account: str, detail: str) -> list[Result]:
    """Every setting of the flow as `error`, when the account's browser could not be used (or
    was closed before the setting was read)."""
    return every_setting(flow, account, State.ERROR, detail)
