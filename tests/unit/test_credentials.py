"""Credentials: keyring checks, error wrapping, the account index and secret input."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import stat
import struct
import time

import keyring
import keyring.backend
import keyring.errors
import pyotp
import pytest
from keyring.backends import chainer, fail, null

from optout import credentials, oskeyring
from optout.credentials import AccountStore, Credential, entry_name, read_secret
from optout.errors import AccountNotFound, KeyringUnavailable, OptoutError
from optout.oskeyring import keyring_problem, require_keyring
from optout.paths import Profile

SENTINEL_PASSWORD = "sentinel-pw-3f9a1c7e"
SENTINEL_TOTP = (
    "JBSWY3DPEHPK3PXP"  # pyotp's documentation example: 80 bits, like many sites hand out
)
LONG_TOTP = pyotp.random_base32()  # 160 bits


class PlaintextKeyring(keyring.backend.KeyringBackend):
    """Stands in for keyrings.alt's file.PlaintextKeyring: same word in its name."""

    priority = 0  # type: ignore[assignment]  # never picked up by a chainer

    def get_password(self, service, username):
        return None

    def set_password(self, service, username, password):
        raise AssertionError("must never be written to")

    def delete_password(self, service, username):
        raise keyring.errors.PasswordDeleteError(username)


class DBusErrorResponse(Exception):
    """Looks like jeepney's error when the Secret Service vanishes mid-call."""


DBusErrorResponse.__module__ = "jeepney.wrappers"


class BrokenKeyring(keyring.backend.KeyringBackend):
    priority = 0  # type: ignore[assignment]

    def __init__(self, exc: Exception):
        super().__init__()
        self.exc = exc

    def get_password(self, service, username):
        raise self.exc

    def set_password(self, service, username, password):
        raise self.exc

    def delete_password(self, service, username):
        raise self.exc


@pytest.fixture
def store():
    return AccountStore(Profile())


def test_credential_repr_hides_secrets():
    cred = Credential("alice", SENTINEL_PASSWORD, SENTINEL_TOTP)
    assert "alice" in repr(cred)
    assert SENTINEL_PASSWORD not in repr(cred) and SENTINEL_TOTP not in repr(cred)


def rfc6238(secret: str, at: float) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 15
    return "%06d" % ((struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**6)


def test_totp_secret_is_normalised_and_codes_are_rfc6238(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.0)
    cred = Credential("alice", SENTINEL_PASSWORD, "jbsw y3dp ehpk 3pxp")
    assert cred.totp_secret == SENTINEL_TOTP
    assert cred.totp_code() == rfc6238(
        SENTINEL_TOTP, 1_700_000_000
    )  # 80 bits: pyotp alone refuses it
    assert (
        Credential("a", SENTINEL_PASSWORD, LONG_TOTP.lower()).totp_code()
        == pyotp.TOTP(LONG_TOTP).now()
    )
    assert Credential("bob", SENTINEL_PASSWORD).totp_code() is None
    assert Credential("bob", SENTINEL_PASSWORD, "  ").totp_secret is None


@pytest.mark.parametrize("bad", ["not-base32-189!", "234567", "JBSWY3DP"])
def test_invalid_totp_secret_names_the_fix_without_echoing_it(bad):
    cred = Credential("alice", SENTINEL_PASSWORD, bad)
    with pytest.raises(OptoutError) as info:
        cred.validate()
    assert "setup key" in info.value.message and "base32" in info.value.message
    assert "QR code" in info.value.hint
    assert bad.upper() not in str(info.value)
    with pytest.raises(OptoutError):
        cred.totp_code()
    with pytest.raises(OptoutError):
        AccountStore(Profile()).add("linkedin", cred)


def test_memory_keyring_is_usable():
    assert keyring_problem() is None
    require_keyring()


@pytest.mark.parametrize(
    "backend, words",
    [
        (fail.Keyring(), "fail Keyring"),
        (null.Keyring(), "null Keyring"),
        (PlaintextKeyring(), "plaintext"),
    ],
)
def test_unusable_backends_are_refused(backend, words):
    keyring.set_keyring(backend)
    assert words in keyring_problem()
    with pytest.raises(KeyringUnavailable) as info:
        require_keyring()
    assert words in info.value.message
    for fix in (
        "GNOME Keyring",
        "gnome-keyring-daemon --unlock",
        "dbus-run-session",
        "keyrings.cryptfile",
    ):
        assert fix in info.value.hint


def test_chainer_needs_one_usable_child(monkeypatch, memory_keyring):
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [fail.Keyring(), null.Keyring()])
    keyring.set_keyring(chainer.ChainerBackend())
    assert "chains no usable backend" in keyring_problem()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [null.Keyring(), memory_keyring])
    assert keyring_problem() is None


