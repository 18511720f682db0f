"""Every test starts with its own OPTOUT_HOME and an in-memory keyring."""

from __future__ import annotations

import os
import shutil
import sys

import keyring
import keyring.backend
import keyring.errors
import pytest


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self):
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.data.get((service, username))

    def set_password(self, service, username, password):
        self.data[(service, username)] = password

    def delete_password(self, service, username):
        if self.data.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


def pytest_configure(config):
    sys._called_from_test = True  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def optout_home(tmp_path, monkeypatch):
    home = tmp_path / "optout-home"
    monkeypatch.setenv("OPTOUT_HOME", str(home))
    monkeypatch.delenv("OPTOUT_PROFILE", raising=False)
    # Subprocesses must never reach a real keyring by accident.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return home


@pytest.fixture(autouse=True)
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def find_browser() -> str | None:
    return os.environ.get("OPTOUT_BROWSER") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser_path():
    path = find_browser()
    if not path:
        pytest.fail("No Chromium found: apt-get install chromium (or set OPTOUT_BROWSER)")
    return path
