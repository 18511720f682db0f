"""Credentials and sessions against a real Secret Service: gnome-keyring under dbus-run-session.

What was found by trying it (gnome-keyring 42, dbus 1.14, keyring 25, secretstorage 3.5):

* This works headless, in a fresh HOME, with no desktop:
      dbus-run-session -- sh -c 'echo -n test | gnome-keyring-daemon --unlock --components=secrets \
          >/dev/null; exec python child.py'
  `--unlock` reads the password on stdin and, when ~/.local/share/keyrings has no "login" keyring,
  creates it with that password, unlocked; keyring's default backend is then SecretService.
* The daemon must be started with `--unlock` *before* anything asks for org.freedesktop.secrets.
  Otherwise D-Bus starts it by itself: with no login keyring, creating one needs gcr-prompter,
  which cannot open a window, so keyring raises InitError ("Prompt dismissed"); with an existing
  one it stays locked (KeyringLocked), and a later plain `gnome-keyring-daemon --unlock` does NOT
  unlock that daemon. `gnome-keyring-daemon --replace --unlock --components=secrets` (password on
  stdin) does: the child uses it as a repair if it ever finds the collection missing or locked.
* HOME must exist and be writable (a missing HOME made the daemon hang), and XDG_RUNTIME_DIR
  should be a private folder; both point into the test's tmp dir so no real keyring is touched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.secret_service

REPO = Path(__file__).resolve().parents[2]
SENTINEL_PASSWORD = "sentinel-pw-5c0e9a1f7d"
SENTINEL_COOKIE = "sentinel-cookie-41fa7c2e"
UNLOCK = "echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null"

CHILD = r"""
import json, os, subprocess, sys
os.environ.pop("PYTHON_KEYRING_BACKEND", None)

import keyring
import secretstorage
from secretstorage.collection import Collection

PW, COOKIE = os.environ["SENTINEL_PASSWORD"], os.environ["SENTINEL_COOKIE"]
verdict = {"backend": keyring.get_keyring().name}


def collection_state():
    try:
        return "locked" if Collection(secretstorage.dbus_init()).is_locked() else "unlocked"
    except secretstorage.exceptions.SecretStorageException:
        return "missing"


verdict["collection"] = collection_state()
if verdict["collection"] != "unlocked":  # see the module docstring of test_secret_service.py
    subprocess.run(
        ["gnome-keyring-daemon", "--replace", "--unlock", "--components=secrets"],
        input=b"test", capture_output=True, check=True,
    )
    verdict["repaired"] = collection_state()

from optout.credentials import AccountStore, Credential, entry_name
from optout.oskeyring import keyring_problem
from optout.paths import Profile
from optout.sessions import SessionStore

verdict["problem"] = keyring_problem()
store = AccountStore(Profile())
store.add("linkedin", Credential("alice", PW, "JBSW Y3DP EHPK 3PXP"))
got = store.get("linkedin", "alice")
verdict["get_ok"] = got.password == PW and got.totp_secret == "JBSWY3DPEHPK3PXP"
verdict["listed"] = [[a.platform, a.username, a.has_totp] for a in store.list()]

# Read it back past keyring: the secret really is an item of the Secret Service.
items = list(secretstorage.search_items(
    secretstorage.dbus_init(), {"service": "optout", "username": entry_name(Profile(), "linkedin", "alice")}
))
verdict["items"] = len(items)
verdict["item_holds_it"] = bool(items) and PW in items[0].get_secret().decode()

sessions = SessionStore(Profile())
state = {"cookies": [{"name": "li_at", "value": COOKIE, "domain": ".linkedin.com", "path": "/"}], "origins": []}
sessions.save("linkedin", "alice", state)
verdict["session_ok"] = SessionStore(Profile()).load("linkedin", "alice") == state
verdict["session_key"] = keyring.get_password("optout", entry_name(Profile(), "session-key")) is not None

