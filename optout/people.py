"""Helping someone else: profiles (list, delete every trace), assisted sessions, handouts.

Support volunteers (digital-rights clinics, library help desks, family) help people who would
never install a command-line tool. Three things make that safe:

* **Profiles** keep each person's accounts, keyring entries, sessions, history and evidence apart,
  and `delete_profile` removes every trace of one person, saying what it removed.
* **Assisted sessions** (`assist`): a visible browser with in-memory contexts; the person signs in
  themselves (optout never sees or types their password), optout reads the settings and, once the
  person agrees, switches them off. Nothing is stored unless the person asks (`keep_profile`); the
  session lives only in the browser's memory and the screenshots in a temporary folder that is
  removed at the end.
* **Handouts** (`handout_html`): one printable page in plain language: what was found, what was
  switched off, what still needs the person (forms, e-mails, guide steps, with drafted text and
  links), what to watch for and how to check again. No secrets; a name only if the volunteer typed one.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import re
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import structlog

from optout.errors import OptoutError
from optout.paths import Profile, check_profile_name, home
from optout.results import Result
from optout.states import EXPLANATIONS, State

log = structlog.get_logger()

#: The name kept sessions and results get in an assisted session: never the person's own username.
ASSISTED_ACCOUNT = "assisted"
BANNER_TAG = "optout-assist-banner"

# -- profiles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileInfo:
    name: str
    accounts: int
    sessions: int
    last_run: str | None  # ISO time (UTC) the latest run started, None when never run
    path: Path

    def to_dict(self) -> dict:
        return {"name": self.name, "accounts": self.accounts, "sessions": self.sessions,
                "last_run": self.last_run, "path": str(self.path)}


def _profiles_dir(root: Path | None = None) -> Path:
    return (root or home()) / "profiles"


def list_profiles(root: Path | None = None) -> list[ProfileInfo]:
    """Every profile with a folder under the data dir: how many accounts, sessions, the last run."""
    from optout.credentials import AccountStore
    from optout.sessions import SUFFIX

    folder = _profiles_dir(root)
    found = []
    for base in sorted(folder.iterdir()) if folder.is_dir() else []:
        try:
            profile = Profile(check_profile_name(base.name), root=root)
        except OptoutError:
            continue  # not a folder optout made
        if not base.is_dir():
            continue
        try:
            accounts = len(AccountStore(profile).list())
        except OptoutError:
            accounts = -1  # a damaged index: shown as "?"
        sessions = len(list(profile.sessions.glob(f"*{SUFFIX}"))) if profile.sessions.is_dir() else 0
        found.append(ProfileInfo(profile.name, accounts, sessions, _last_run(profile), base))
    return found


def _last_run(profile: Profile) -> str | None:
    import sqlite3

    if not profile.history_db.exists():
        return None
    # Read-only, so listing never creates, migrates or locks anything.
    try:
        db = sqlite3.connect(f"file:{profile.history_db}?mode=ro", uri=True, timeout=2)
        try:
            row = db.execute("SELECT max(started_at) FROM runs").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


@dataclass
class Removal:
    """What deleting one profile removed (never secret values: entry names and paths only)."""

    profile: str
    keyring: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    folder: Path | None = None
    schedule: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def found_anything(self) -> bool:
        return bool(self.keyring or self.files or self.folder or self.schedule)

    def to_dict(self) -> dict:
        return {"profile": self.profile, "keyring": self.keyring, "files": [str(p) for p in self.files],
                "folder": str(self.folder) if self.folder else None, "schedule": self.schedule,
                "notes": self.notes}

    def lines(self) -> list[str]:
        """What was removed, for people."""
        if not self.found_anything:
            return [f"Profile {self.profile}: nothing of it was found (no folder, no keyring entries, no schedule)."]
        out = [f"Profile {self.profile}:"]
        for entry in self.keyring:
            out.append(f"  removed keyring entry {entry}")
        kinds = _file_kinds(self.files, self.folder)
        if self.folder:
            out.append(f"  deleted the folder {self.folder} ({_count(len(self.files), 'file')}: {kinds})")
        for line in self.schedule:
            out.append(f"  schedule: {line}")
        out.extend(f"  note: {n}" for n in self.notes)
        return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _file_kinds(files: list[Path], folder: Path | None) -> str:
    if not files or folder is None:
        return "empty"
    counts: dict[str, int] = {}
    for path in files:
        rel = path.relative_to(folder)
        if rel.parts[0] == "sessions":
            kind = "saved session"
        elif rel.parts[0] == "evidence":
            kind = "evidence file"
        elif rel.name.startswith("history.sqlite3"):
            kind = "history file"
        elif rel.name == "accounts.json":
            kind = "accounts index"
        else:
            kind = "other file"
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(_count(n, kind) for kind, n in sorted(counts.items()))


def _account_entries(profile: Profile, notes: list[str]) -> set[tuple[str, str]]:
    """Every keyring entry of this profile optout can name: from the accounts index, the saved
    sessions and the history (so an entry whose index line was lost is still found)."""
    from optout.credentials import SERVICE, AccountStore, entry_name
    from optout.sessions import SUFFIX, SessionStore

    names = {(SERVICE, entry_name(profile, "session-key"))}
    try:
        for info in AccountStore(profile).list():
            names.add((SERVICE, entry_name(profile, info.platform, info.username)))
    except OptoutError as exc:
        notes.append(f"the accounts index could not be read ({exc.message}); other sources were used")
    store = SessionStore(profile)
    platforms = set()
    if profile.sessions.is_dir():
        platforms = {p.name.split("--")[0] for p in profile.sessions.glob(f"*{SUFFIX}")}
    for platform in sorted(platforms):
        try:
            for account in store.accounts(platform):
                names.add((SERVICE, entry_name(profile, platform, account)))
        except OptoutError:
            pass
    if profile.history_db.exists():
        import sqlite3

        try:
            db = sqlite3.connect(f"file:{profile.history_db}?mode=ro", uri=True, timeout=5)
            try:
                rows = db.execute("SELECT DISTINCT platform, account FROM results").fetchall()
            finally:
                db.close()
            for platform, account in rows:
                if account:
                    names.add((SERVICE, entry_name(profile, platform, account)))
        except sqlite3.Error as exc:
            notes.append(f"the history could not be read ({exc}); it is deleted with the folder")
    names |= _listed_entries(profile)
    return names


def _listed_entries(profile: Profile) -> set[tuple[str, str]]:
    """Entries of this profile found by asking the keyring itself, where the backend can list
    (the Secret Service can; macOS Keychain and Windows cannot, through `keyring`)."""
    import keyring

    from optout.credentials import SERVICE, entry_name, legacy_entry_name
    from optout.notify import KEYRING_SERVICE, entry_user

    profile_name, mine = profile.name, (entry_name(profile, ""), legacy_entry_name(profile, ""))
    found: set[tuple[str, str]] = set()
    try:
        backend = keyring.get_keyring()
        for b in [backend, *getattr(backend, "backends", [])]:
            if not type(b).__module__.endswith("SecretService"):
                continue
            collection = b.get_preferred_collection()
            for item in collection.search_items({"service": SERVICE}):
                user = item.get_attributes().get("username", "")
                if user.startswith(mine):
                    found.add((SERVICE, user))
            for user in (entry_user(profile_name, profile.root), profile_name):
                if list(collection.search_items({"service": KEYRING_SERVICE, "username": user})):
                    found.add((KEYRING_SERVICE, user))
    except Exception as exc:  # listing is a bonus; the named entries are deleted regardless
        log.info("profile.keyring_list_failed", error=type(exc).__name__)
    return found


def _has_entry(service: str, name: str) -> bool:
    import keyring

    from optout.credentials import _keyring_errors

    with _keyring_errors("read a secret"):
        return keyring.get_password(service, name) is not None


def _delete_entry(service: str, name: str) -> bool:
    import keyring
    import keyring.errors

    from optout.credentials import _keyring_errors

    with _keyring_errors("delete a secret"):
        try:
            keyring.delete_password(service, name)
        except keyring.errors.PasswordDeleteError:
            return False
    return True


def _remove_schedule(name: str, system: str | None, removal: Removal) -> None:
    from optout import schedule

    system = system or schedule.detect_system()
    if system == "cron" and not shutil.which("crontab"):
        return  # no cron here, so no cron entry either
    lines = schedule.remove(name, system=system)
    if lines != [f"no schedule was installed for profile {name}"]:
        removal.schedule.extend(lines)


def delete_profile(name: str, *, root: Path | None = None, system: str | None = None,
                   with_sandbox: bool = True) -> list[Removal]:
    """Remove every trace of one person's profile: its schedule, its keyring entries (accounts,
    session key, notification addresses), and its folder (accounts index, sessions, history,
    evidence, locks, logs). Also its `sandbox-NAME` twin when there is one.

    The keyring must be usable (else nothing is deleted, so a retry finds everything), and the
    schedule goes first: a scheduled run left behind would create the profile again."""
    from optout.credentials import keyring_problem
    from optout.errors import KeyringUnavailable
    from optout.notify import KEYRING_SERVICE, entry_user

    check_profile_name(name)
    problem = keyring_problem()
    if problem:
        from optout.credentials import KEYRING_FIXES

        raise KeyringUnavailable(f"Cannot remove the keyring entries of profile {name}: {problem}. "
                                 "Nothing was deleted.", KEYRING_FIXES)

    profile = Profile(name, root=root)
    removal = Removal(name)
    base = profile.base
    with contextlib.ExitStack() as stack:
        if base.is_dir() and not base.is_symlink():
            from optout.schedule import run_lock

            # Never pull anything from under a running check: wait for none, fail before deleting.
            removal.files = sorted(p for p in base.rglob("*") if p.is_file() or p.is_symlink())
            stack.enter_context(run_lock(profile))
        urls = {(KEYRING_SERVICE, entry_user(name, root)), (KEYRING_SERVICE, name)}  # new and legacy name
        had_urls = any(_has_entry(*entry) for entry in urls)  # schedule.remove() deletes them too
        _remove_schedule(name, system, removal)
        entries = _account_entries(profile, removal.notes) | urls
        for service, entry in sorted(entries):
            deleted = _delete_entry(service, entry)
            if service == KEYRING_SERVICE:
                said = f"{service}: notification addresses of profile {name}"
                if (deleted or had_urls) and said not in removal.keyring:
                    removal.keyring.append(said)
            elif deleted:
                removal.keyring.append(f"{service}: {entry}")
        for path in removal.files:
            if path.name not in ("run.lock", "run.pid"):
                path.unlink(missing_ok=True)
    if base.is_symlink():
        base.unlink()
        removal.folder = base
    elif base.is_dir():
        shutil.rmtree(base)
        removal.folder = base
    removals = [removal]
    if with_sandbox and not name.startswith("sandbox-") and len(name) <= 56:
        twin = Profile(f"sandbox-{name}", root=root)
        if twin.base.exists():
            removals += delete_profile(twin.name, root=root, system=system, with_sandbox=False)
    return removals


# -- assisted sessions ---------------------------------------------------------------------------

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
    return (f"optout is waiting for you to sign in to {flow_name}. Sign in as you always do: "
            "optout does not read or keep your password. It carries on by itself once you are in.")


@dataclass
class Assisted:
    """What an assisted session did: the last reading of every setting, and what was asked."""

    results: list[Result] = field(default_factory=list)
    first: list[Result] = field(default_factory=list)  # the readings before anything changed
    platforms: list[str] = field(default_factory=list)
    kept: str | None = None  # the profile sessions were kept in, if any


def setting_of(flow, setting_id: str):
    """The flow's Setting for a result's setting id ("id", or "id/item" for per-item settings)."""
    if flow is None:
        return None
    base = setting_id.split("/", 1)[0]
    return next((s for s in flow.settings if s.id == base), None)


def _wants_off(flow, setting, selected: set[str], all_settings: bool) -> bool:
    if setting is None:
        return False
    if not setting.opt_in or all_settings:
        return True
    return bool({setting.id, f"{flow.id}:{setting.id}"} & selected)


def _not_signed_in(flow, detail: str) -> list[Result]:
    return [Result(platform=flow.id, setting=s.id, state=State.NEEDS_LOGIN, detail=detail,
                   account=ASSISTED_ACCOUNT, label=s.label, flow_version=flow.version)
            for s in flow.settings]


async def _maybe_await(value):
    return await value if inspect.isawaitable(value) else value


async def _wait_signed_in(context, flow, wait_s: float) -> str:
    """'signed_in', 'closed' (the person closed the window: skip) or 'timeout'."""
    from optout.pageprobe import matches

    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        pages = [p for p in context.pages if not p.is_closed()]
        if not pages:
            return "closed"
        for page in pages:
            if flow.owns(page.url) and await matches(page, flow.login.signed_in):
                return "signed_in"
        await asyncio.sleep(0.5)
    return "timeout"


async def _read_in(flow, options, context) -> list[Result]:
    """One AccountRun in the person's live context (no credential: optout never types one)."""
    from playwright.async_api import Error as PlaywrightError

    from optout import engine

    account = engine.Account(flow.id, ASSISTED_ACCOUNT)
    try:
        return await engine.AccountRun(flow, account, options, context).run(flow.settings)
    except PlaywrightError as exc:
        detail = engine.describe_browser_error(exc)
        return [Result(platform=flow.id, setting=s.id, state=State.ERROR, detail=detail,
                       account=ASSISTED_ACCOUNT, label=s.label, flow_version=flow.version)
                for s in flow.settings]


