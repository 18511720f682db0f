"""Trust holes of issue 12: one scrub list, every encoding scrubbed, secrets that survive failures."""

from __future__ import annotations

import re
from pathlib import Path

from optout import logs, notify

SENTINEL = "S3ntinel&<>\"' %/pw"
OPTOUT = Path(__file__).resolve().parent.parent / "optout"


def test_one_private_writer_and_one_scrub_list():
    """The 0600 write lives only in paths.py; notify scrubs what logs was told of."""
    for path in OPTOUT.rglob("*.py"):
        if path.name == "paths.py" or "sandbox" in path.parts:
            continue
        text = path.read_text()
        assert not re.search(r"os\.open\(|0o600|\.chmod\(", text), path
    logs.register_secret("one-list-sentinel-9c1d")
    assert "one-list-sentinel-9c1d" not in notify.scrub("pw one-list-sentinel-9c1d")
    assert not hasattr(notify, "_SECRETS")


def _encodings(secret: str) -> dict[str, str]:
    import html
    import json
    from urllib.parse import quote, quote_plus

    inner = json.dumps(secret)[1:-1]
    unicode_escaped = "".join(c if c.isalnum() else f"\\u{ord(c):04x}" for c in secret)
    unicode_upper = "".join(c if c.isalnum() else f"\\u{ord(c):04X}" for c in secret)
    return {
        "raw": secret,
        "html": html.escape(secret),  # &amp; &lt; &gt; &quot; &#x27;
        "html-39": secret.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                         .replace('"', "&quot;").replace("'", "&#39;"),
        "html-noquote": html.escape(secret, quote=False),
        "quote": quote(secret),
        "quote-nosafe": quote(secret, safe=""),
        "quote-lower": re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(secret, safe="")),
        "quote_plus": quote_plus(secret),
        "json": inner,
        "json-slash": inner.replace("/", "\\/"),
        "json-u": unicode_escaped,
        "json-U": unicode_upper,
    }


def test_scrub_catches_every_encoding_of_a_secret():
    """A page that echoes the password holds it escaped; the kept page must not hold it at all."""
    logs.register_secret(SENTINEL)
    for name, form in _encodings(SENTINEL).items():
        page = f'<input value="{form}"><a href="/x?p={form}&n=1">{form}</a>{{"p":"{form}"}}'
        kept = logs.scrub(page)
        assert form not in kept and "S3ntinel" not in kept, name
        assert "***" in kept and "<input value=" in kept, name
        assert "S3ntinel" not in notify.scrub(page), name


def test_short_secrets_are_scrubbed_where_they_stand_alone():
    logs.register_secret("q7")
    text = logs.scrub('pw q7, user=q7&x "q7" %71%37 q7x aq7 table')
    assert "q7," not in text and "=q7&" not in text and '"q7"' not in text and "%71%37" not in text
    assert "q7x aq7 table" in text  # inside a word it is not the secret standing alone
    assert "q7" not in notify.scrub("your password q7 was refused")


def test_a_crlf_typed_secret_is_stored_and_scrubbed_without_its_line_ending():
    import io

    from optout.credentials import read_secret

    assert read_secret("Password: ", stream=io.StringIO("crlf-secret-77\r\n")) == "crlf-secret-77"
    logs.register_secret("crlf-secret-88\r\n")
    assert "crlf-secret-88" not in logs.scrub("typed crlf-secret-88 then")


def test_a_failed_password_update_keeps_the_old_password(optout_home, monkeypatch):
    import pytest

    from optout import credentials
    from optout.credentials import AccountStore, Credential
    from optout.paths import Profile

    store = AccountStore(Profile())
    store.add("linkedin", Credential("alice", "old-sentinel-pw-1"))

    def disk_full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(credentials, "write_private", disk_full)
    with pytest.raises(OSError):
        store.add("linkedin", Credential("alice", "new-sentinel-pw-2"))
    assert store.get("linkedin", "alice").password == "old-sentinel-pw-1"


