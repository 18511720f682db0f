"""Moving a profile's secrets between the 0600 file store and the system keyring
(`optout account move --to keyring|file`).

A profile keeps all its secrets in one place (optout.credentials): its logins, the key of its
saved sessions and its notification addresses. So they move together, and safely: every secret is
written to the new place and read back before the old copy is deleted; a secret that does not read
back undoes the move and leaves the old place as it was. Until the end the old place stays the
profile's choice, so a move stopped half-way leaves a profile that works as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from optout.credentials import AccountStore, entry_get, entry_name, legacy_entry_name
from optout.errors import OptoutError
from optout.filestore import file_store_path, read_file_store, uses_file_store
from optout.notify import KEYRING_SERVICE, entry_user
from optout.oskeyring import (
    SERVICE,
    keyring_delete,
    keyring_get,
    keyring_set,
    require_keyring,
)
from optout.paths import Profile, write_private

SESSION_KEY = "session-key"
NOTIFY_URLS = "notify-urls"


@dataclass
class Moved:
    """What a move did, to tell the person: names of what moved, never a secret."""

    to: str  # "keyring" or "file"
    items: list[str]  # "linkedin alice", "the saved sessions' key", "the notification addresses"
    already: bool = False  # the secrets were already there: nothing to do


def _describe(key: str) -> str:
    if key == SESSION_KEY:
        return "the saved sessions' key"
    if key == NOTIFY_URLS:
        return "the notification addresses"
    platform, _, username = key.partition("/")
    return f"{platform} {username}"


def _keyring_place(profile: Profile, key: str) -> tuple[str, str]:
    """(service, username) under which the keyring holds the file store's entry `key`."""
    if key == NOTIFY_URLS:
        return KEYRING_SERVICE, entry_user(profile.name, profile.root)
    return SERVICE, entry_name(profile, key)


def _keyring_read(profile: Profile, key: str) -> str | None:
    service, name = _keyring_place(profile, key)
    return keyring_get(name, service=service)


def _keys(profile: Profile) -> list[str]:
    """Every entry a profile may hold: its accounts (from the index), the sessions' key, the URLs."""
    accounts = [f"{a.platform}/{a.username}" for a in AccountStore(profile).list()]
    return [*accounts, SESSION_KEY, NOTIFY_URLS]


def to_keyring(profile: Profile) -> Moved:
    """Move every secret of the file store into the system keyring, then delete the file."""
    if not uses_file_store(profile):
        return Moved("keyring", [], already=True)
    require_keyring()
    data = read_file_store(profile)
    written: list[tuple[str, str, str | None]] = []  # (service, name, what it held before)
    try:
        for key, value in data.items():
            service, name = _keyring_place(profile, key)
            written.append((service, name, keyring_get(name, service=service)))
            keyring_set(name, value, service=service)
        unread = [key for key, value in data.items() if _keyring_read(profile, key) != value]
        if unread:
            raise OptoutError(
                f"The keyring did not give back {', '.join(map(_describe, unread))} after storing it; "
                "nothing was moved.",
                f"Your secrets are still in {file_store_path(profile)}. Check that the keyring works "
                "(`optout doctor`), then run `optout account move --to keyring` again.",
            )
    except BaseException:
        for service, name, before in reversed(written):
            if before is None:
                keyring_delete(name, service=service)
            else:
                keyring_set(name, before, service=service)
        raise
    file_store_path(profile).unlink()  # now the keyring is the profile's place
    return Moved("keyring", [_describe(k) for k in data])


def to_file(profile: Profile) -> Moved:
    """Move every secret of the profile from the system keyring into its file store (0600)."""
    if uses_file_store(profile):
        return Moved("file", [], already=True)
    require_keyring()
    data: dict[str, str] = {}
    for key in _keys(profile):
        if key == NOTIFY_URLS:
            value = _keyring_read(profile, key)
        else:
            value = entry_get(profile, key)
        if value is not None:
            data[key] = value
    path = file_store_path(profile)
    profile.ensure()
    write_private(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    try:
        readback = read_file_store(profile)
    except OptoutError:
        readback = None
    if readback != data:
        path.unlink(missing_ok=True)  # the keyring stays the profile's place, untouched
        raise OptoutError(
            f"{path} did not give back what was written to it; nothing was moved.",
            "Check that the disk is writable (`optout doctor`), then try again.",
        )
    for key in data:  # the file is the profile's place now: the keyring's copies go
        service, name = _keyring_place(profile, key)
        keyring_delete(name, service=service)
        if service == SERVICE:
            keyring_delete(legacy_entry_name(profile, key))
    return Moved("file", [_describe(k) for k in data])