async def assist(platforms: Sequence[str], *, keep_profile: Profile | None = None,
                 confirm: Confirm | None = None, tell: Tell | None = None,
                 on_result: Callable[[Result], None] | None = None,
                 headless: bool = False, browser_path: str | None = None, setup_context=None,
                 on_ready=None, wait_s: float = 900.0, flows_dir: Path | None = None,
                 selected: Sequence[str] = (), all_settings: bool = False, form_reason: str = "",
                 find_timeout_s: float = 15.0, tmp_root: Path | None = None) -> Assisted:
    """An assisted session: for each platform the person signs in themselves in a visible browser,
    optout reads the settings, and switches off what is on once `confirm(flow, readings, to_switch)`
    says yes (None: read only).

    Nothing is stored unless `keep_profile` is given (then the session, history and evidence go
    into it). Sessions live only in the browser's in-memory contexts; screenshots go to a private
    temporary folder that is removed at the end, whatever happens. `headless`, `setup_context`
    and `on_ready(page)` (called once the sign-in page is open) let tests play the person."""
    from playwright.async_api import async_playwright

    from optout import browser as browser_mod
    from optout import engine, flowspec, logs

    logs.ensure_configured()
    tell = tell or (lambda message: None)
    flows = flowspec.resolve(list(platforms), flows_dir)
    selected_set = set(selected)
    outcome = Assisted(platforms=[f.id for f in flows], kept=keep_profile.name if keep_profile else None)
    if keep_profile is not None:
        keep_profile.ensure()
    scratch = Path(tempfile.mkdtemp(prefix="optout-assist-", dir=tmp_root))  # 0700
    prior = None
    if keep_profile is not None and keep_profile.history_db.exists():
        from optout.history import History

        with History(keep_profile) as past:
            prior = past.last_submitted

    def emit(results: list[Result]) -> None:
        for r in results:
            on_result and on_result(r)

    try:
        choice = browser_mod.find_browser(browser_path)
        async with async_playwright() as playwright:
            browser = await browser_mod.launch(playwright, choice, headless=headless)
            for flow in flows:
                if flow.guide is not None:
                    results = engine.guide_results(flow)
                    tell(f"{flow.name}: nothing optout can switch here; the handout lists what to do.")
                    emit(results)
                    outcome.first += results
                    outcome.results += results
                    continue
                results, first = await _assist_one(
                    browser, flow, keep_profile=keep_profile, confirm=confirm, tell=tell, emit=emit,
                    setup_context=setup_context, on_ready=on_ready, wait_s=wait_s,
                    options=dict(headless=headless, browser_path=browser_path, selected=selected_set,
                                 all_settings=all_settings, form_reason=form_reason,
                                 find_timeout_s=find_timeout_s, prior=prior,
                                 evidence_dir=keep_profile.evidence if keep_profile else scratch / "evidence"),
                )
                outcome.first += first
                outcome.results += results
            await browser.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return outcome