def test_two_data_folders_never_share_a_keyring_entry(tmp_path, monkeypatch, memory_keyring):
    """Profile carol in two OPTOUT_HOMEs: deleting one's account leaves the other's password."""
    from optout.credentials import AccountStore, Credential
    from optout.paths import Profile
    from optout.sessions import SessionStore

    one, two = Profile("carol", root=tmp_path / "one"), Profile("carol", root=tmp_path / "two")
    AccountStore(one).add("linkedin", Credential("carol", "pw-of-home-one"))
    AccountStore(two).add("linkedin", Credential("carol", "pw-of-home-two"))
    SessionStore(one).save("linkedin", "carol", {"cookies": [], "origins": []})
    SessionStore(two).save("linkedin", "carol", {"cookies": [], "origins": []})
    assert AccountStore(one).get("linkedin").password == "pw-of-home-one"
    AccountStore(one).remove("linkedin")
    assert SessionStore(one).forget_key()
    assert AccountStore(two).get("linkedin").password == "pw-of-home-two"
    assert SessionStore(two).load("linkedin", "carol") == {"cookies": [], "origins": []}

    monkeypatch.setenv("OPTOUT_HOME", str(tmp_path / "one"))
    notify.save_urls("carol", ["json://localhost/one"])
    monkeypatch.setenv("OPTOUT_HOME", str(tmp_path / "two"))
    notify.save_urls("carol", ["json://localhost/two"])
    notify.save_urls("carol", [])
    monkeypatch.setenv("OPTOUT_HOME", str(tmp_path / "one"))
    assert notify.load_urls("carol") == ["json://localhost/one"]


def test_entries_under_the_old_names_are_moved_not_lost(optout_home, memory_keyring):
    import json

    from optout.credentials import SERVICE, AccountStore, Credential, entry_name
    from optout.paths import Profile

    store = AccountStore(Profile())
    store.add("linkedin", Credential("alice", "legacy-sentinel-pw"))
    value = memory_keyring.data.pop((SERVICE, entry_name(Profile(), "linkedin", "alice")))
    memory_keyring.data[(SERVICE, "default/linkedin/alice")] = value  # as an older optout wrote it
    memory_keyring.data[(notify.KEYRING_SERVICE, "default")] = json.dumps(["json://localhost/x"])

    assert store.get("linkedin", "alice").password == "legacy-sentinel-pw"
    assert notify.load_urls("default") == ["json://localhost/x"]
    assert (SERVICE, "default/linkedin/alice") not in memory_keyring.data
    assert (notify.KEYRING_SERVICE, "default") not in memory_keyring.data
    assert memory_keyring.data[(SERVICE, entry_name(Profile(), "linkedin", "alice"))] == value

    from optout.sessions import SessionStore

    SessionStore(Profile()).save("linkedin", "alice", {"cookies": [], "origins": []})
    key = memory_keyring.data.pop((SERVICE, entry_name(Profile(), "session-key")))
    memory_keyring.data[(SERVICE, "default/session-key")] = key
    assert SessionStore(Profile()).load("linkedin", "alice") == {"cookies": [], "origins": []}
    assert memory_keyring.data[(SERVICE, entry_name(Profile(), "session-key"))] == key
    assert (SERVICE, "default/session-key") not in memory_keyring.data


def test_folders_optout_did_not_create_keep_their_mode(tmp_path, monkeypatch):
    """OPTOUT_HOME as a symlink to a shared folder, or a folder that was already there: optout makes
    its own folders 0700 and never changes the mode of anything else."""
    import os
    import stat

    from optout.paths import Profile

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o775)
    (tmp_path / "link").symlink_to(shared)
    existing = tmp_path / "existing"
    existing.mkdir()
    existing.chmod(0o755)
    for home, folder, mode in ((tmp_path / "link", shared, 0o775), (existing, existing, 0o755)):
        monkeypatch.setenv("OPTOUT_HOME", str(home))
        profile = Profile().ensure()
        assert stat.S_IMODE(os.stat(folder).st_mode) == mode
        for own in (profile.base, profile.base.parent):
            assert stat.S_IMODE(own.stat().st_mode) == 0o700
    fresh = tmp_path / "fresh" / "home"
    Profile(root=fresh).ensure()
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700 and stat.S_IMODE(fresh.parent.stat().st_mode) == 0o700