def test_add_refused_without_a_keyring_writes_nothing(store):
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(KeyringUnavailable):
        store.add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    assert not Profile().accounts_file.exists()


@pytest.mark.parametrize(
    "exc, words",
    [
        (keyring.errors.KeyringLocked("Failed to unlock the collection!"), "locked"),
        (
            keyring.errors.InitError("Failed to create the collection: Prompt dismissed.."),
            "could not be opened",
        ),
        (keyring.errors.KeyringError("backend exploded"), "backend exploded"),
        (DBusErrorResponse("org.freedesktop.DBus.Error.ServiceUnknown"), "ServiceUnknown"),
    ],
)
def test_backend_failures_become_keyring_unavailable(store, exc, words):
    keyring.set_keyring(BrokenKeyring(exc))
    with pytest.raises(KeyringUnavailable) as info:
        store.add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    assert words in str(info.value)
    assert SENTINEL_PASSWORD not in str(info.value)
    assert not Profile().accounts_file.exists()


def test_add_get_list_remove(store, memory_keyring):
    info = store.add("linkedin", Credential("alice", SENTINEL_PASSWORD, SENTINEL_TOTP))
    assert info.has_totp and info.platform == "linkedin" and len(info.added) == 10
    store.add("linkedin", Credential("bob", SENTINEL_PASSWORD + "-bob"))
    store.add("x", Credential("alice", SENTINEL_PASSWORD + "-x"))

    raw = memory_keyring.data[(oskeyring.SERVICE, entry_name(Profile("default"), "linkedin/alice"))]
    assert json.loads(raw) == {"password": SENTINEL_PASSWORD, "totp_secret": SENTINEL_TOTP}

    assert [(a.platform, a.username) for a in store.list()] == [
        ("linkedin", "alice"),
        ("linkedin", "bob"),
        ("x", "alice"),
    ]
    assert [a.username for a in store.list("x")] == ["alice"]
    assert store.get("linkedin", "alice") == Credential("alice", SENTINEL_PASSWORD, SENTINEL_TOTP)
    assert store.get("x").password == SENTINEL_PASSWORD + "-x"
    assert [c.username for c in store.credentials("linkedin")] == ["alice", "bob"]

    removed = store.remove("linkedin", "bob")
    assert [a.username for a in removed] == ["bob"]
    assert (
        oskeyring.SERVICE,
        entry_name(Profile("default"), "linkedin/bob"),
    ) not in memory_keyring.data
    assert [a.username for a in store.list("linkedin")] == ["alice"]


