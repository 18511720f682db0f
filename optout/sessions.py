"""Saved logins (Playwright storage state), encrypted at rest.

A storage state is a set of cookies that opens the account, so it is as sensitive as a password.
It is too big for some keyrings (Windows holds ~2.5 kB), so it lives in a file encrypted with a
Fernet key that does live in the keyring (or in the profile's file store, when the person chose
it: optout.credentials). A file that cannot be read is "no session": the engine
logs in again instead of failing.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import hashlib
import json
import re
from pathlib import Path

import structlog
from cryptography.fernet import Fernet, InvalidToken
from playwright.async_api import Error as PlaywrightError

from optout.credentials import entry_delete, entry_get, entry_name, entry_set, require_secrets
from optout.errors import OptoutError
from optout.paths import Profile, private_dir, write_private

MAX_BYTES = 5 * 1024 * 1024
SUFFIX = ".session"
_PLATFORM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.]*(-[A-Za-z0-9_.]+)*$")


def _check_platform(platform: str) -> str:
    # The platform is part of a file name: no separators, no '--' (that splits name and hash).
    if not _PLATFORM_RE.match(platform):
        raise OptoutError(
            f"'{platform}' is not a platform id.",
            "Platform ids are letters, digits, '.', '_' and single '-', e.g. linkedin.",
        )
    return platform


#: What a platform sees of a browser: kept with a saved session, given again to the context
#: that reuses it.
IDENTITY_JS = """() => ({
  user_agent: navigator.userAgent,
  brands: ((navigator.userAgentData || {}).brands || []).map(b => b.brand + ';v=' + b.version),
  locale: navigator.language,
  timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
})"""


async def identity_of(context) -> dict | None:
    """The identity a context shows the sites (IDENTITY_JS), read from one of its pages."""
    for page in context.pages:
        try:  # a page whose navigation never commits would hold an evaluate forever
            return await asyncio.wait_for(page.evaluate(IDENTITY_JS), 5)
        except (TimeoutError, PlaywrightError):
            continue
    return None


class SessionStore:
    """Encrypted storage states of one profile. `key` given = never touch the keyring (the demo)."""

    def __init__(self, profile: Profile, key: bytes | None = None):
        self.profile = profile
        self._key = key

    @property
    def key_entry(self) -> str:
        return entry_name(self.profile, "session-key")

    def _fernet(self, create: bool) -> Fernet | None:
        if self._key is not None:
            return Fernet(self._key)
        require_secrets(self.profile)  # the keyring, or the file store the profile chose
        stored = entry_get(self.profile, "session-key", legacy_if=self._opens_own_sessions)
        if stored is None:
            if not create:
                return None
            stored = Fernet.generate_key().decode("ascii")
            entry_set(self.profile, "session-key", value=stored)
        return Fernet(stored.encode("ascii"))

    def _opens_own_sessions(self, key: str) -> bool:
        """Whether `key` (a legacy, folder-less session key) decrypts a session file of this data
        folder: the proof that it is this folder's key and not another folder's."""
        try:
            fernet = Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return False
        for path in self._files()[:20]:
            try:
                if path.stat().st_size > MAX_BYTES:
                    continue
                fernet.decrypt(path.read_bytes())
                return True
            except (InvalidToken, OSError, ValueError):
                continue
        return False

    def path(self, platform: str, account: str) -> Path:
        digest = hashlib.sha256(account.encode("utf-8")).hexdigest()[:16]
        return self.profile.sessions / f"{_check_platform(platform)}--{digest}{SUFFIX}"

    def _files(self, platform: str | None = None) -> list[Path]:
        pattern = f"{_check_platform(platform)}--*{SUFFIX}" if platform else f"*{SUFFIX}"
        return sorted(self.profile.sessions.glob(pattern)) if self.profile.sessions.is_dir() else []

    def save(self, platform: str, account: str, state: dict, identity: dict | None = None) -> Path:
        """Seal a storage state, with the identity of the browser that holds it (User-Agent, client
        hint brands, locale, time zone: IDENTITY_JS) so a later run shows the
        platform the same browser, not another device."""
        path = self.path(platform, account)
        fernet = self._fernet(create=True)
        assert fernet is not None
        payload = {
            "platform": platform,
            "account": account,
            "saved_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "state": state,
            "identity": identity or None,
        }
        token = fernet.encrypt(json.dumps(payload).encode("utf-8"))
        self.profile.ensure()
        private_dir(self.profile.sessions)
        write_private(path, token)
        return path

    def _read(self, path: Path, platform: str, fernet: Fernet | None) -> dict | None:
        """The decrypted payload, or None (with a warning) for anything unreadable."""
        log = structlog.get_logger()
        reason = "no session key in the keyring"
        try:
            if fernet is None:
                pass
            elif path.stat().st_size > MAX_BYTES:
                reason = "larger than 5 MB"
            else:
                payload = json.loads(fernet.decrypt(path.read_bytes()))
                if isinstance(payload, dict) and isinstance(payload.get("state"), dict):
                    return payload
                reason = "not a saved session"
        except InvalidToken:
            reason = "cannot be decrypted (saved with another key, or damaged)"
        except ValueError:
            reason = "not a saved session"
        except OSError as exc:
            reason = f"cannot be read ({exc.strerror or type(exc).__name__})"
        log.warning("session.unreadable", platform=platform, file=path.name, reason=reason)
        return None

    def _payload(self, platform: str, account: str) -> dict | None:
        path = self.path(platform, account)
        if not path.exists():
            return None
        payload = self._read(path, platform, self._fernet(create=False))
        if payload is None:
            return None
        if payload.get("platform") != platform or payload.get("account") != account:
            structlog.get_logger().warning(
                "session.unreadable",
                platform=platform,
                file=path.name,
                reason="belongs to another account",
            )
            return None
        return payload

    def load(self, platform: str, account: str) -> dict | None:
        """The saved storage state, or None when there is none usable (log in again)."""
        return self.load_with_identity(platform, account)[0]

    def load_with_identity(self, platform: str, account: str) -> tuple[dict | None, dict | None]:
        """The saved storage state and the identity of the browser that made it (each None when
        there is none), read and decrypted once."""
        payload = self._payload(platform, account)
        if payload is None:
            return None, None
        found = payload.get("identity")
        return payload["state"], found if isinstance(found, dict) else None

    def identity(self, platform: str, account: str) -> dict | None:
        """The identity of the browser that made the saved session (None: unknown, or none saved)."""
        return self.load_with_identity(platform, account)[1]

    def accounts(self, platform: str) -> list[str]:
        files = self._files(platform)
        if not files:
            return []
        fernet = self._fernet(create=False)
        names = []
        for path in files:
            payload = self._read(path, platform, fernet)
            if payload is not None and payload.get("platform") == platform:
                names.append(str(payload.get("account")))
        return sorted(names)

    def delete(self, platform: str, account: str | None = None) -> list[Path]:
        paths = [self.path(platform, account)] if account is not None else self._files(platform)
        removed = []
        for path in paths:
            if path.exists():
                path.unlink()
                removed.append(path)
        return removed

    def delete_all(self) -> list[Path]:
        removed = []
        for path in self._files():
            path.unlink()
            removed.append(path)
        if self.profile.sessions.is_dir():
            for stale in self.profile.sessions.glob(".*.tmp"):
                stale.unlink()
        return removed

    def forget_key(self) -> bool:
        """Delete the session key from the keyring (profile deletion). False when there was none."""
        if self._key is not None:
            return False
        return entry_delete(self.profile, "session-key")
