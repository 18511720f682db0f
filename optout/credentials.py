"""Passwords and TOTP secrets, kept in the OS keyring (optout.oskeyring), or in a 0600 file the
person chose (optout.filestore).

The keyring holds the secrets; `accounts.json` in the profile is only an index (platform,
username, whether a TOTP secret exists) so `optout account list` never needs to unlock anything.
A backend that would store secrets in plaintext, or drop them, is refused: optout never falls back
by itself. Where no keyring works (WSL, SSH, containers) the person may choose, per profile and out
loud, the file store (`account add --insecure-storage`): PROFILE/secrets.json, readable by its
owner only and not encrypted, like `gh auth login --insecure-storage`. Every secret of that
profile (logins, the sessions' key) then lives there.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import getpass
import json
import sys
from dataclasses import asdict, dataclass, field
from typing import IO

import pyotp

from optout.errors import AccountNotFound, OptoutError
from optout.filestore import read_file_store, uses_file_store, write_file_store
from optout.holds import Holds
from optout.oskeyring import (
    keyring_delete,
    keyring_get,
    keyring_problem,
    keyring_set,
    require_keyring,
)
from optout.paths import Profile, folder_error, folder_tag, write_private


@dataclass(frozen=True)
class Credential:
    """One account's login. Secrets stay out of repr() so they never reach a log or traceback."""

    username: str
    password: str = field(repr=False)
    totp_secret: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Sites show setup keys in groups ("abcd efgh ..."): keep one canonical form.
        secret = self.totp_secret
        if secret is not None:
            secret = "".join(secret.split()).upper() or None
        object.__setattr__(self, "totp_secret", secret)

    def validate(self) -> None:
        if self.totp_secret is not None:
            _secret_bytes(self.totp_secret)

    def totp_code(self) -> str | None:
        if self.totp_secret is None:
            return None
        return totp(self.totp_secret).now()


def totp(secret: str):
    """A pyotp.TOTP that also takes 80-bit secrets: pyotp >= 2.10 refuses secrets under 112 bits
    (a rule for issuers), but many sites still hand them out and the person cannot choose."""

    class _TOTP(pyotp.TOTP):
        def byte_secret(self) -> bytes:
            return _secret_bytes(self.secret)

    return _TOTP("".join(secret.split()).upper())


def _secret_bytes(secret: str) -> bytes:
    try:
        raw = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) < 10:  # under 80 bits: most likely a 6-digit code pasted by mistake
        raise OptoutError(
            "The TOTP secret is not a valid setup key (base32: letters A-Z and digits 2-7, 16 or more).",
            'Copy the setup key shown next to the QR code ("can\'t scan it?"), not a 6-digit code, '
            "and add the account again with `optout account add PLATFORM`.",
        )
    return raw


@dataclass(frozen=True)
class AccountInfo:
    """What the index says about an account: no secrets, safe to print."""

    platform: str
    username: str
    has_totp: bool
    added: str  # ISO date


def require_secrets(profile: Profile) -> None:
    """A profile that chose the file store needs no keyring; every other one does."""
    if not uses_file_store(profile):
        require_keyring()


def unlock_secrets(profile: Profile) -> None:
    """Read one secret of the profile before any progress output starts, so a keyring that asks
    for its password asks on a clean terminal (and, unlocked, does not ask again in this run)."""
    if uses_file_store(profile) or keyring_problem() is not None:
        return  # nothing to unlock; a missing keyring is said where a secret is needed
    if not profile.accounts_file.exists() and not any(profile.sessions.glob("*.session")):
        return  # nothing of this profile is in the keyring yet
    entry_get(profile, "session-key")


def entry_name(profile: Profile, *parts: str) -> str:
    """The keyring username for something of this profile in this data folder, e.g.
    `default@1a2b3c4d/linkedin/alice` (see paths.folder_tag)."""
    return "/".join((f"{profile.name}@{folder_tag(profile.root)}", *parts))


