"""`profile delete` against a real Secret Service (gnome-keyring under dbus-run-session; see
test_secret_service.py for how that is set up): afterwards the keyring itself, listed item by item,
holds nothing of the deleted person, including an entry optout's own files no longer name."""

from __future__ import annotations

import pytest
from test_secret_service import SENTINEL_PASSWORD, UNLOCK, files_under, run_child

pytestmark = pytest.mark.secret_service

CHILD = r"""
import json, os, subprocess
os.environ.pop("PYTHON_KEYRING_BACKEND", None)

import keyring
import secretstorage
from secretstorage.collection import Collection


def collection_state():
    try:
        return "locked" if Collection(secretstorage.dbus_init()).is_locked() else "unlocked"
    except secretstorage.exceptions.SecretStorageException:
        return "missing"


if collection_state() != "unlocked":  # see the module docstring of test_secret_service.py
    subprocess.run(["gnome-keyring-daemon", "--replace", "--unlock", "--components=secrets"],
                   input=b"test", capture_output=True, check=True)

from optout import notify, people
from optout.credentials import AccountStore, Credential, entry_name
from optout.paths import Profile
from optout.sessions import SessionStore

PW = os.environ["SENTINEL_PASSWORD"]


def items():
    found = []
    for item in Collection(secretstorage.dbus_init()).get_all_items():
        attrs = item.get_attributes()
        if attrs.get("service", "").startswith("optout"):
            found.append([attrs["service"], attrs.get("username", "")])
    return sorted(found)


for who in ("alice", "bob"):
    AccountStore(Profile(who)).add("linkedin", Credential(f"{who}@example.org", PW))
    SessionStore(Profile(who)).save("linkedin", f"{who}@example.org", {"cookies": [], "origins": []})
    notify.save_urls(who, [f"ntfy://SENTINELTOKEN@ntfy.example/{who}"])
# An orphan: in the keyring, but named by no index, session or history of alice.
keyring.set_password("optout", entry_name(Profile("alice"), "x/forgotten"), PW)

verdict = {"backend": keyring.get_keyring().name, "before": items(),
           "names": {who: [entry_name(Profile(who), ""), notify.entry_user(who)] for who in ("alice", "bob")}}
[removal] = people.delete_profile("alice", system="launchd")
verdict["removed"] = removal.keyring
verdict["after"] = items()
print(json.dumps(verdict))
"""


def test_delete_leaves_nothing_in_a_real_secret_service(tmp_path):
    verdict, out, err, optout_home = run_child(
        tmp_path, CHILD, f'{UNLOCK}; exec "$CHILD_PYTHON" "$CHILD_SCRIPT"'
    )
    assert verdict["backend"] == "SecretService Keyring", verdict
    (a, a_urls), (b, b_urls) = (
        verdict["names"]["alice"],
        verdict["names"]["bob"],
    )  # e.g. "alice@1a2b3c4d/"
    alice = [
        ["optout", f"{a}linkedin/alice@example.org"],
        ["optout", f"{a}session-key"],
        ["optout", f"{a}x/forgotten"],
        ["optout-notify", a_urls],
    ]
    bob = [
        ["optout", f"{b}linkedin/bob@example.org"],
        ["optout", f"{b}session-key"],
        ["optout-notify", b_urls],
    ]
    assert verdict["before"] == sorted(alice + bob)
    assert verdict["after"] == sorted(bob)  # asked item by item: nothing of alice is left
    assert f"optout: {a}x/forgotten" in verdict["removed"]  # found only by listing the keyring
    assert not [p for p in files_under(optout_home) if "alice" in str(p)]
    assert [p for p in files_under(optout_home) if "bob" in str(p)]
    assert SENTINEL_PASSWORD not in out + err and "SENTINELTOKEN" not in out + err
