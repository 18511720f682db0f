"""The Python API. The CLI is built on it; so can anything else.

    import asyncio, optout.api as api
    results = asyncio.run(api.check(["linkedin"]))
    results = asyncio.run(api.switch_off(["linkedin"], dry_run=True))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from optout.credentials import Credential
from optout.paths import DEFAULT_PROFILE, SANDBOX_PREFIX, Profile, is_sandbox_profile
from optout.results import Result
from optout.states import State

__all__ = ["Credential", "Result", "State", "check", "switch_off", "login"]


def _accounts(flow, credentials, sessions, profile: Profile):
    from optout.credentials import AccountStore
    from optout.engine import Account

    if credentials is not None:
        given = credentials.get(flow.id)
        creds = [] if given is None else list(given) if isinstance(given, (list, tuple)) else [given]
    else:
        creds = AccountStore(profile).credentials(flow.id)
    accounts = {c.username: Account(flow.id, c.username, credential=c) for c in creds}
    if sessions is not None:
        for name in sessions.accounts(flow.id):
            accounts.setdefault(name, Account(flow.id, name))
        for account in accounts.values():
            account.session, account.identity = sessions.load_with_identity(flow.id, account.name)
    return list(accounts.values())


def run_profile(profile, setup_context=None, sessions=None, home: Path | None = None) -> Profile:
    """The profile a run reads and records in. A run routed to the replicas (a setup_context
    marked `routes_to_replicas`, as `Sandbox.install` is) keeps to a sandbox profile: without a
    profile it gets `sandbox-default`, and a real profile or a real profile's saved sessions is
    refused before anything is written, so replica readings never enter a person's history."""
    from optout.errors import UsageError

    replicas = bool(getattr(setup_context, "routes_to_replicas", False))
    if profile is None:
        profile = SANDBOX_PREFIX + DEFAULT_PROFILE if replicas else DEFAULT_PROFILE
    prof = profile if isinstance(profile, Profile) else Profile(profile, root=home)
    if not replicas:
        return prof
    for name, what in ((prof.name, "profile"), (getattr(getattr(sessions, "profile", None), "name", None),
                                                 "saved sessions of profile")):
        if name is not None and not is_sandbox_profile(name):
            raise UsageError(
                f"This run is routed to the sandbox replicas, but its {what} '{name}' is a real one: "
                "replica readings would enter that profile's history.",
                f"Give the run a sandbox profile: profile='{SANDBOX_PREFIX}{name}' (or leave profile "
                f"out: '{SANDBOX_PREFIX}default'), with sessions of that profile.")
    return prof


def _noting_refusal(setup_context, refused: list):
    from optout.errors import ReplicaMix

    async def setup(context):
        try:
            await setup_context(context)
        except ReplicaMix as exc:
            refused.append(exc)
            raise

    return setup


class Results(list):
    """A run's results, with what history found needing attention (`drift`), its `run_id`, and
    how many accounts it ran at once and why (`capacity`, an optout.engine.capacity.Capacity)."""

    drift: list = []
    run_id: int | None = None
    capacity = None


async def _run(platforms, mode, *, setup_context=None, sessions=True, profile=None,
               home: Path | None = None, **opts) -> Results:
    """Run with the profile known to the replicas' router (Sandbox.install refuses a real one)."""
    from optout.paths import RUN_PROFILE

    prof = run_profile(profile, setup_context, sessions, home)
    token = RUN_PROFILE.set(prof.name)
    try:
        return await _run_in(platforms, mode, setup_context=setup_context, sessions=sessions,
                             profile=prof, home=home, **opts)
    finally:
        RUN_PROFILE.reset(token)