async def _assist_one(browser, flow, *, keep_profile, confirm, tell, emit, setup_context, on_ready,
                      wait_s, options) -> tuple[list[Result], list[Result]]:
    from playwright.async_api import Error as PlaywrightError

    from optout import engine

    context = await browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    try:
        if setup_context:
            await setup_context(context)
        banner = await context.add_init_script(_banner_script(banner_text(flow.name)))
        page = await context.new_page()
        tell(f"{flow.name}: the browser window shows the {flow.name} sign-in page. Ask the person to "
             "sign in there themselves, and look away while they type their password. optout carries "
             f"on by itself once they are in. To skip {flow.name}, close that window.")
        try:
            await page.goto(flow.login.url, wait_until="domcontentloaded")
        except PlaywrightError as exc:
            results = _not_signed_in(flow, f"the {flow.name} sign-in page did not open: "
                                           f"{engine.describe_browser_error(exc)}")
            emit(results)
            return results, results
        if on_ready:
            await on_ready(page)
        how = await _wait_signed_in(context, flow, wait_s)
        if how != "signed_in":
            detail = ("skipped: the window was closed before signing in" if how == "closed" else
                      f"skipped: the sign-in did not finish within {wait_s / 60:.0f} minutes")
            tell(f"{flow.name}: {detail}.")
            results = _not_signed_in(flow, detail)
            emit(results)
            return results, results
        await banner.close()
        for open_page in context.pages:
            try:
                await open_page.evaluate(f"() => document.querySelectorAll('{BANNER_TAG}').forEach(e => e.remove())")
            except PlaywrightError:
                pass
        tell(f"{flow.name}: signed in. Reading the settings (nothing is changed yet)…")
        first = await _run_phase(flow, "check", options, context, keep_profile)
        emit(first)
        to_switch = [r for r in first if r.state == State.ON
                     and _wants_off(flow, setting_of(flow, r.setting), options["selected"], options["all_settings"])]
        results = first
        if to_switch and confirm is not None and await _maybe_await(confirm(flow, first, to_switch)):
            tell(f"{flow.name}: switching off, then reloading to check it stuck…")
            results = await _run_phase(flow, "off", options, context, keep_profile)
            emit(results)
        elif to_switch:
            tell(f"{flow.name}: nothing was changed.")
        if keep_profile is not None:
            from optout.sessions import SessionStore

            SessionStore(keep_profile).save(flow.id, ASSISTED_ACCOUNT, await context.storage_state())
            tell(f"{flow.name}: kept the session (encrypted) in profile {keep_profile.name}.")
        return results, first
    finally:
        try:
            await context.close()
        except PlaywrightError:
            pass


async def _run_phase(flow, mode: str, options: dict, context, keep_profile: Profile | None) -> list[Result]:
    from optout import engine

    run_options = engine.RunOptions(mode=mode, sessions=None, **options)  # type: ignore[arg-type]
    if keep_profile is None:
        return await _read_in(flow, run_options, context)
    from optout.history import RunRecorder

    with RunRecorder(keep_profile, mode) as recorder:
        results = await _read_in(flow, run_options, context)
        for r in results:
            recorder(r)
    return results


# -- handouts -----------------------------------------------------------------------------------

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