verdict["removed"] = [a.username for a in store.remove("linkedin")]
verdict["gone"] = keyring.get_password("optout", entry_name(Profile(), "linkedin", "alice")) is None
verdict["forgot_key"] = sessions.forget_key()
print(json.dumps(verdict))
"""

CHILD_NO_UNLOCK = r"""
import json, os
os.environ.pop("PYTHON_KEYRING_BACKEND", None)
from optout.credentials import AccountStore, Credential
from optout.errors import KeyringUnavailable
from optout.paths import Profile

try:
    AccountStore(Profile()).add("linkedin", Credential("alice", os.environ["SENTINEL_PASSWORD"]))
    print(json.dumps({"raised": None}))
except KeyringUnavailable as exc:
    print(json.dumps({"raised": type(exc).__name__, "message": exc.message, "hint": exc.hint}))
"""

CHILD_MOVE = r"""
import json, os, subprocess, sys
os.environ.pop("PYTHON_KEYRING_BACKEND", None)
import secretstorage
from optout import secretmove
from optout.credentials import AccountStore, Credential, entry_name
from optout.filestore import choose_file_store, file_store_path
from optout.paths import Profile
from optout.sessions import SessionStore

PW, COOKIE = os.environ["SENTINEL_PASSWORD"], os.environ["SENTINEL_COOKIE"]
profile = Profile()
choose_file_store(profile)  # `account add --insecure-storage` on a machine without a keyring
AccountStore(profile).add("linkedin", Credential("alice", PW))
state = {"cookies": [{"name": "li_at", "value": COOKIE, "domain": ".linkedin.com", "path": "/"}], "origins": []}
SessionStore(profile).save("linkedin", "alice", state)


def items():
    found = {}
    for item in secretstorage.search_items(secretstorage.dbus_init(), {"service": "optout"}):
        found[item.get_attributes()["username"]] = item.get_secret().decode()
    return found


verdict = {}
moved = secretmove.to_keyring(profile)  # a keyring works now (the daemon is unlocked)
verdict["moved"] = moved.items
verdict["file_gone"] = not file_store_path(profile).exists()
held = items()
verdict["in_keyring"] = sorted(held) == sorted([entry_name(profile, "linkedin", "alice"),
                                                entry_name(profile, "session-key")])
verdict["holds_pw"] = PW in held.get(entry_name(profile, "linkedin", "alice"), "")
verdict["reads"] = (AccountStore(profile).get("linkedin").password == PW
                    and SessionStore(profile).load("linkedin", "alice") == state)
back = secretmove.to_file(profile)
verdict["back"] = back.items
verdict["keyring_empty"] = items() == {}
verdict["reads_back"] = (AccountStore(profile).get("linkedin").password == PW
                         and SessionStore(profile).load("linkedin", "alice") == state)
