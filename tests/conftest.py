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


@pytest.fixture
def apprise_receiver(monkeypatch):
    """A local HTTP endpoint and the json:// apprise URL that posts to it; yields (url, received)."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"json://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def sandbox():
    """Fresh replicas of every platform, kept in memory."""
    from optout.sandbox import Sandbox

    return Sandbox()


@pytest.fixture
def store():
    """Saved sessions of the default profile, sealed with a throw-away key (no keyring needed)."""
    from cryptography.fernet import Fernet

    from optout.paths import Profile
    from optout.sessions import SessionStore

    return SessionStore(Profile("default"), key=Fernet.generate_key())
