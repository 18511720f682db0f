"""A run as optout makes it, for the Python API and the CLI alike: the profile's run lock (a
scheduled run and a manual one never overlap), its history (every result recorded as it comes,
drift computed), the capture of each page when asked, evidence pruned after the run, and a
notification when something needs attention and the caller asked for one. The engine does the
browser work; this module says what surrounds it."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from optout import connect as connect_mod
from optout import engine, logs
from optout.capture.hook import Capturer
from optout.credentials import AccountStore, Credential
from optout.engine import Account
from optout.errors import AccountNotFound, ReplicaMix, UsageError
from optout.flowfile.layers import Layers, resolve
from optout.history import RunRecorder
from optout.holds import Holds
from optout.paths import (
    DEFAULT_PROFILE,
    RUN_PROFILE,
    SANDBOX_PREFIX,
    Profile,
    is_sandbox_profile,
)
from optout.results import Result
from optout.runlock import run_lock
from optout.sessions import SessionStore

RunKind = Literal["check", "off", "demo", "scheduled"]


class Results(list[Result]):
    """A run's results, with what history found needing attention (`drift`), its `run_id`, how
    many accounts it ran at once and why (`capacity`, an optout.engine.capacity.Capacity), and
    what became of each page when it was captured (`captures`, optout.capture.hook.Note)."""

    def __init__(
        self, results=(), *, drift=(), run_id: int | None = None, capacity=None, captures=()
    ):
        super().__init__(results)
        self.drift: list = list(drift)
        self.run_id = run_id
        self.capacity = capacity
        self.captures: list = list(captures)

    def holding(self, results) -> Results:
        """The same run (drift, run id, capacity, captures), holding `results` instead."""
        return Results(
            results,
            drift=self.drift,
            run_id=self.run_id,
            capacity=self.capacity,
            captures=self.captures,
        )


@dataclass(frozen=True)
class Request:
    """Everything a caller asks of one run (optout.api.check and switch_off document each)."""

    mode: Literal["check", "off"]
    platforms: Sequence[str] | None
    profile: Profile
    credentials: Mapping[str, Credential | Sequence[Credential]] | None = None
    setup_context: Callable | None = None
    headless: bool = True
    browser_path: str | None = None
    sessions: object = True
    concurrency: int | None = None
    flows_dir: Path | None = None
    evidence_dir: Path | None = None
    dry_run: bool = False
    selected: Sequence[str] = ()
    all_settings: bool = False
    form_reason: str = ""
    resend: bool = False
    on_result: Callable[[Result], None] | None = None
    find_timeout_s: float = 15.0
    nav_timeout_ms: int = 30000
    setting_timeout_s: float = 120.0
    history: bool = True
    kind: RunKind | None = None
    capture: bool = False
    attended: bool = False
    person_wait_s: float = 300.0
    tell: Callable[[str], None] | None = None
    on_window: Callable | None = None
    connect: object = None
    confirm_form: Callable[..., Awaitable[bool]] | None = None
    notify: bool = False
    lock: bool = True


def run_profile(profile, setup_context=None, sessions=None, home: Path | None = None) -> Profile:
    """The profile a run reads and records in. A run routed to the replicas (a setup_context
    marked `routes_to_replicas`, as `Sandbox.install` is) keeps to a sandbox profile: without a
    profile it gets `sandbox-default`, and a real profile or a real profile's saved sessions is
    refused before anything is written, so replica readings never enter a person's history."""

    replicas = bool(getattr(setup_context, "routes_to_replicas", False))
    if profile is None:
        profile = SANDBOX_PREFIX + DEFAULT_PROFILE if replicas else DEFAULT_PROFILE
    prof = profile if isinstance(profile, Profile) else Profile(profile, root=home)
    if not replicas:
        return prof
    for name, what in (
        (prof.name, "profile"),
        (getattr(getattr(sessions, "profile", None), "name", None), "saved sessions of profile"),
    ):
        if name is not None and not is_sandbox_profile(name):
            raise UsageError(
                f"This run is routed to the sandbox replicas, but its {what} '{name}' is a real one: "
                "replica readings would enter that profile's history.",
                f"Give the run a sandbox profile: profile='{SANDBOX_PREFIX}{name}' (or leave profile "
                f"out: '{SANDBOX_PREFIX}default'), with sessions of that profile.",
            )
    return prof


def _noting_refusal(setup_context, refused: list):
    """The caller's setup_context, noting a refusal of the replicas (a run that would record in a
    real profile) so the run can end with it and leave no trace."""

    async def setup(context):
        try:
            await setup_context(context)
        except ReplicaMix as exc:
            refused.append(exc)
            raise

    return setup


