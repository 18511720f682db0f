"""Sign-in holds: after a platform challenged optout's automated sign-in or refused the stored
password, no run types that account's password again until the person has signed in themselves
(`optout login`, or in the window an attended run opens) or stored a new password (`optout
account add`). Every repeated automated attempt after a challenge makes a lock of the account
likelier (docs/research/evidence-2026-12.md, "Sign-in on real sites"), so one attempt, then hands off.

Kept per profile in a small JSON file (no secret in it: platform, account, when, why)."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

from filelock import FileLock

from optout.paths import Profile, write_private


def _key(platform: str, account: str) -> str:
    return f"{platform}/{account.casefold()}"


class Holds:
    """The profile's sign-in holds, read and written under a lock (runs may overlap with `login`)."""

    def __init__(self, profile: Profile):
        self.profile = profile

    @property
    def path(self) -> Path:
        return self.profile.base / "sign-in-holds.json"

    def _read(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # none yet, or damaged: a damaged file costs at most one more attempt
        return (
            {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}
        )

    def _write(self, data: dict[str, dict]) -> None:
        self.profile.ensure()
        write_private(
            self.path, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8")
        )

    def _lock(self) -> FileLock:
        self.profile.ensure()
        return FileLock(str(self.profile.base / ".sign-in-holds.lock"), timeout=30)

    def get(self, platform: str, account: str) -> dict | None:
        """The hold on this account ({platform, account, since, why}), or None."""
        return self._read().get(_key(platform, account))

    def put(self, platform: str, account: str, why: str, state: str = "needs_login") -> None:
        """Hold the account's password back; `why` says what the platform did, in words, and
        `state` is what runs answer meanwhile (needs_login or needs_human)."""
        with self._lock():
            data = self._read()
            data[_key(platform, account)] = {
                "platform": platform,
                "account": account,
                "why": why,
                "state": state,
                "since": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            }
            self._write(data)

    def clear(self, platform: str, account: str | None = None) -> bool:
        """Lift the hold on one account (or every account of the platform); False if there was none."""
        if not self.path.exists():
            return False
        with self._lock():
            data = self._read()
            gone = [
                k
                for k, v in data.items()
                if v.get("platform") == platform
                and (account is None or k == _key(platform, account))
            ]
            for k in gone:
                del data[k]
            if gone:
                self._write(data)
        return bool(gone)

    def all(self) -> list[dict]:
        return sorted(
            self._read().values(), key=lambda h: (h.get("platform", ""), h.get("account", ""))
        )
