"""Assisted sessions: a visible browser with in-memory contexts; the person signs in themselves
(optout never sees or types their password), optout reads the settings and, once the person agrees,
switches them off.

Nothing is stored unless the person asks (`keep_profile`); the session lives only in the browser's
memory and the screenshots in a temporary folder that is removed at the end: also when the session
is stopped by Ctrl-C, SIGTERM or a closed terminal (optout.stopping cancels it, so the `finally`
runs), and at the next start when a session died without cleaning up (kill -9, a power cut).
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Error as PlaywrightError

from optout import browser as browser_mod
from optout import engine, logs
from optout.browser import close_quietly
from optout.engine.options import every_setting
from optout.engine.personlogin import wait_for_person
from optout.flowfile.layers import Layers, resolve
from optout.history import History, RunRecorder
from optout.paths import RUN_PROFILE, Profile
from optout.results import Result
from optout.runs import run_profile
from optout.states import State

SCRATCH_PREFIX = "optout-assist-"
_SCRATCH_RE = re.compile(re.escape(SCRATCH_PREFIX) + r"(?:(\d+)-)?[A-Za-z0-9_]+$")
#: A scratch folder without its owner's process id (an older optout) is stale after this long.
_UNNAMED_STALE_S = 24 * 3600

#: The name kept sessions and results get in an assisted session: never the person's own username.
ASSISTED_ACCOUNT = "assisted"
BANNER_TAG = "optout-assist-banner"


Tell = Callable[[str], None]
Confirm = Callable[[object, list[Result], list[Result]], bool | Awaitable[bool]]


def _banner_script(message: str) -> str:
    """A notice at the top of every page while optout waits. It sits outside <body> in a closed
    shadow root: the page's text and the flow's locators never see it, and it takes no clicks."""
    return """(() => {
  if (window.top !== window) return;
  const message = %s;
  const show = () => {
    const root = document.documentElement;
    if (!root || root.querySelector(':scope > %s')) return;
    const host = document.createElement('%s');
    host.setAttribute('data-optout', 'waiting');
    const shadow = host.attachShadow({mode: 'closed'});
    shadow.innerHTML = '<style>div{position:fixed;top:0;left:0;right:0;z-index:2147483647;' +
      'background:#ffe45c;color:#111;font:600 16px/1.4 system-ui,sans-serif;padding:10px 16px;' +
      'text-align:center;box-shadow:0 2px 6px rgba(0,0,0,.3);pointer-events:none}</style>' +
      '<div role="status"></div>';
    shadow.querySelector('div').textContent = message;
    root.appendChild(host);
  };
  show();
  document.addEventListener('DOMContentLoaded', show);
  window.addEventListener('load', show);
})();""" % (json.dumps(message), BANNER_TAG, BANNER_TAG)


def banner_text(flow_name: str) -> str:
    return (
        f"optout is waiting for you to sign in to {flow_name}. Sign in as you always do: "
        "optout does not read or keep your password. It carries on by itself once you are in."
    )


@dataclass
class Assisted:
    """What an assisted session did: the last reading of every setting, and what was asked."""

    results: list[Result] = field(default_factory=list)
    first: list[Result] = field(default_factory=list)  # the readings before anything changed
    platforms: list[str] = field(default_factory=list)
    kept: str | None = None  # the profile sessions were kept in, if any


def what_was_kept(kept: str | None, handout: Path | None) -> str:
    """What of the person stays on this machine after an assisted session, exactly."""
    page = (
        f"The handout {handout} holds their results (no secrets): give it to them or delete it "
        "once printed. "
        if handout is not None
        else ""
    )
    if kept:
        return (
            f"{page}Kept the sessions, history and evidence in profile {kept}. "
            f"Remove all of it with: optout profile delete {kept}"
        )
    return f"{page}Nothing {'else ' if handout is not None else ''}of the person was kept on this machine."


def setting_of(flow, setting_id: str):
    """The flow's Setting for a result's setting id ("id", or "id/item" for per-item settings)."""
    if flow is None:
        return None
    base = setting_id.split("/", 1)[0]
    return next((s for s in flow.settings if s.id == base), None)


def _not_signed_in(flow, detail: str) -> list[Result]:
    return every_setting(flow, ASSISTED_ACCOUNT, State.NEEDS_LOGIN, detail)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def sweep_stale(tmp_root: Path | None = None) -> list[Path]:
    """Remove the scratch folders of assisted sessions that died without cleaning up (their
    process is gone); only real folders of this user, never a link. Returns what was removed."""
    root = Path(tmp_root or tempfile.gettempdir())
    removed = []
    try:
        candidates = list(root.iterdir())
    except OSError:
        return []
    for path in candidates:
        match = _SCRATCH_RE.match(path.name)
        if not match:
            continue
        try:
            info = path.lstat()
        except OSError:
            continue
        if (
            path.is_symlink()
            or not path.is_dir()
            or info.st_uid != (os.getuid() if hasattr(os, "getuid") else info.st_uid)
        ):
            continue
        pid = int(match.group(1)) if match.group(1) else None
        stale = (
            (not _alive(pid)) if pid is not None else time.time() - info.st_mtime > _UNNAMED_STALE_S
        )
        if stale and pid != os.getpid():
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                removed.append(path)
    return removed


async def _maybe_await(value):
    return await value if inspect.isawaitable(value) else value


async def assist(
    platforms: Sequence[str],
    *,
    keep_profile: Profile | None = None,
    confirm: Confirm | None = None,
    tell: Tell | None = None,
    on_result: Callable[[Result], None] | None = None,
    headless: bool = False,
    browser_path: str | None = None,
    setup_context=None,
    on_ready=None,
    wait_s: float = 900.0,
    flows_dir: Path | None = None,
    selected: Sequence[str] = (),
    all_settings: bool = False,
    form_reason: str = "",
    find_timeout_s: float = 15.0,
    tmp_root: Path | None = None,
    confirm_form: Callable | None = None,
) -> Assisted:
    """An assisted session: for each platform the person signs in themselves in a visible browser,
    optout reads the settings, and switches off what is on once `confirm(flow, readings, to_switch)`
    says yes (None: read only).

    Nothing is stored unless `keep_profile` is given (then the session, history and evidence go
    into it). Sessions live only in the browser's in-memory contexts; screenshots go to a private
    temporary folder that is removed at the end, whatever happens. `headless`, `setup_context`
    and `on_ready(page)` (called once the sign-in page is open) let tests play the person.
    `confirm_form`: asked with the exact words of each objection form before it is sent (see
    optout.engine.RunOptions.confirm_form)."""

    logs.ensure_configured()
    tell = tell or (lambda message: None)
    flows = resolve(list(platforms), flows_dir or Layers.person())
    selected_set = set(selected)
    outcome = Assisted(
        platforms=[f.id for f in flows], kept=keep_profile.name if keep_profile else None
    )
    if keep_profile is not None:
        run_profile(
            keep_profile, setup_context
        )  # replica readings are kept in a sandbox profile only
        keep_profile.ensure()
    sweep_stale(tmp_root)
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=tmp_root))  # 0700
    prior = None
    if keep_profile is not None and keep_profile.history_db.exists():
        with History(keep_profile) as past:
            prior = past.last_sent

    def emit(results: list[Result]) -> None:
        for r in results:
            on_result and on_result(r)

    token = RUN_PROFILE.set(keep_profile.name if keep_profile else None)  # seen by Sandbox.install
    try:
        async with browser_mod.started(browser_path, headless=headless) as browser:
            for flow in flows:
                if flow.guide is not None:
                    results = engine.guide_results(flow)
                    tell(
                        f"{flow.name}: nothing optout can switch here; the handout lists what to do."
                    )
                    emit(results)
                    outcome.first += results
                    outcome.results += results
                    continue
                results, first = await _assist_one(
                    browser,
                    flow,
                    keep_profile=keep_profile,
                    confirm=confirm,
                    tell=tell,
                    emit=emit,
                    setup_context=setup_context,
                    on_ready=on_ready,
                    wait_s=wait_s,
                    options=dict(
                        headless=headless,
                        browser_path=browser_path,
                        selected=selected_set,
                        all_settings=all_settings,
                        form_reason=form_reason,
                        find_timeout_s=find_timeout_s,
                        prior=prior,
                        confirm_form=confirm_form,
                        evidence_dir=keep_profile.evidence
                        if keep_profile
                        else scratch / "evidence",
                    ),
                )
                outcome.first += first
                outcome.results += results
    finally:
        RUN_PROFILE.reset(token)
        shutil.rmtree(scratch, ignore_errors=True)
    return outcome


async def _assist_one(
    browser, flow, *, keep_profile, confirm, tell, emit, setup_context, on_ready, wait_s, options
) -> tuple[list[Result], list[Result]]:

    context = await browser.new_context(setup_context=setup_context)
    try:
        banner = await context.add_init_script(_banner_script(banner_text(flow.name)))
        page = await context.new_page()
        tell(
            f"{flow.name}: the browser window shows the {flow.name} sign-in page. Ask the person to "
            "sign in there themselves, and look away while they type their password. optout carries "
            f"on by itself once they are in. To skip {flow.name}, close that window."
        )
        try:
            await page.goto(flow.login.url, wait_until="domcontentloaded")
        except PlaywrightError as exc:
            results = _not_signed_in(
                flow,
                f"the {flow.name} sign-in page did not open: {engine.describe_browser_error(exc)}",
            )
            emit(results)
            return results, results
        if on_ready:
            await on_ready(page)
        how = await wait_for_person(context, flow, wait_s)
        if how != "signed_in":
            detail = (
                "skipped: the window was closed before signing in"
                if how == "closed"
                else f"skipped: the sign-in did not finish within {wait_s / 60:.0f} minutes"
            )
            tell(f"{flow.name}: {detail}.")
            results = _not_signed_in(flow, detail)
            emit(results)
            return results, results
        await banner.close()
        for open_page in context.pages:
            try:
                await open_page.evaluate(
                    f"() => document.querySelectorAll('{BANNER_TAG}').forEach(e => e.remove())"
                )
            except PlaywrightError:
                pass
        tell(f"{flow.name}: signed in. Reading the settings (nothing is changed yet)…")
        first = await _run_phase(flow, "check", options, context, keep_profile)
        emit(first)
        wanted = engine.RunOptions(
            selected=options["selected"], all_settings=options["all_settings"]
        )
        to_switch = [
            r
            for r in first
            if r.state == State.ON
            and (s := setting_of(flow, r.setting)) is not None
            and wanted.targets(flow.id, s)
        ]
        results = first
        if (
            to_switch
            and confirm is not None
            and await _maybe_await(confirm(flow, first, to_switch))
        ):
            tell(f"{flow.name}: switching off, then reloading to check it stuck…")
            results = await _run_phase(flow, "off", options, context, keep_profile)
            emit(results)
        elif to_switch:
            tell(f"{flow.name}: nothing was changed.")
        if keep_profile is not None:
            from optout.sessions import SessionStore

            SessionStore(keep_profile).save(
                flow.id, ASSISTED_ACCOUNT, await context.storage_state()
            )
            tell(f"{flow.name}: kept the session (encrypted) in profile {keep_profile.name}.")
        return results, first
    finally:
        await close_quietly(context)


async def _run_phase(
    flow, mode: str, options: dict, context, keep_profile: Profile | None
) -> list[Result]:
    options = dict(options)
    state = engine.RunState(prior=options.pop("prior", None))
    run_options = engine.RunOptions(mode=mode, sessions=None, **options)  # type: ignore[arg-type]
    account = engine.Account(flow.id, ASSISTED_ACCOUNT)
    if keep_profile is None:
        return await engine.run_in_context(flow, account, run_options, context, state)

    with RunRecorder(keep_profile, mode) as recorder:
        results = await engine.run_in_context(flow, account, run_options, context, state)
        for r in results:
            recorder(r)
    return results