async def _run_in(platforms, mode, *, profile: Profile, credentials=None, setup_context=None,
                  headless=True, browser_path=None, sessions=True, concurrency=None,
                  flows_dir: Path | None = None, evidence_dir: Path | None = None, dry_run=False,
                  selected: Sequence[str] = (), all_settings=False, on_result: Callable | None = None,
                  find_timeout_s: float = 15.0, nav_timeout_ms: int = 30000,
                  setting_timeout_s: float = 120.0, home: Path | None = None, history: bool = True,
                  kind: str | None = None, form_reason: str = "", resend: bool = False,
                  capture=None, attended: bool = False, person_wait_s: float = 300.0,
                  tell: Callable[[str], None] | None = None, on_window: Callable | None = None,
                  connect=None) -> Results:
    from optout import engine, flowspec, logs
    from optout.history import RunRecorder
    from optout.holds import Holds
    from optout.sessions import SessionStore

    logs.ensure_configured()
    prof = profile.ensure()
    flows = flowspec.resolve(list(dict.fromkeys(platforms)) if platforms else None, flows_dir)
    if sessions is True:
        store = SessionStore(prof)
    elif sessions is False or sessions is None:
        store = None
    else:
        store = sessions
    jobs = [(flow, [] if flow.guide else _accounts(flow, credentials, store, prof)) for flow in flows]
    if not platforms:  # "everything" means every platform this person has set up
        jobs = [(flow, accounts) for flow, accounts in jobs if accounts]
        if not jobs:
            from optout.errors import AccountNotFound

            hint = ("Add one with `optout account add linkedin` (see `optout platforms`), "
                    "or try `optout demo`.")
            if connect:  # the person's browser needs no account: they name the platforms
                hint = "Name the platforms, e.g. `optout check linkedin --connect`."
            raise AccountNotFound("No accounts or saved sessions are set up yet, so there is nothing to check.",
                                  hint)
    if connect:  # found before anything is recorded: no browser to work in is the person's to fix
        from optout import connect as connect_mod

        connect = connect_mod.find("auto" if connect is True else connect)
    refused: list = []  # the replicas refused this run (a real profile): it must leave no trace
    if setup_context is not None:
        setup_context = _noting_refusal(setup_context, refused)
    options = engine.RunOptions(
        mode=mode, dry_run=dry_run, selected=set(selected), all_settings=all_settings,
        headless=headless, browser_path=browser_path, setup_context=setup_context,
        concurrency=concurrency, evidence_dir=evidence_dir or prof.evidence, sessions=store,
        find_timeout_s=find_timeout_s, nav_timeout_ms=nav_timeout_ms,
        setting_timeout_s=setting_timeout_s, form_reason=form_reason,
        resend=resend, capture=capture, attended=attended, person_wait_s=person_wait_s, tell=tell,
        on_window=on_window, holds=Holds(prof), connect=connect or None,
    )
    if not history:
        results = Results(await engine.run(jobs, options, on_result=on_result))
        if refused:
            raise refused[0]
        results.capacity = options.capacity
        return results
    with RunRecorder(prof, kind or mode) as recorder:
        options.prior = recorder.history.last_sent  # open for the whole run

        def record(result: Result) -> None:
            recorder(result)
            if on_result:
                on_result(result)

        results = Results(await engine.run(jobs, options, on_result=record))
        if refused:
            raise refused[0]  # the recorder takes the run out of history again
    results.drift, results.run_id, results.capacity = recorder.drift, recorder.run_id, options.capacity
    return results


async def check(platforms: Sequence[str] | None = None, **opts) -> list[Result]:
    """Read every setting of the given platforms (None: every platform with an account or a saved
    session); never changes anything.

    Options: credentials (platform → Credential or list; default: the keyring), setup_context
    (async callable given every BrowserContext before any page opens), headless, browser_path,
    profile (default "default"; a run routed to the replicas, setup_context=sandbox.install,
    keeps to a `sandbox-` profile: "sandbox-default" unless given, and a real one is refused),
    sessions (True: saved sessions of the profile; False: none; or a SessionStore),
    concurrency (accounts at once; default None: chosen from the machine's CPUs and free memory,
    see optout.engine.capacity), flows_dir, evidence_dir, on_result (called as each result
    arrives), history (record every result in the profile's history and compute drift; default
    True), and the
    time limits find_timeout_s (a control to appear, 15), nav_timeout_ms (a page to load,
    30000) and setting_timeout_s (one setting end to end, 120). capture: an
    optout.capture.hook.Capturer that keeps a scrubbed copy of each setting's page.

    attended (default False): a person is at the machine. A sign-in then happens in a visible
    browser window: optout types the stored password once, and what only the person can answer
    (a security check, an e-mailed code, a refused password) they answer there while the run
    waits (person_wait_s, default 300) and then goes on. tell: called with what to say to them;
    on_window: called with the window's page once it waits for them. Unattended, such a sign-in
    is needs_human at once, and the password is held back from later runs until the person
    signs in (`optout login`) or stores a new one.

    connect: work in the person's own running Chrome, Edge or Chromium instead of launching one
    ("auto", True, its user-data folder, http://127.0.0.1:PORT or a ws:// URL; see
    optout.connect). optout opens and closes only its own tabs there, types no password (a
    signed-out site is `needs_login`), saves no session, and runs accounts one at a time. No such
    browser raises optout.errors.ConnectFailed."""
    return await _run(platforms, "check", **opts)


async def switch_off(platforms: Sequence[str] | None = None, **opts) -> list[Result]:
    """Read, switch off what is positively on, reload and read again. Options as for check(),
    plus dry_run, selected (opt-in settings to include by id), all_settings, form_reason (the
    reason typed into objection forms) and resend (send objection forms again even when history
    says they went out)."""
    return await _run(platforms, "off", **opts)


async def login(platform: str, **opts) -> Path:
    """Open a visible browser so a person signs in themselves; save that session."""
    from optout.engine.login import interactive_login

    from optout.paths import RUN_PROFILE

    opts["profile"] = run_profile(opts.get("profile"), opts.get("setup_context"), opts.get("sessions"))
    token = RUN_PROFILE.set(opts["profile"].name)
    try:
        return await interactive_login(platform, **opts)
    finally:
        RUN_PROFILE.reset(token)


def credentials_from(mapping: Mapping[str, Credential]) -> dict[str, list[Credential]]:
    return {k: [v] if isinstance(v, Credential) else list(v) for k, v in mapping.items()}
