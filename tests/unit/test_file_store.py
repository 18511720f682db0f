"""The file store a profile may choose where no keyring works, a keyring that asks for its
password (never without a terminal, never behind progress output), and doctor's unlock check."""

from __future__ import annotations

import getpass
import io
import json
import stat

import keyring
import keyring.backend
import pytest
from click.testing import CliRunner

from optout.credentials import AccountStore, Credential, unlock_secrets
from optout.errors import KeyringUnavailable, OptoutError
from optout.filestore import choose_file_store, file_store_path
from optout.oskeyring import keyring_unlock_problem
from optout.paths import Profile
from optout.sessions import SessionStore

SENTINEL_PASSWORD = "sentinel-pw-&<>\"' %/-Fs7q"


class PromptingKeyring(keyring.backend.KeyringBackend):
    """Like keyrings.cryptfile: asks for its own password through getpass, once per process."""

    priority = 1  # type: ignore[assignment]

    def __init__(self):
        super().__init__()
        self.data: dict = {}
        self.prompts = 0
        self.unlocked = False

    def _unlock(self):
        if not self.unlocked:
            self.prompts += 1
            getpass.getpass("Please enter password for encrypted keyring: ")
            self.unlocked = True

    def get_password(self, service, username):
        self._unlock()
        return self.data.get((service, username))

    def set_password(self, service, username, password):
        self._unlock()
        self.data[(service, username)] = password

    def delete_password(self, service, username):
        self._unlock()
        self.data.pop((service, username))


class Tty(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def prompting():
    previous = keyring.get_keyring()
    backend = PromptingKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_file_store_holds_logins_and_the_session_key(memory_keyring):
    profile = Profile()
    choose_file_store(profile)
    store = AccountStore(profile)
    store.add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    assert store.get("linkedin").password == SENTINEL_PASSWORD
    sessions = SessionStore(profile)
    sessions.save("linkedin", "alice", {"cookies": []})
    assert sessions.load("linkedin", "alice") == {"cookies": []}
    path = file_store_path(profile)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(json.loads(path.read_text())) == {"linkedin/alice", "session-key"}
    store.remove("linkedin")
    assert set(json.loads(path.read_text())) == {"session-key"}
    assert memory_keyring.data == {}


def test_a_file_store_others_can_read_is_refused():
    profile = Profile()
    path = choose_file_store(profile)
    AccountStore(profile).add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    path.chmod(0o644)
    with pytest.raises(OptoutError) as err:
        AccountStore(profile).get("linkedin")
    assert "chmod 600" in err.value.hint


def test_a_keyring_asking_for_its_password_without_a_terminal_fails_at_once(prompting, monkeypatch):
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("")
    )  # no terminal: getpass would read an empty pipe
    with pytest.raises(KeyringUnavailable) as err:
        AccountStore(Profile()).add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    assert "no terminal" in str(err.value) and "--insecure-storage" in err.value.hint
    assert "EOFError" not in str(err.value)


def test_on_a_terminal_the_keyring_asks_once_before_the_run(prompting, monkeypatch):
    monkeypatch.setattr("sys.stdin", Tty())
    monkeypatch.setattr(getpass, "getpass", lambda prompt="", stream=None: "kr-password")
    profile = Profile()
    AccountStore(profile).add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    prompting.unlocked = False  # a new run
    unlock_secrets(profile)
    assert prompting.prompts == 2 and prompting.unlocked


def test_doctor_says_a_keyring_that_asks_for_its_password(prompting):
    problem = keyring_unlock_problem()
    assert problem and "asks for its password" in problem
    prompting.unlocked = True
    assert keyring_unlock_problem() is None


def test_check_unlocks_before_any_progress_output(monkeypatch):
    """The keyring's prompt comes first: under a spinner a person never sees it (issue 22)."""
    from optout import api, render
    from optout.api import Results
    from optout.cli import cli

    order: list[str] = []
    monkeypatch.setattr("optout.credentials.unlock_secrets", lambda profile: order.append("unlock"))

    real_progress = render.progress

    def progress(*args, **kwargs):
        order.append("progress")
        return real_progress(*args, **kwargs)

    monkeypatch.setattr(render, "progress", progress)

    async def check(platforms, **opts):
        order.append("run")
        return Results()

    monkeypatch.setattr(api, "check", check)
    CliRunner().invoke(cli, ["check", "linkedin"])
    assert order == ["unlock", "progress", "run"]


def test_notification_addresses_of_a_file_store_profile_stay_out_of_the_keyring(memory_keyring):
    from optout import notify

    choose_file_store(Profile())
    notify.save_urls("default", ["ntfy://secret-topic"])
    assert memory_keyring.data == {}
    assert notify.load_urls("default") == ["ntfy://secret-topic"]
    notify.save_urls("default", [])
    assert notify.load_urls("default") == []