def legacy_entry_name(profile: Profile, *parts: str) -> str:
    """The name optout used before entries were tied to the data folder: `default/linkedin/alice`."""
    return "/".join((profile.name, *parts))


def entry_get(profile: Profile, *parts: str, legacy_if=None) -> str | None:
    """Read an entry of this profile (from its file store when it chose one).

    An entry still under the legacy name (`default/linkedin/alice`, before names were tied to a
    data folder) is copied to this folder's name only when `legacy_if(value)` proves it belongs
    here (the folder's own index lists the account; the key decrypts the folder's own sessions).
    Without proof it is neither read nor moved: another data folder of the same profile name may
    own it. The legacy entry itself stays until its account is removed: a second folder that
    shared it in those days may still need it."""
    if uses_file_store(profile):
        return read_file_store(profile).get("/".join(parts))
    name = entry_name(profile, *parts)
    value = keyring_get(name)
    if value is None and legacy_if is not None:
        legacy = keyring_get(legacy_entry_name(profile, *parts))
        if legacy is not None and legacy_if(legacy):
            keyring_set(name, legacy)
            value = legacy
    return value


def entry_set(profile: Profile, *parts: str, value: str) -> None:
    """Store an entry of this profile, in its file store when it chose one, else in the keyring."""
    if uses_file_store(profile):
        write_file_store(profile, {**read_file_store(profile), "/".join(parts): value})
    else:
        keyring_set(entry_name(profile, *parts), value)


def entry_delete(profile: Profile, *parts: str) -> bool:
    """Delete an entry of this profile, under its name and the legacy one (a legacy entry is
    copied, never moved: removing the account removes both)."""
    if uses_file_store(profile):
        data = read_file_store(profile)
        if data.pop("/".join(parts), None) is None:
            return False
        write_file_store(profile, data)
        return True
    current = keyring_delete(entry_name(profile, *parts))
    return keyring_delete(legacy_entry_name(profile, *parts)) or current