print(json.dumps(verdict))
"""


def need_tools() -> None:
    missing = [
        tool for tool in ("dbus-run-session", "gnome-keyring-daemon") if not shutil.which(tool)
    ]
    if missing:
        reason = f"{' and '.join(missing)} not installed (apt-get install gnome-keyring dbus)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the Secret Service tests: {reason}")
        pytest.skip(reason)


def run_child(tmp_path: Path, script: str, shell: str) -> tuple[dict, str, str, Path]:
    need_tools()
    home, runtime, optout_home = tmp_path / "home", tmp_path / "run", tmp_path / "optout-home"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    child = tmp_path / "child.py"
    child.write_text(script)
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY"}
        and not k.startswith(("XDG_", "GNOME_KEYRING"))
    }
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),  # no keyringrc.cfg of the real user
        XDG_CACHE_HOME=str(home / ".cache"),
        OPTOUT_HOME=str(optout_home),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        SENTINEL_PASSWORD=SENTINEL_PASSWORD,
        SENTINEL_COOKIE=SENTINEL_COOKIE,
        CHILD_PYTHON=sys.executable,
        CHILD_SCRIPT=str(child),
    )
    cmd = ["dbus-run-session", "--", "sh", "-c", shell]
    # Own process group: on a hang, end dbus-daemon and gnome-keyring-daemon with it.
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the Secret Service child hung\nstdout:\n{out}\nstderr:\n{err}")
    assert proc.returncode == 0, f"child failed ({proc.returncode})\nstdout:\n{out}\nstderr:\n{err}"
    verdict = json.loads(out.strip().splitlines()[-1])
    return verdict, out, err, optout_home


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_accounts_and_sessions_in_a_real_secret_service(tmp_path):
    shell = f'{UNLOCK}; exec "$CHILD_PYTHON" "$CHILD_SCRIPT"'
    verdict, out, err, optout_home = run_child(tmp_path, CHILD, shell)
    assert verdict["backend"] == "SecretService Keyring", verdict
    assert verdict["collection"] == "unlocked", verdict  # the incantation alone is enough
    assert verdict["problem"] is None
    assert verdict["get_ok"] is True
    assert verdict["listed"] == [["linkedin", "alice", True]]
    assert verdict["items"] == 1 and verdict["item_holds_it"] is True
    assert verdict["session_ok"] is True and verdict["session_key"] is True
    assert verdict["removed"] == ["alice"] and verdict["gone"] is True
    assert verdict["forgot_key"] is True

    assert SENTINEL_PASSWORD not in out and SENTINEL_PASSWORD not in err
    assert SENTINEL_COOKIE not in out and SENTINEL_COOKIE not in err
    written = files_under(optout_home)
    assert any(p.suffix == ".session" for p in written) and any(
        p.name == "accounts.json" for p in written
    )
    for path in written + files_under(
        tmp_path / "home"
    ):  # gnome-keyring's own files are encrypted too
        data = path.read_bytes()
        assert SENTINEL_PASSWORD.encode() not in data, path
        assert SENTINEL_COOKIE.encode() not in data, path


def test_a_keyring_that_cannot_be_unlocked_is_a_clear_error(tmp_path):
    # No --unlock: D-Bus starts gnome-keyring itself, which needs a prompt to create the
    # login keyring and has no display for one.
    verdict, out, err, optout_home = run_child(
        tmp_path, CHILD_NO_UNLOCK, 'exec "$CHILD_PYTHON" "$CHILD_SCRIPT"'
    )
    assert verdict["raised"] == "KeyringUnavailable", verdict
    assert "SecretService" in verdict["message"] and "could not be opened" in verdict["message"]
    assert "gnome-keyring-daemon --unlock" in verdict["hint"]
    assert "Traceback" not in err
    assert SENTINEL_PASSWORD not in out + err
    assert not (optout_home / "profiles" / "default" / "accounts.json").exists()


@pytest.mark.parametrize(
    "ci, outcome", [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_missing_tools_fail_in_ci_and_skip_elsewhere(monkeypatch, ci, outcome):
    monkeypatch.setattr(shutil, "which", lambda tool: None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="gnome-keyring-daemon not installed"):
        need_tools()


def test_secrets_move_from_the_file_store_into_a_real_secret_service_and_back(tmp_path):
    shell = f'{UNLOCK}; exec "$CHILD_PYTHON" "$CHILD_SCRIPT"'
    verdict, out, err, optout_home = run_child(tmp_path, CHILD_MOVE, shell)
    assert verdict["moved"] == ["linkedin alice", "the saved sessions' key"], verdict
    assert (
        verdict["file_gone"] and verdict["in_keyring"] and verdict["holds_pw"] and verdict["reads"]
    ), verdict
    assert verdict["back"] == ["linkedin alice", "the saved sessions' key"], verdict
    assert verdict["keyring_empty"] and verdict["reads_back"], verdict
    assert SENTINEL_PASSWORD not in out + err and SENTINEL_COOKIE not in out + err
