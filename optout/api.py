"""The Python API. The CLI is built on it; so can anything else.

import asyncio, optout.api as api
results = asyncio.run(api.check(["linkedin"]))
results = asyncio.run(api.switch_off(["linkedin"], dry_run=True))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from optout import runs
from optout.credentials import Credential
from optout.engine.personlogin import interactive_login
from optout.paths import RUN_PROFILE, Profile
from optout.results import Result
from optout.runs import Results, RunKind
from optout.states import State

if TYPE_CHECKING:  # annotations only: the store is loaded when a run opens it
    from optout.sessions import SessionStore

__all__ = ["Credential", "Result", "Results", "State", "check", "switch_off", "login"]

Credentials = Mapping[str, Credential | Sequence[Credential]]
SetupContext = Callable[[object], Awaitable[None]]


async def check(
    platforms: Sequence[str] | None = None,
    *,
    profile: str | Profile | None = None,
    home: Path | None = None,
    credentials: Credentials | None = None,
    sessions: bool | SessionStore = True,
    setup_context: SetupContext | None = None,
    headless: bool = True,
    browser_path: str | None = None,
    concurrency: int | None = None,
    flows_dir: Path | None = None,
    evidence_dir: Path | None = None,
    selected: Sequence[str] = (),
    all_settings: bool = False,
    on_result: Callable[[Result], None] | None = None,
    find_timeout_s: float = 15.0,
    nav_timeout_ms: int = 30000,
    setting_timeout_s: float = 120.0,
    history: bool = True,
    kind: RunKind | None = None,
    capture: bool = False,
    attended: bool = False,
    person_wait_s: float = 300.0,
    tell: Callable[[str], None] | None = None,
    on_window: Callable[[object], Awaitable[None]] | None = None,
    connect: bool | str | Path | None = None,
    notify: bool = False,
    lock: bool = True,
) -> Results:
    """Read every setting of the given platforms; never changes anything.

    Args:
        platforms: platform ids (`optout platforms`); None: every platform with an account or a
            saved session in the profile (raises optout.errors.AccountNotFound when there is none).
        profile: the profile's name, or an optout.paths.Profile; None: "default". A run routed to
            the replicas (setup_context=sandbox.install) keeps to a `sandbox-` profile:
            "sandbox-default" unless given, and a real one is refused (optout.errors.UsageError).
            home: the data folder holding the profiles (default: OPTOUT_HOME, else the
            platform's data folder).
        credentials: platform → Credential or list of them; None: the accounts in the keyring.
        sessions: True: the profile's saved sessions; False: none; or an optout.sessions.SessionStore.
        setup_context: awaited with every BrowserContext before any page opens.
        headless: no visible browser window. browser_path: the Chromium-family browser to launch.
        concurrency: accounts at once; None: chosen from the machine's CPUs and free memory
            (optout.engine.capacity; `Results.capacity` says what was chosen and why).
        flows_dir: a folder of flows to read instead of the installed ones.
        evidence_dir: where screenshots and kept pages go (default: the profile's).
        selected: optional settings the person wants off, by id or "platform:id"; all_settings:
            every optional one. Optional settings not wanted are reported with `optional` set.
        on_result: called with each Result as it arrives.
        find_timeout_s: how long a control may take to appear; nav_timeout_ms: a page to load;
            setting_timeout_s: one setting end to end.
        history: record every result in the profile's history and compute drift (`Results.drift`).
        kind: how history names the run ("check", "off", "demo", "scheduled"; default: the mode).
        capture: keep a scrubbed copy of each setting's page in the profile's captures folder
            (`Results.captures` says what became of each).
        attended: a person is at the machine. A sign-in then happens in a visible window:
            optout types the stored password once, and what only the person can answer (a
            security check, an e-mailed code, a refused password) they answer there while the run
            waits and then goes on. person_wait_s: how long it waits for them (seconds).
            tell: called with what to say to them;
            on_window: awaited with the window's page once it waits for them. Unattended, such a
            sign-in is needs_human at once and the password is held back until the person signs
            in (`optout login`) or stores a new one.
        connect: work in the person's own running Chrome, Edge or Chromium ("auto" or True, its
            user-data folder, http://127.0.0.1:PORT or a ws:// URL; see optout.connect): only
            optout's own tabs, no password typed, no session saved, one account at a time. No
            such browser raises optout.errors.ConnectFailed.
        notify: notify the person (desktop, and any configured channel) when something needs
            attention, as scheduled runs do.
        lock: hold the profile's run lock, so this run never overlaps another optout run of the
            profile (raises optout.errors.OptoutError when one is in progress).
    """
    return await runs.run(
        runs.Request(
            "check",
            platforms,
            runs.run_profile(profile, setup_context, sessions, home),
            credentials=credentials,
            setup_context=setup_context,
            headless=headless,
            browser_path=browser_path,
            sessions=sessions,
            concurrency=concurrency,
            flows_dir=flows_dir,
            evidence_dir=evidence_dir,
            selected=tuple(selected),
            all_settings=all_settings,
            on_result=on_result,
            find_timeout_s=find_timeout_s,
            nav_timeout_ms=nav_timeout_ms,
            setting_timeout_s=setting_timeout_s,
            history=history,
            kind=kind,
            capture=capture,
            attended=attended,
            person_wait_s=person_wait_s,
            tell=tell,
            on_window=on_window,
            connect=connect,
            notify=notify,
            lock=lock,
        )
    )


async def switch_off(
    platforms: Sequence[str] | None = None,
    *,
    dry_run: bool = False,
    form_reason: str = "",
    resend: bool = False,
    profile: str | Profile | None = None,
    home: Path | None = None,
    credentials: Credentials | None = None,
    sessions: bool | SessionStore = True,
    setup_context: SetupContext | None = None,
    headless: bool = True,
    browser_path: str | None = None,
    concurrency: int | None = None,
    flows_dir: Path | None = None,
    evidence_dir: Path | None = None,
    selected: Sequence[str] = (),
    all_settings: bool = False,
    on_result: Callable[[Result], None] | None = None,
    find_timeout_s: float = 15.0,
    nav_timeout_ms: int = 30000,
    setting_timeout_s: float = 120.0,
    history: bool = True,
    kind: RunKind | None = None,
    capture: bool = False,
    attended: bool = False,
    person_wait_s: float = 300.0,
    tell: Callable[[str], None] | None = None,
    on_window: Callable[[object], Awaitable[None]] | None = None,
    connect: bool | str | Path | None = None,
    confirm_form: Callable[..., Awaitable[bool]] | None = None,
    notify: bool = False,
    lock: bool = True,
) -> Results:
    """Read, switch off what is positively on, reload and read again; send objection forms once.

    Args:
        dry_run: read and say what would change; change nothing.
        form_reason: the reason typed into objection forms (also what fills a form's required
            explanation); default none.
        resend: send objection forms again even when history says they went out.
        confirm_form: asked as (flow, account, setting, [(field, text), ...]) with the exact words
            of each objection form once it is filled in, before it is sent; False sends nothing
            (the setting stays `on`). None: no question.
        selected, all_settings: the optional settings to switch off too (by id or "platform:id").
        Every other argument is as for check().
    """
    return await runs.run(
        runs.Request(
            "off",
            platforms,
            runs.run_profile(profile, setup_context, sessions, home),
            credentials=credentials,
            setup_context=setup_context,
            headless=headless,
            browser_path=browser_path,
            sessions=sessions,
            concurrency=concurrency,
            flows_dir=flows_dir,
            evidence_dir=evidence_dir,
            dry_run=dry_run,
            selected=tuple(selected),
            all_settings=all_settings,
            form_reason=form_reason,
            resend=resend,
            on_result=on_result,
            find_timeout_s=find_timeout_s,
            nav_timeout_ms=nav_timeout_ms,
            setting_timeout_s=setting_timeout_s,
            history=history,
            kind=kind,
            capture=capture,
            attended=attended,
            person_wait_s=person_wait_s,
            tell=tell,
            on_window=on_window,
            connect=connect,
            confirm_form=confirm_form,
            notify=notify,
            lock=lock,
        )
    )


async def login(platform: str, **opts) -> Path:
    """Open a visible browser so a person signs in themselves; save that session."""

    opts["profile"] = runs.run_profile(
        opts.get("profile"), opts.get("setup_context"), opts.get("sessions")
    )
    token = RUN_PROFILE.set(opts["profile"].name)
    try:
        return await interactive_login(platform, **opts)
    finally:
        RUN_PROFILE.reset(token)


def credentials_from(mapping: Mapping[str, Credential]) -> dict[str, list[Credential]]:
    return {k: [v] if isinstance(v, Credential) else list(v) for k, v in mapping.items()}
