"""Profiles: each person's accounts, keyring entries, sessions, history, evidence and page
captures kept apart.

`list_profiles` shows them; `delete_profile` removes every trace of one person, saying what it
removed.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import keyring
import structlog

from optout import schedule
from optout.credentials import AccountStore, entry_name, legacy_entry_name
from optout.errors import KeyringUnavailable, OptoutError
from optout.history import History
from optout.notify import KEYRING_SERVICE, entry_user
from optout.oskeyring import (
    SERVICE,
    keyring_delete,
    keyring_fixes,
    keyring_get,
    keyring_problem,
)
from optout.paths import Profile, check_profile_name, home
from optout.runlock import run_lock
from optout.sandbox.router import state_file
from optout.sessions import SUFFIX, SessionStore

log = structlog.get_logger()


@dataclass(frozen=True)
class ProfileInfo:
    name: str
    accounts: int
    sessions: int
    last_run: str | None  # ISO time (UTC) the latest run started, None when never run
    path: Path

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "accounts": self.accounts,
            "sessions": self.sessions,
            "last_run": self.last_run,
            "path": str(self.path),
        }


def _profiles_dir(root: Path | None = None) -> Path:
    return (root or home()) / "profiles"


def list_profiles(root: Path | None = None) -> list[ProfileInfo]:
    """Every profile with a folder under the data dir: how many accounts, sessions, the last run."""

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
        sessions = (
            len(list(profile.sessions.glob(f"*{SUFFIX}"))) if profile.sessions.is_dir() else 0
        )
        found.append(ProfileInfo(profile.name, accounts, sessions, _last_run(profile), base))
    return found


def _last_run(profile: Profile) -> str | None:
    if not profile.history_db.exists():
        return None
    try:
        with History(profile, read_only=True) as history:
            return history.last_started()
    except OptoutError:
        return None


@dataclass
class Removal:
    """What deleting one profile removed (never secret values: entry names and paths only)."""

    profile: str
    keyring: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    folder: Path | None = None
    schedule: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Files of the person outside the profile folder that were deleted (the sandbox state).
    others: list[str] = field(default_factory=list)
    #: What of the person could not be deleted safely and is still there, with why.
    remains: list[str] = field(default_factory=list)

    @property
    def found_anything(self) -> bool:
        return bool(
            self.keyring
            or self.files
            or self.folder
            or self.schedule
            or self.others
            or self.remains
        )

    def to_dict(self) -> dict:
        return {
            "profile": self.profile,
            "keyring": self.keyring,
            "files": [str(p) for p in self.files],
            "folder": str(self.folder) if self.folder else None,
            "schedule": self.schedule,
            "notes": self.notes,
            "others": self.others,
            "remains": self.remains,
        }

    def lines(self) -> list[str]:
        """What was removed, for people."""
        if not self.found_anything:
            return [
                f"Profile {self.profile}: nothing of it was found (no folder, no keyring entries, no schedule)."
            ]
        out = [f"Profile {self.profile}:"]
        for entry in self.keyring:
            out.append(f"  removed keyring entry {entry}")
        kinds = _file_kinds(self.files, self.folder)
        if self.folder:
            out.append(
                f"  deleted the folder {self.folder} ({_count(len(self.files), 'file')}: {kinds})"
            )
        for line in self.schedule:
            out.append(f"  schedule: {line}")
        out.extend(f"  deleted {other}" for other in self.others)
        out.extend(f"  note: {n}" for n in self.notes)
        out.extend(f"  NOT DELETED: {r}" for r in self.remains)
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
        elif rel.parts[0] == "captures":
            kind = "page capture"
        elif rel.name.startswith("history.sqlite3"):
            kind = "history file"
        elif rel.name == "accounts.json":
            kind = "accounts index"
        else:
            kind = "other file"
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(_count(n, kind) for kind, n in sorted(counts.items()))


#: What optout itself writes in a profile folder: a linked folder holding only these is the
#: person's profile and is emptied; one holding anything else is left alone.
_OURS = re.compile(
    r"^(sessions|evidence|captures|accounts\.json|history\.sqlite3(-wal|-shm|-journal)?|run\.lock|run\.pid"
    r"|schedule\.log|.*\.task\.xml|\..*\.tmp)$"
)


def _strangers(folder: Path) -> list[str]:
    """Names at the top of `folder` that optout does not make."""
    return sorted(p.name for p in folder.iterdir() if not _OURS.match(p.name))


def _linked_folder(base: Path, removal: Removal) -> Path | None:
    """The folder a linked profile folder points to, when it is safe to empty (it holds only what
    optout makes); else None, with what remains and why in `removal`."""
    target = base.resolve()
    if not target.is_dir():
        removal.notes.append(
            f"{base} was a link to {target}, which is not a folder; the link was removed"
        )
        return None
    strangers = _strangers(target)
    if strangers:
        shown = ", ".join(strangers[:5]) + (", …" if len(strangers) > 5 else "")
        removal.remains.append(
            f"{target} (the profile folder {base} links to it) holds files optout did not make ({shown}), "
            f"so nothing in it was deleted, nor the link. Delete the person's files there yourself, "
            f"then: rm '{base}'"
        )
        return None
    return target


def _sandbox_state(name: str, root: Path | None, removal: Removal) -> None:
    """The replicas' state of `optout --sandbox --profile NAME` (its e-mail, sign-in events)."""

    path = state_file(name, root)
    for file in (path, path.with_suffix(".tmp")):
        if file.is_symlink() or file.is_file():
            file.unlink()
            removal.others.append(
                f"{file} (the sandbox replicas' state: e-mail and sign-in events of sandbox runs)"
            )


