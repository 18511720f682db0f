"""`optout account move --to keyring|file`: a profile's secrets move between the file store and the
keyring whole, each read back from its new place before the old copy goes; nothing is printed."""

from __future__ import annotations

import json
import stat

import keyring
import pytest
from click.testing import CliRunner

from optout import notify
from optout.cli import cli
from optout.credentials import AccountStore, Credential
from optout.filestore import choose_file_store, file_store_path
from optout.paths import Profile
from optout.sessions import SessionStore

SENTINEL_PASSWORD = "sentinel-pw-&<>\"' %/-Mv3k"
SENTINEL_URL = "ntfy://sentinel-topic-Mv3k"


def fill(profile: Profile) -> None:
    """Two logins (one with TOTP), a saved session and notification addresses."""
    store = AccountStore(profile)
    store.add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    store.add("x", Credential("al&ce", SENTINEL_PASSWORD + "2", "JBSWY3DPEHPK3PXP"))
    SessionStore(profile).save("linkedin", "alice", {"cookies": [{"name": "li_at", "value": "v"}]})
    notify.save_urls(profile.name, [SENTINEL_URL])


def assert_all_readable(profile: Profile) -> None:
    store = AccountStore(profile)
    assert store.get("linkedin").password == SENTINEL_PASSWORD
    assert store.get("x").totp_secret == "JBSWY3DPEHPK3PXP"
    assert SessionStore(profile).load("linkedin", "alice") == {
        "cookies": [{"name": "li_at", "value": "v"}]
    }
    assert notify.load_urls(profile.name) == [SENTINEL_URL]


def move(*args: str):
    result = CliRunner().invoke(cli, ["account", "move", *args])
    for secret in (SENTINEL_PASSWORD, SENTINEL_URL, "JBSWY3DPEHPK3PXP"):
        assert secret not in result.output
    return result


def test_from_the_file_store_to_the_keyring_and_back(memory_keyring):
    profile = Profile()
    choose_file_store(profile)
    fill(profile)
    assert memory_keyring.data == {}

    result = move("--to", "keyring")
    assert result.exit_code == 0, result.output
    assert "linkedin alice" in result.output and "the system keyring" in result.output
    assert not file_store_path(profile).exists()
    assert len(memory_keyring.data) == 4  # two logins, the sessions' key, the addresses
    assert_all_readable(profile)

    result = move("--to", "file", "--json")
    assert result.exit_code == 0, result.output
    moved = json.loads(result.stdout)
    assert moved["to"] == "file" and "x al&ce" in moved["moved"] and not moved["already"]
    assert "not encrypted" in result.stderr
    assert memory_keyring.data == {}  # the keyring's copies are gone
    path = file_store_path(profile)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(json.loads(path.read_text())) == {
        "linkedin/alice",
        "x/al&ce",
        "session-key",
        "notify-urls",
    }
    assert_all_readable(profile)


def test_moving_where_the_secrets_already_are_does_nothing(memory_keyring):
    AccountStore(Profile()).add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    result = move("--to", "keyring")
    assert result.exit_code == 0 and "nothing to move" in result.output
    assert len(memory_keyring.data) == 1


class DroppingKeyring(keyring.backend.KeyringBackend):
    """Says it stored a secret and keeps nothing (a broken or misconfigured backend)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service, username):
        return None

    def set_password(self, service, username, password):
        pass

    def delete_password(self, service, username):
        raise keyring.errors.PasswordDeleteError(username)


def test_a_keyring_that_does_not_give_the_secrets_back_moves_nothing():
    profile = Profile()
    choose_file_store(profile)
    fill(profile)
    before = file_store_path(profile).read_bytes()
    previous = keyring.get_keyring()
    keyring.set_keyring(DroppingKeyring())
    try:
        result = move("--to", "keyring")
    finally:
        keyring.set_keyring(previous)
    assert result.exit_code == 1 and "nothing was moved" in result.output, result.output
    assert "Traceback" not in result.output
    assert file_store_path(profile).read_bytes() == before  # the file store is untouched
    assert_all_readable(profile)


def test_a_move_to_the_keyring_without_one_says_so_and_keeps_the_file(monkeypatch):
    from keyring.backends import fail

    profile = Profile()
    choose_file_store(profile)
    fill(profile)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        result = move("--to", "keyring")
    finally:
        keyring.set_keyring(previous)
    assert result.exit_code != 0 and "no keyring backend" in result.output, result.output
    assert file_store_path(profile).exists()
    assert_all_readable(profile)


def test_the_move_needs_a_destination():
    result = move()
    assert result.exit_code == 2 and "--to" in result.output


@pytest.mark.parametrize("where", ["keyring", "file"])
def test_an_empty_profile_moves_without_error(memory_keyring, where):
    if where == "keyring":
        choose_file_store(Profile())
    result = move("--to", where)
    assert result.exit_code == 0, result.output
    assert file_store_path(Profile()).exists() == (where == "file")


def test_doctor_offers_the_move_once_a_keyring_works(memory_keyring):
    from optout.doctor import _secret_lines

    choose_file_store(Profile())
    [line] = _secret_lines(Profile())
    assert "not encrypted" in line.value and "optout account move --to keyring" in line.value
    previous = keyring.get_keyring()
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    try:
        [line] = _secret_lines(Profile())
    finally:
        keyring.set_keyring(previous)
    assert "account move" not in line.value  # no keyring here: nowhere to move to