def _accounts(flow, credentials, sessions, profile: Profile):
    if credentials is not None:
        given = credentials.get(flow.id)
        creds = (
            [] if given is None else list(given) if isinstance(given, (list, tuple)) else [given]
        )
    else:
        creds = AccountStore(profile).credentials(flow.id)
    accounts = {c.username: Account(flow.id, c.username, credential=c) for c in creds}
    if sessions is not None:
        for name in sessions.accounts(flow.id):
            accounts.setdefault(name, Account(flow.id, name))
        for account in accounts.values():
            account.session, account.identity = sessions.load_with_identity(flow.id, account.name)
    return list(accounts.values())


def _jobs(req: Request, store):
    platforms = req.platforms
    flows = resolve(
        list(dict.fromkeys(platforms)) if platforms else None, req.flows_dir or Layers.person()
    )
    jobs = [
        (flow, [] if flow.guide else _accounts(flow, req.credentials, store, req.profile))
        for flow in flows
    ]
    if not platforms:  # "everything" means every platform this person has set up
        jobs = [(flow, accounts) for flow, accounts in jobs if accounts]
        if not jobs:
            hint = (
                "Add one with `optout account add linkedin` (see `optout platforms`), "
                "or try `optout demo`."
            )
            if req.connect:  # the person's browser needs no account: they name the platforms
                hint = "Name the platforms, e.g. `optout check linkedin --connect`."
            raise AccountNotFound(
                "No accounts or saved sessions are set up yet, so there is nothing to check.", hint
            )
    return jobs


async def run(req: Request) -> Results:
    """Run the request under the run policy and return its Results, with the run's profile known
    to the replicas' router (Sandbox.install refuses a real one)."""

    token = RUN_PROFILE.set(req.profile.name)
    try:
        return await _run(req)
    finally:
        RUN_PROFILE.reset(token)


async def _run(req: Request) -> Results:
    logs.ensure_configured()
    prof = req.profile.ensure()
    store = (
        SessionStore(prof)
        if req.sessions is True
        else None
        if req.sessions in (False, None)
        else req.sessions
    )
    jobs = _jobs(req, store)
    connect = req.connect
    if connect:  # found before anything is recorded: no browser to work in is the person's to fix
        connect = connect_mod.find("auto" if connect is True else connect)
    capturer = None
    if req.capture:
        capturer = Capturer(prof.captures)
    refused: list = []  # the replicas refused this run (a real profile): it must leave no trace
    setup_context = req.setup_context and _noting_refusal(req.setup_context, refused)
    options = engine.RunOptions(
        mode=req.mode,
        dry_run=req.dry_run,
        selected=set(req.selected),
        all_settings=req.all_settings,
        headless=req.headless,
        browser_path=req.browser_path,
        setup_context=setup_context,
        concurrency=req.concurrency,
        evidence_dir=req.evidence_dir or prof.evidence,
        sessions=store,
        find_timeout_s=req.find_timeout_s,
        nav_timeout_ms=req.nav_timeout_ms,
        setting_timeout_s=req.setting_timeout_s,
        form_reason=req.form_reason,
        resend=req.resend,
        capture=capturer,
        attended=req.attended,
        person_wait_s=req.person_wait_s,
        tell=req.tell,
        on_window=req.on_window,
        holds=Holds(prof),
        connect=connect or None,
        confirm_form=req.confirm_form,
    )
    state = engine.RunState()
    captures = capturer.notes if capturer is not None else ()
    with _locked(prof, req.lock):
        if not req.history:
            found = await engine.run(jobs, options, on_result=req.on_result, state=state)
            if refused:
                raise refused[0]
            return Results(found, capacity=state.capacity, captures=captures)

        with RunRecorder(prof, req.kind or req.mode) as recorder:
            state.prior = recorder.history.last_sent  # open for the whole run

            def record(result: Result) -> None:
                recorder(result)
                if req.on_result:
                    req.on_result(result)

            found = await engine.run(jobs, options, on_result=record, state=state)
            if refused:
                raise refused[0]  # the recorder takes the run out of history again
    results = Results(
        found,
        drift=recorder.drift,
        run_id=recorder.run_id,
        capacity=state.capacity,
        captures=captures,
    )
    from optout.retention import prune_evidence

    prune_evidence(prof)
    if req.notify:
        from optout.notify import notify_run

        notify_run(prof.name, results.drift, results)
    return results


@contextlib.contextmanager
def _locked(profile: Profile, lock: bool):
    if not lock:
        yield
        return
    with run_lock(profile):
        yield
