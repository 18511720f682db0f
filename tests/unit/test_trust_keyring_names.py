"""Issue 23, item 13: keyring entries under the older, folder-less names (`default/linkedin/alice`,
`default/session-key`) go only to the data folder that proves they are its own, and are never
taken away from another one."""

from __future__ import annotations

import json

import keyring
from cryptography.fernet import Fernet

from optout.credentials import AccountStore, Credential, entry_name, legacy_entry_name
from optout.notify import KEYRING_SERVICE, load_urls
from optout.oskeyring import SERVICE
from optout.paths import Profile
from optout.sessions import SessionStore

SENTINEL_SECRET = "S3nt&<>\"' %/inel-legacy"
STATE = {"cookies": [{"name": "li_at", "value": "v"}], "origins": []}


def legacy_folder(root) -> tuple[Profile, str]:
    """A data folder from before names were tied to folders: its index lists alice, its session
    file is sealed with the folder-less key, and both secrets sit under the folder-less names."""
    owner = Profile("default", root=root)
    key = Fernet.generate_key().decode("ascii")
    SessionStore(owner, key=key.encode("ascii")).save("linkedin", "alice", STATE)
    owner.ensure()
    owner.accounts_file.write_text(
        json.dumps(
            [
                {
                    "platform": "linkedin",
                    "username": "alice",
                    "has_totp": False,
                    "added": "2026-11-30",
                }
            ]
        )
    )
    keyring.set_password(
        SERVICE,
        legacy_entry_name(owner, "linkedin", "alice"),
        json.dumps({"password": SENTINEL_SECRET, "totp_secret": None}),
    )
    keyring.set_password(SERVICE, legacy_entry_name(owner, "session-key"), key)
    return owner, key


def test_another_folder_reading_first_takes_nothing(tmp_path):
    owner, key = legacy_folder(tmp_path / "a")
    other = Profile("default", root=tmp_path / "b")  # the same profile name, another data folder
    sessions = SessionStore(other)
    sessions.save("x", "bob", STATE)  # its first session needs a key: its own, not the legacy one
    assert keyring.get_password(SERVICE, entry_name(other, "session-key")) != key
    AccountStore(other).add("linkedin", Credential("alice", "another-password"))
    assert AccountStore(other).get("linkedin", "alice").password == "another-password"
    # the legacy entries are still there for the folder they belong to
    assert keyring.get_password(SERVICE, legacy_entry_name(owner, "session-key")) == key
    assert (
        json.loads(keyring.get_password(SERVICE, legacy_entry_name(owner, "linkedin", "alice")))[
            "password"
        ]
        == SENTINEL_SECRET
    )
    # ... which proves it and gets them
    assert SessionStore(owner).load("linkedin", "alice") == STATE
    assert AccountStore(owner).get("linkedin", "alice").password == SENTINEL_SECRET
    assert keyring.get_password(SERVICE, entry_name(owner, "session-key")) == key


def test_the_owner_folder_copies_what_it_proves_and_remove_clears_both(tmp_path):
    owner, _ = legacy_folder(tmp_path / "a")
    assert AccountStore(owner).get("linkedin", "alice").password == SENTINEL_SECRET
    assert (
        json.loads(keyring.get_password(SERVICE, entry_name(owner, "linkedin", "alice")))[
            "password"
        ]
        == SENTINEL_SECRET
    )
    assert SessionStore(owner).load("linkedin", "alice") == STATE
    AccountStore(owner).remove("linkedin", "alice")
    for name in (
        entry_name(owner, "linkedin", "alice"),
        legacy_entry_name(owner, "linkedin", "alice"),
    ):
        assert keyring.get_password(SERVICE, name) is None, name


def test_a_folder_without_sessions_sealed_by_the_legacy_key_does_not_take_it(tmp_path):
    owner, key = legacy_folder(tmp_path / "a")
    other = Profile("default", root=tmp_path / "b")
    SessionStore(other, key=Fernet.generate_key()).save(
        "linkedin", "carol", STATE
    )  # another key's session
    assert SessionStore(other).load("linkedin", "carol") is None  # not opened with the legacy key
    assert keyring.get_password(SERVICE, entry_name(other, "session-key")) is None
    assert keyring.get_password(SERVICE, legacy_entry_name(owner, "session-key")) == key


def test_legacy_notification_addresses_are_not_taken_by_any_folder(tmp_path, monkeypatch):
    keyring.set_password(KEYRING_SERVICE, "default", json.dumps(["ntfy://legacy-topic"]))
    monkeypatch.setenv("OPTOUT_HOME", str(tmp_path / "b"))
    assert load_urls("default") == []
    assert keyring.get_password(KEYRING_SERVICE, "default") is not None