def test_index_holds_no_secret_and_is_private(store):
    store.add("linkedin", Credential("alice", SENTINEL_PASSWORD, SENTINEL_TOTP))
    path = Profile().accounts_file
    text = path.read_text()
    assert SENTINEL_PASSWORD not in text and SENTINEL_TOTP not in text
    assert json.loads(text)[0]["username"] == "alice"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (Profile().base, Profile().base.parent, Profile().base.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [p.name for p in Profile().base.iterdir()] == ["accounts.json"]  # no temp file left


def test_adding_again_replaces(store):
    store.add("linkedin", Credential("alice", "old-" + SENTINEL_PASSWORD, SENTINEL_TOTP))
    store.add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    assert len(store.list()) == 1 and not store.list()[0].has_totp
    assert store.get("linkedin", "alice").password == SENTINEL_PASSWORD


def test_profiles_are_separate(memory_keyring):
    AccountStore(Profile("alice")).add("linkedin", Credential("a", SENTINEL_PASSWORD))
    assert AccountStore(Profile("bob")).list() == []
    assert (oskeyring.SERVICE, entry_name(Profile("alice"), "linkedin/a")) in memory_keyring.data


def test_entry_gone_from_keyring_is_skipped(store, memory_keyring):
    store.add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    store.add("linkedin", Credential("bob", SENTINEL_PASSWORD))
    del memory_keyring.data[(oskeyring.SERVICE, entry_name(Profile("default"), "linkedin/alice"))]
    assert [c.username for c in store.credentials("linkedin")] == ["bob"]
    with pytest.raises(AccountNotFound):
        store.get("linkedin", "alice")


def test_get_errors_name_the_next_step(store):
    with pytest.raises(AccountNotFound) as info:
        store.get("linkedin")
    assert "optout account add linkedin" in info.value.hint
    store.add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    store.add("linkedin", Credential("bob", SENTINEL_PASSWORD))
    with pytest.raises(OptoutError) as info:
        store.get("linkedin")
    assert "alice, bob" in info.value.message and "--account" in info.value.hint


def test_remove_all_of_a_platform_and_nothing_found(store, memory_keyring):
    store.add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    store.add("linkedin", Credential("bob", SENTINEL_PASSWORD))
    store.add("x", Credential("carol", SENTINEL_PASSWORD))
    assert {a.username for a in store.remove("linkedin")} == {"alice", "bob"}
    assert [a.platform for a in store.list()] == ["x"]
    with pytest.raises(AccountNotFound) as info:
        store.remove("linkedin")
    assert "optout account list" in info.value.hint
    with pytest.raises(AccountNotFound):
        store.remove("x", "nobody")


def test_remove_tolerates_an_entry_already_gone(store, memory_keyring):
    store.add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    memory_keyring.data.clear()
    assert [a.username for a in store.remove("linkedin", "alice")] == ["alice"]
    assert store.list() == []


def test_forget_all(store, memory_keyring):
    store.add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    store.add("x", Credential("alice", SENTINEL_PASSWORD))
    AccountStore(Profile("other")).add("x", Credential("zed", SENTINEL_PASSWORD))
    assert sorted(store.forget_all()) == [
        entry_name(Profile("default"), "linkedin/alice"),
        entry_name(Profile("default"), "x/alice"),
    ]
    assert store.list() == [] and not Profile().accounts_file.exists()
    assert list(memory_keyring.data) == [(oskeyring.SERVICE, entry_name(Profile("other"), "x/zed"))]


def test_failed_index_write_leaves_no_keyring_entry(store, memory_keyring, monkeypatch):
    def boom(path, data):
        raise OSError("disk full")

    monkeypatch.setattr(credentials, "write_private", boom)
    with pytest.raises(OSError):
        store.add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    assert memory_keyring.data == {}


def test_unreadable_index_is_an_optout_error(store):
    Profile().ensure().accounts_file.write_text("{not json")
    with pytest.raises(OptoutError) as info:
        store.list()
    assert "accounts.json" in info.value.message


def test_read_secret_from_a_pipe_strips_one_newline():
    assert (
        read_secret("Password: ", stream=io.StringIO(SENTINEL_PASSWORD + "\n")) == SENTINEL_PASSWORD
    )
    assert read_secret("Password: ", stream=io.StringIO("  spaced \n\nrest")) == "  spaced "
    assert read_secret("Password: ", stream=io.StringIO("no-newline")) == "no-newline"
    assert read_secret("Password: ", stream=io.StringIO("")) == ""


def test_read_secret_from_stdin_by_default(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(SENTINEL_PASSWORD + "\n"))
    assert read_secret("Password: ") == SENTINEL_PASSWORD


def test_read_secret_on_a_tty_uses_getpass(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    seen = {}

    def fake_getpass(prompt, stream=None):
        seen["prompt"] = prompt
        return SENTINEL_PASSWORD

    monkeypatch.setattr(credentials.getpass, "getpass", fake_getpass)
    assert read_secret("Password for alice: ", stream=Tty()) == SENTINEL_PASSWORD
    assert seen["prompt"] == "Password for alice: "
