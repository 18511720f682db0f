"""Every test starts with its own OPTOUT_HOME and an in-memory keyring. The fixtures here serve the
whole tree: tests/flows (real Chromium against the sandbox), tests/cli and tests/unit.

Flow tests run optout through `run_flow` and set replicas up through `configure`; each test module
names its own SENTINEL_PASSWORD, so a password that leaks anywhere says which test leaked it."""

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
    # A CLI run on a terminal with a display would open a window for a sign-in and wait for a
    # person: tests that want one ask the API for it (attended=True).
    monkeypatch.setenv("OPTOUT_UNATTENDED", "1")
    return home


@pytest.fixture(autouse=True)
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def own_secrets():
    """The secrets a test registers for scrubbing are its own: a short one ("q7") left behind would
    make a later test's page look as if it held a secret (tests share a process, two per worker)."""
    from optout import logs

    kept = dict(logs._SECRETS)
    yield
    logs._SECRETS.clear()
    logs._SECRETS.update(kept)


def find_browser() -> str | None:
    return (
        os.environ.get("OPTOUT_BROWSER")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


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
    """Saved sessions of the replicas' profile (`sandbox-default`, where a run routed to the
    replicas records), sealed with a throw-away key (no keyring needed)."""
    from cryptography.fernet import Fernet

    from optout.paths import Profile
    from optout.sessions import SessionStore

    return SessionStore(Profile("sandbox-default"), key=Fernet.generate_key())


@pytest.fixture
def sentinel_password(request) -> str:
    """The calling test module's SENTINEL_PASSWORD (a named test sentinel, never a real secret)."""
    return getattr(request.module, "SENTINEL_PASSWORD", "sentinel-pw-Conftest7Rd")


@pytest.fixture
def configure(sandbox, store, sentinel_password):
    """Set a platform's replica up (misbehaviours, account, owned items) with the sentinel password.
    `session=True`, for platforms a person signs in to by hand, also saves the session `optout
    login` leaves behind; under `session_expired` the replica no longer accepts it."""
    from optout.sandbox import SANDBOX_USERNAME

    def _configure(
        platform: str, *misbehaviours, session: bool = False, items=None, blocked=(), **account
    ):
        replica = sandbox.configure(platform, *misbehaviours, password=sentinel_password, **account)
        if items is not None:
            replica.own(list(items), blocked=tuple(blocked))
        if session:
            state = replica.storage_state()
            if "session_expired" in misbehaviours:
                sandbox.expire_sessions(platform)
            store.save(platform, SANDBOX_USERNAME, state)
        return replica

    return _configure


@pytest.fixture
def run_flow(sandbox, store, browser_path, sentinel_password):
    """Run `optout.api.check` ("check") or `switch_off` ("off") on one platform or a list of them
    against the sandbox, with the test's saved sessions. Each platform signs in with `credential`,
    by default the sandbox account with the sentinel password; `credentials` overrides that per
    platform (an empty list: no password, the saved session only); `sessions=False` runs with none
    saved. The run records in the replicas' profile, `sandbox-default` (never the real `default`).
    Returns the API's results."""
    from optout import api
    from optout.credentials import Credential
    from optout.sandbox import SANDBOX_USERNAME

    async def _run(platforms, mode: str = "check", *, credential=None, credentials=None, **opts):
        names = [platforms] if isinstance(platforms, str) else list(platforms)
        if credential is None:
            credential = Credential(SANDBOX_USERNAME, sentinel_password)
        given = {p: credential for p in names} | (credentials or {})
        fn = api.check if mode == "check" else api.switch_off
        opts.setdefault("sessions", store)
        return await fn(
            names,
            credentials=given,
            setup_context=sandbox.install,
            browser_path=browser_path,
            **opts,
        )

    return _run


@pytest.fixture
def only_flows(tmp_path):
    """A flows folder holding copies of only the named shipped flows, so a test reads nothing else
    (and flows being written beside them never interfere)."""
    from optout.paths import flows_dir

    def _only(*names: str):
        folder = tmp_path / "flows"
        folder.mkdir(exist_ok=True)
        for name in names:
            shutil.copy(flows_dir() / f"{name}.yaml", folder)
        return folder

    return _only


@pytest.fixture
def display(xvfb, monkeypatch):
    """DISPLAY for a test that plays a person at a visible browser window (only for that test)."""
    monkeypatch.setenv("DISPLAY", xvfb)
    return xvfb


@pytest.fixture(scope="session")
def xvfb():
    """A virtual display (Xvfb), started once per test process."""
    import subprocess

    xvfb = shutil.which("Xvfb")
    if not xvfb:
        pytest.fail("No Xvfb for the tests that need a visible window: apt-get install xvfb")
    read, write = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as announced:
        number = announced.readline().strip()  # Xvfb writes the display once it accepts clients
    if not number:
        proc.kill()
        pytest.fail("Xvfb did not start")
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)
