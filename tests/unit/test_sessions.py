"""Saved sessions: encrypted, private, and unreadable files count as 'no session'."""

from __future__ import annotations

import shutil
import stat

import keyring
import pytest
from cryptography.fernet import Fernet
from keyring.backends import fail
from structlog.testing import capture_logs

from optout.credentials import entry_name
from optout.errors import KeyringUnavailable, OptoutError
from optout.oskeyring import SERVICE
from optout.paths import Profile
from optout.sessions import SessionStore

SENTINEL_COOKIE = "sentinel-cookie-8d41b2a97c"
ACCOUNT = "alice.sentinel@example.org"


def state(value: str = SENTINEL_COOKIE) -> dict:
    return {
        "cookies": [{"name": "li_at", "value": value, "domain": ".linkedin.com", "path": "/"}],
        "origins": [],
    }


def test_round_trip_creates_the_key_in_the_keyring(memory_keyring):
    store = SessionStore(Profile())
    path = store.save("linkedin", ACCOUNT, state())
    assert path.parent == Profile().sessions and path.name.startswith("linkedin--")
    assert store.load("linkedin", ACCOUNT) == state()
    assert (SERVICE, entry_name(Profile("default"), "session-key")) in memory_keyring.data
    assert store.load("linkedin", "someone-else") is None
    assert store.load("x", ACCOUNT) is None


def test_saving_again_replaces(memory_keyring):
    store = SessionStore(Profile())
    store.save("linkedin", ACCOUNT, state("old"))
    store.save("linkedin", ACCOUNT, state())
    assert store.load("linkedin", ACCOUNT) == state()
    assert [p.name for p in Profile().sessions.iterdir()] == [store.path("linkedin", ACCOUNT).name]


def test_file_is_private_and_reveals_nothing():
    path = SessionStore(Profile()).save("linkedin", ACCOUNT, state())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    data = path.read_bytes()
    assert SENTINEL_COOKIE.encode() not in data
    assert ACCOUNT.encode() not in data and b"alice" not in data
    assert "alice" not in path.name


def test_file_from_another_keyring_loads_as_none(memory_keyring):
    path = SessionStore(Profile()).save("linkedin", ACCOUNT, state())
    other = Profile("other")
    keyring.set_keyring(type(memory_keyring)())  # another machine: its own key
    SessionStore(other).save("x", "bob", state("unrelated"))
    shutil.copy(path, other.sessions / path.name)
    with capture_logs() as logs:
        assert SessionStore(other).load("linkedin", ACCOUNT) is None
    assert logs == [
        {
            "event": "session.unreadable",
            "log_level": "warning",
            "platform": "linkedin",
            "file": path.name,
            "reason": "cannot be decrypted (saved with another key, or damaged)",
        }
    ]
    assert SENTINEL_COOKIE not in repr(logs)


def test_file_without_a_key_in_the_keyring_loads_as_none(memory_keyring):
    store = SessionStore(Profile())
    store.save("linkedin", ACCOUNT, state())
    memory_keyring.data.clear()
    with capture_logs() as logs:
        assert store.load("linkedin", ACCOUNT) is None
        assert store.accounts("linkedin") == []
    assert logs[0]["reason"] == "no session key in the keyring"
    assert memory_keyring.data == {}  # reading never creates a key


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda b: b[: len(b) // 2], "cannot be decrypted"),
        (lambda b: b"garbage", "cannot be decrypted"),
        (lambda b: b"", "cannot be decrypted"),
        (lambda b: b"\x00\xff" * 100, "cannot be decrypted"),
    ],
)
def test_damaged_file_loads_as_none(damage, reason):
    store = SessionStore(Profile())
    path = store.save("linkedin", ACCOUNT, state())
    path.write_bytes(damage(path.read_bytes()))
    with capture_logs() as logs:
        assert store.load("linkedin", ACCOUNT) is None
    assert reason in logs[0]["reason"]


def test_oversized_file_loads_as_none_without_reading_it():
    store = SessionStore(Profile())
    path = store.save("linkedin", ACCOUNT, state())
    with open(path, "r+b") as fh:
        fh.truncate(5 * 1024 * 1024 + 1)
    with capture_logs() as logs:
        assert store.load("linkedin", ACCOUNT) is None
    assert logs[0]["reason"] == "larger than 5 MB"


def test_encrypted_payload_that_is_not_a_session_loads_as_none():
    key = Fernet.generate_key()
    store = SessionStore(Profile(), key=key)
    path = store.save("linkedin", ACCOUNT, state())
    path.write_bytes(Fernet(key).encrypt(b'["a list"]'))
    with capture_logs() as logs:
        assert store.load("linkedin", ACCOUNT) is None
    assert logs[0]["reason"] == "not a saved session"


def test_file_renamed_to_another_account_loads_as_none():
    store = SessionStore(Profile())
    path = store.save("linkedin", ACCOUNT, state())
    path.rename(store.path("linkedin", "mallory"))
    with capture_logs() as logs:
        assert store.load("linkedin", "mallory") is None
    assert logs[0]["reason"] == "belongs to another account"


def test_ephemeral_key_never_touches_the_keyring():
    keyring.set_keyring(fail.Keyring())  # any keyring call would raise
    store = SessionStore(Profile(), key=Fernet.generate_key())
    store.save("linkedin", ACCOUNT, state())
    assert store.load("linkedin", ACCOUNT) == state()
    assert store.accounts("linkedin") == [ACCOUNT]
    assert store.forget_key() is False
    assert store.delete("linkedin") == [store.path("linkedin", ACCOUNT)]


def test_no_keyring_is_an_error_not_a_silent_fallback():
    keyring.set_keyring(fail.Keyring())
    store = SessionStore(Profile())
    assert store.load("linkedin", ACCOUNT) is None  # no file: the keyring is not needed
    with pytest.raises(KeyringUnavailable):
        store.save("linkedin", ACCOUNT, state())
    assert not Profile().sessions.exists() or not any(Profile().sessions.iterdir())


def test_accounts_delete_and_forget(memory_keyring):
    store = SessionStore(Profile())
    store.save("linkedin", ACCOUNT, state())
    store.save("linkedin", "bob", state())
    store.save("x", ACCOUNT, state())
    (Profile().sessions / "linkedin--0000000000000000.session").write_bytes(b"junk")
    with capture_logs():
        assert store.accounts("linkedin") == sorted([ACCOUNT, "bob"])
    assert store.accounts("meta") == []

    assert store.delete("linkedin", "bob") == [store.path("linkedin", "bob")]
    assert store.delete("linkedin", "bob") == []
    assert len(store.delete("linkedin")) == 2  # alice's and the junk file
    assert store.load("x", ACCOUNT) == state()

    assert store.delete_all() == [store.path("x", ACCOUNT)]
    assert list(Profile().sessions.iterdir()) == []
    assert store.forget_key() is True
    assert (SERVICE, entry_name(Profile("default"), "session-key")) not in memory_keyring.data
    assert store.forget_key() is False


@pytest.mark.parametrize("platform", ["../etc", "a/b", "", "-x", "a--b", ".hidden"])
def test_platform_ids_cannot_escape_the_folder(platform):
    with pytest.raises(OptoutError):
        SessionStore(Profile()).save(platform, ACCOUNT, state())