def _account_entries(profile: Profile, notes: list[str]) -> set[tuple[str, str]]:
    """Every keyring entry of this profile optout can name: from the accounts index, the saved
    sessions and the history (so an entry whose index line was lost is still found)."""

    names = {(SERVICE, entry_name(profile, "session-key"))}
    try:
        for info in AccountStore(profile).list():
            names.add((SERVICE, entry_name(profile, info.platform, info.username)))
    except OptoutError as exc:
        notes.append(
            f"the accounts index could not be read ({exc.message}); other sources were used"
        )
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
        try:
            with History(profile, read_only=True) as history:
                recorded = history.accounts()
            for platform, account in recorded:
                if account:
                    names.add((SERVICE, entry_name(profile, platform, account)))
        except OptoutError as exc:
            notes.append(f"{exc.message} It is deleted with the folder.")
    names |= _listed_entries(profile)
    return names


def _listed_entries(profile: Profile) -> set[tuple[str, str]]:
    """Entries of this profile found by asking the keyring itself, where the backend can list
    (the Secret Service can; macOS Keychain and Windows cannot, through `keyring`)."""

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


def _remove_schedule(name: str, system: str | None, removal: Removal) -> None:
    system = system or schedule.detect_system()
    if system == "cron" and not shutil.which("crontab"):
        return  # no cron here, so no cron entry either
    lines = schedule.remove(name, system=system)
    if lines != [f"no schedule was installed for profile {name}"]:
        removal.schedule.extend(lines)


def delete_profile(
    name: str, *, root: Path | None = None, system: str | None = None, with_sandbox: bool = True
) -> list[Removal]:
    """Remove every trace of one person's profile: its schedule, its keyring entries (accounts,
    session key, notification addresses), and its folder (accounts index, sessions, history,
    evidence, locks, logs). Also its `sandbox-NAME` twin when there is one.

    The keyring must be usable (else nothing is deleted, so a retry finds everything), and the
    schedule goes first: a scheduled run left behind would create the profile again."""

    check_profile_name(name)
    problem = keyring_problem()
    if problem:
        raise KeyringUnavailable(
            f"Cannot remove the keyring entries of profile {name}: {problem}. Nothing was deleted.",
            keyring_fixes(),
        )

    profile = Profile(name, root=root)
    removal = Removal(name)
    base = profile.base
    folder = _linked_folder(base, removal) if base.is_symlink() else base
    with contextlib.ExitStack() as stack:
        if folder is not None and folder.is_dir():
            # Never pull anything from under a running check: wait for none, fail before deleting.
            removal.files = sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())
            stack.enter_context(run_lock(profile))
        urls = {
            (KEYRING_SERVICE, entry_user(name, root)),
            (KEYRING_SERVICE, name),
        }  # new and legacy name
        had_urls = any(keyring_get(entry, service=service) is not None for service, entry in urls)
        _remove_schedule(name, system, removal)
        entries = _account_entries(profile, removal.notes) | urls
        for service, entry in sorted(entries):
            deleted = keyring_delete(entry, service=service)
            if service == KEYRING_SERVICE:
                said = f"{service}: notification addresses of profile {name}"
                if (deleted or had_urls) and said not in removal.keyring:
                    removal.keyring.append(said)
            elif deleted:
                removal.keyring.append(f"{service}: {entry}")
        for path in removal.files:
            if path.name not in ("run.lock", "run.pid"):
                path.unlink(missing_ok=True)
    if base.is_symlink() and folder is not None:  # a linked folder holding only optout's files
        for child in folder.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        base.unlink()
        removal.folder = folder
        removal.notes.append(
            f"{base} was a link to {folder}: the files in it were deleted, and the link; "
            "the empty folder itself was left, as optout did not make it"
        )
    elif base.is_symlink():
        if not removal.remains:
            base.unlink()  # a link to nothing, or to a file
    elif base.is_dir():
        shutil.rmtree(base)
        removal.folder = base
    if with_sandbox or name.startswith("sandbox-"):
        _sandbox_state(name, root, removal)
    removals = [removal]
    if with_sandbox and not name.startswith("sandbox-") and len(name) <= 56:
        twin = Profile(f"sandbox-{name}", root=root)
        if twin.base.exists():
            removals += delete_profile(twin.name, root=root, system=system, with_sandbox=False)
    return removals