class AccountStore:
    """Accounts of one profile: secrets in the keyring, an index without secrets on disk."""

    def __init__(self, profile: Profile):
        self.profile = profile

    def _entry(self, platform: str, username: str) -> str:
        return entry_name(self.profile, platform, username)

    def _read_index(self) -> list[AccountInfo]:
        path = self.profile.accounts_file
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
            return [AccountInfo(**row) for row in rows]
        except FileNotFoundError:
            return []
        except (
            NotADirectoryError,
            PermissionError,
        ) as exc:  # the folder, not the index, is the problem
            raise folder_error(exc, path.parent) from None
        except (
            OSError,
            ValueError,
            TypeError,
        ) as exc:  # unreadable, not JSON, or not rows of accounts
            raise OptoutError(
                f"The accounts index {path} cannot be read ({exc}).",
                "Move it aside and add the accounts again; the passwords are still in the keyring.",
            ) from None

    def _write_index(self, rows: list[AccountInfo]) -> None:
        self.profile.ensure()
        rows = sorted(rows, key=lambda r: (r.platform, r.username))
        data = json.dumps([asdict(r) for r in rows], indent=2) + "\n"
        write_private(self.profile.accounts_file, data.encode("utf-8"))

    def add(self, platform: str, credential: Credential) -> AccountInfo:
        require_secrets(self.profile)
        credential.validate()
        same = [
            r.username
            for r in self._read_index()
            if r.platform == platform
            and r.username != credential.username
            and r.username.casefold() == credential.username.casefold()
        ]
        if same:  # a run signs in to each account once, comparing names without case
            raise OptoutError(
                f"The {platform} account '{same[0]}' is already stored; '{credential.username}' differs from it "
                "only in case, and optout treats the two as one account (sites do too).",
                f"To change its password, add it as '{same[0]}'; or remove it first: "
                f"`optout account remove {platform} '{same[0]}'`.",
            )
        value = json.dumps({"password": credential.password, "totp_secret": credential.totp_secret})
        previous = entry_get(
            self.profile, platform, credential.username
        )  # kept if the update fails
        entry_set(self.profile, platform, credential.username, value=value)
        info = AccountInfo(
            platform=platform,
            username=credential.username,
            has_totp=credential.totp_secret is not None,
            added=_dt.date.today().isoformat(),
        )
        rows = [
            r
            for r in self._read_index()
            if (r.platform, r.username) != (platform, credential.username)
        ]
        try:
            self._write_index([*rows, info])
        except BaseException:
            if previous is None:
                entry_delete(
                    self.profile, platform, credential.username
                )  # no entry the index does not know of
            else:
                entry_set(self.profile, platform, credential.username, value=previous)
            raise
        Holds(self.profile).clear(platform, credential.username)  # a new password may be tried once
        return info

    def list(self, platform: str | None = None) -> list[AccountInfo]:
        return [r for r in self._read_index() if platform is None or r.platform == platform]

    def _load(self, info: AccountInfo) -> Credential | None:
        # a legacy entry is this folder's when its own index lists the account (read just now)
        def listed(_value) -> bool:
            return any(
                (r.platform, r.username) == (info.platform, info.username)
                for r in self._read_index()
            )

        raw = entry_get(self.profile, info.platform, info.username, legacy_if=listed)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return Credential(info.username, data["password"], data.get("totp_secret"))
        except (ValueError, KeyError, TypeError):
            raise OptoutError(
                f"The keyring entry for {info.platform} account '{info.username}' was not written by optout.",
                f"Remove it with `optout account remove {info.platform}` and add it again.",
            ) from None

    def credentials(self, platform: str) -> list[Credential]:
        """Every stored login for a platform; an entry gone from the keyring is skipped."""
        found = []
        for info in self.list(platform):
            cred = self._load(info)
            if cred is not None:
                found.append(cred)
        return found

    def get(self, platform: str, username: str | None = None) -> Credential:
        rows = [r for r in self.list(platform) if username is None or r.username == username]
        if len(rows) > 1:
            names = ", ".join(r.username for r in rows)
            raise OptoutError(
                f"There are several {platform} accounts ({names}).",
                "Say which one with --account NAME.",
            )
        cred = self._load(rows[0]) if rows else None
        if cred is None:
            who = f"{platform} account '{username}'" if username else f"{platform} account"
            raise AccountNotFound(
                f"No stored {who}.", f"Add it with `optout account add {platform}`."
            )
        return cred

    def remove(self, platform: str, username: str | None = None) -> list[AccountInfo]:
        rows = self._read_index()
        doomed = [r for r in rows if r.platform == platform and username in (None, r.username)]
        if not doomed:
            who = f"{platform} account '{username}'" if username else f"{platform} account"
            raise AccountNotFound(
                f"No stored {who} to remove.", "See what is stored with `optout account list`."
            )
        for info in doomed:
            entry_delete(self.profile, info.platform, info.username)
        self._write_index([r for r in rows if r not in doomed])
        return doomed

    def forget_all(self) -> list[str]:
        """Delete every keyring entry the index knows of, and the index; returns the entries deleted."""
        removed = []
        for info in self._read_index():
            if entry_delete(self.profile, info.platform, info.username):
                removed.append(self._entry(info.platform, info.username))
        self.profile.accounts_file.unlink(missing_ok=True)
        return removed


def read_secret(prompt: str, *, stream: IO[str] | None = None) -> str:
    """A secret from the terminal (hidden) or from a pipe, never from argv.

    `stream` defaults to sys.stdin at call time, so click's CliRunner input reaches it. The line
    ending is not part of the secret, whether "\n" or "\r\n".
    """
    stream = sys.stdin if stream is None else stream
    line = getpass.getpass(prompt, stream=sys.stderr) if stream.isatty() else stream.readline()
    return line.removesuffix("\n").removesuffix("\r")  # a CRLF terminal or file sends "\r\n"
