"""Passwords and TOTP secrets, kept in the OS keyring and nowhere else.

The keyring holds the secrets; `accounts.json` in the profile is only an index (platform,
username, whether a TOTP secret exists) so `optout account list` never needs to unlock anything.
A backend that would store secrets in plaintext, or drop them, is refused: optout never falls back.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import getpass
import json
import sys
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import IO, Iterator

import keyring
import keyring.errors

from optout.errors import AccountNotFound, KeyringUnavailable, OptoutError
from optout.paths import Profile, folder_error, folder_tag, write_private

SERVICE = "optout"

KEYRING_FIXES = (
    "Fix it in one of these ways:\n"
    "  - use a desktop keyring: GNOME Keyring, KWallet, macOS Keychain or Windows Credential Manager;\n"
    "  - on a server: `apt-get install gnome-keyring dbus`, then `dbus-run-session -- sh` and inside it\n"
    '    `echo -n "pick-a-password" | gnome-keyring-daemon --unlock`, and run optout in that shell;\n'
    "  - or `pip install keyrings.cryptfile` and set\n"
    "    PYTHON_KEYRING_BACKEND=keyrings.cryptfile.cryptfile.CryptFileKeyring"
)


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
    import pyotp

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
            "Copy the setup key shown next to the QR code (\"can't scan it?\"), not a 6-digit code, "
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


def _backend_problem(backend) -> str | None:
    # Same test as poetry's PoetryKeyring._check, plus chainers of nothing usable.
    from keyring.backends.chainer import ChainerBackend

    name = backend.name
    if isinstance(backend, ChainerBackend):
        children = list(backend.backends)
        if not any(_backend_problem(child) is None for child in children):
            names = ", ".join(child.name for child in children) or "none"
            return f"the keyring backend chains no usable backend (found: {names})"
        return None
    if name.split(" ")[0] in ("fail", "null"):
        return f"no keyring backend is available ({name})"
    if "plaintext" in name.lower():
        return f"the keyring backend '{name}' stores secrets in plaintext"
    return None


def keyring_problem() -> str | None:
    """None when the active keyring backend can hold secrets, else why not."""
    try:
        return _backend_problem(keyring.get_keyring())
    except Exception as exc:  # a broken keyringrc or backend import
        return f"the keyring could not be set up: {type(exc).__name__}: {exc}"


def require_keyring() -> None:
    problem = keyring_problem()
    if problem:
        raise KeyringUnavailable(f"Cannot store or read secrets: {problem}.", KEYRING_FIXES)


@contextmanager
def keyring_errors(action: str) -> Iterator[None]:
    """Turn any backend failure (locked, no D-Bus, init error) into a clear KeyringUnavailable."""
    try:
        yield
    except OptoutError:
        raise
    except keyring.errors.KeyringLocked as exc:
        raise KeyringUnavailable(
            f"The keyring is locked, so optout could not {action}.",
            "Unlock it (log in to the desktop, or `gnome-keyring-daemon --unlock` on a server) "
            f"and try again.\n{KEYRING_FIXES}",
        ) from exc
    except keyring.errors.InitError as exc:
        backend = getattr(keyring.get_keyring(), "name", "?")
        raise KeyringUnavailable(
            f"The keyring ({backend}) could not be opened to {action}: {exc}",
            "Without a desktop it cannot ask for its password: on a server start it with "
            f"`gnome-keyring-daemon --unlock` before optout runs.\n{KEYRING_FIXES}",
        ) from exc
    except Exception as exc:
        backend = getattr(keyring.get_keyring(), "name", "?")
        raise KeyringUnavailable(
            f"The keyring ({backend}) failed when optout tried to {action}: {type(exc).__name__}: {exc}",
            KEYRING_FIXES,
        ) from exc


def entry_name(profile: Profile, *parts: str) -> str:
    """The keyring username for something of this profile in this data folder, e.g.
    `default@1a2b3c4d/linkedin/alice` (see paths.folder_tag)."""
    return "/".join((f"{profile.name}@{folder_tag(profile.root)}", *parts))


def legacy_entry_name(profile: Profile, *parts: str) -> str:
    """The name optout used before entries were tied to the data folder: `default/linkedin/alice`."""
    return "/".join((profile.name, *parts))


def entry_get(profile: Profile, *parts: str) -> str | None:
    """Read an entry of this profile; one still under the legacy name moves to the new name
    (stored anew first, the old one deleted only after)."""
    name = entry_name(profile, *parts)
    value = keyring_get(name)
    if value is None:
        legacy = legacy_entry_name(profile, *parts)
        value = keyring_get(legacy)
        if value is not None:
            keyring_set(name, value)
            keyring_delete(legacy)
    return value


def entry_delete(profile: Profile, *parts: str) -> bool:
    """Delete an entry of this profile; under the legacy name when it was never moved."""
    return keyring_delete(entry_name(profile, *parts)) or keyring_delete(legacy_entry_name(profile, *parts))


def keyring_get(name: str, *, service: str = SERVICE) -> str | None:
    require_keyring()
    with keyring_errors("read a secret"):
        return keyring.get_password(service, name)


def keyring_set(name: str, value: str) -> None:
    require_keyring()
    with keyring_errors("store a secret"):
        keyring.set_password(SERVICE, name, value)


def keyring_delete(name: str, *, service: str = SERVICE) -> bool:
    """Delete an entry; False when it was not there."""
    require_keyring()
    with keyring_errors("delete a secret"):
        try:
            keyring.delete_password(service, name)
        except keyring.errors.PasswordDeleteError:
            return False
    return True


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
        except (NotADirectoryError, PermissionError) as exc:  # the folder, not the index, is the problem
            raise folder_error(exc, path.parent) from None
        except (OSError, ValueError, TypeError) as exc:  # unreadable, not JSON, or not rows of accounts
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
        require_keyring()
        credential.validate()
        value = json.dumps({"password": credential.password, "totp_secret": credential.totp_secret})
        name = self._entry(platform, credential.username)
        previous = entry_get(self.profile, platform, credential.username)  # kept if the update fails
        keyring_set(name, value)
        info = AccountInfo(
            platform=platform,
            username=credential.username,
            has_totp=credential.totp_secret is not None,
            added=_dt.date.today().isoformat(),
        )
        rows = [r for r in self._read_index() if (r.platform, r.username) != (platform, credential.username)]
        try:
            self._write_index([*rows, info])
        except BaseException:
            if previous is None:
                keyring_delete(name)  # no keyring entry the index does not know of
            else:
                keyring_set(name, previous)
            raise
        from optout.holds import Holds

        Holds(self.profile).clear(platform, credential.username)  # a new password may be tried once
        return info

    def list(self, platform: str | None = None) -> list[AccountInfo]:
        return [r for r in self._read_index() if platform is None or r.platform == platform]

    def _load(self, info: AccountInfo) -> Credential | None:
        raw = entry_get(self.profile, info.platform, info.username)
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
                f"There are several {platform} accounts ({names}).", "Say which one with --account NAME."
            )
        cred = self._load(rows[0]) if rows else None
        if cred is None:
            who = f"{platform} account '{username}'" if username else f"{platform} account"
            raise AccountNotFound(f"No stored {who}.", f"Add it with `optout account add {platform}`.")
        return cred

    def remove(self, platform: str, username: str | None = None) -> list[AccountInfo]:
        rows = self._read_index()
        doomed = [r for r in rows if r.platform == platform and username in (None, r.username)]
        if not doomed:
            who = f"{platform} account '{username}'" if username else f"{platform} account"
            raise AccountNotFound(f"No stored {who} to remove.", "See what is stored with `optout account list`.")
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
