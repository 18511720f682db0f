"""Notifications: scrubbing, apprise delivery to a local HTTP server, desktop, stored URLs."""

from __future__ import annotations

import json
import subprocess

from optout import notify as notify_mod
from optout.history import Drift
from optout.notify import (
    Delivery,
    attention_message,
    load_urls,
    notify,
    notify_run,
    register_secret,
    save_urls,
    scrub,
)
from optout.results import Result
from optout.states import State

SENTINEL = "hunter2-SENTINEL-secret"


def test_scrub_removes_tokens_and_registered_secrets():
    register_secret(SENTINEL)
    register_secret("ab")  # short: scrubbed only where it stands alone
    text = scrub(
        f"pw {SENTINEL}; Cookie: li_at=AQEDAR123; JSESSIONID=ajax:123\nJSESSIONID=ajax:456 token=abc "
        "Authorization: Bearer eyJhbGciOi.JIUzI1NiJ9.xyz\nhttps://u:p4ss@host/x Bearer eyJhbGciOiJIUzI1 "
        "AQEDARxyz0123456789abcdefghijklmnopqrstu ab linkedin.com/mypreferences/d/data-for-ai-improvement"
    )
    for leaked in (
        SENTINEL,
        "AQEDAR123",
        "ajax:123",
        "ajax:456",
        "abc ",
        "eyJhbG",
        "p4ss",
        "AQEDARxyz",
    ):
        assert leaked not in text
    assert "linkedin.com/mypreferences/d/data-for-ai-improvement" in text and " ab " not in text


def test_apprise_delivery_is_scrubbed(apprise_receiver):
    url, got = apprise_receiver
    register_secret(SENTINEL)
    sent = notify(
        "optout: LinkedIn switched back on",
        f"details\x1b[31m {SENTINEL} session=deadbeef",
        [url],
        desktop=False,
    )
    assert sent == [Delivery("json://…", True)]
    [message] = got
    assert message["title"] == "optout: LinkedIn switched back on"
    assert message["message"].startswith("details")
    dumped = json.dumps(message)
    assert SENTINEL not in dumped and "deadbeef" not in dumped and "\\u001b" not in dumped


def test_bad_and_unreachable_urls_are_reported_not_raised(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    sent = notify("t", "b", ["not a url", "json://127.0.0.1:9/nothing-listens"], desktop=False)
    assert [d.ok for d in sent] == [False, False]
    assert all("127.0.0.1" not in d.target for d in sent)


def test_desktop_notify_send(monkeypatch):
    calls = []
    monkeypatch.setattr(notify_mod.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(notify_mod.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(
        notify_mod,
        "_run",
        lambda cmd, **kw: calls.append(cmd) or subprocess.CompletedProcess(cmd, 0, "", ""),
    )
    register_secret(SENTINEL)
    assert notify("title", f"body {SENTINEL}") == [Delivery("desktop", True, "")]
    assert calls[0][:3] == ["notify-send", "--app-name=optout", "--"]
    assert SENTINEL not in " ".join(calls[0])


def test_desktop_osascript_passes_text_as_arguments(monkeypatch):
    calls = []
    monkeypatch.setattr(notify_mod.sys, "platform", "darwin")
    monkeypatch.setattr(notify_mod.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(
        notify_mod,
        "_run",
        lambda cmd, **kw: calls.append(cmd) or subprocess.CompletedProcess(cmd, 0, "", ""),
    )
    notify('say "hi"', "body")
    assert calls[0][0] == "osascript" and calls[0][-2:] == ['say "hi"', "body"]


def test_no_desktop_without_a_display(monkeypatch):
    monkeypatch.setattr(notify_mod.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert notify("t", "b") == []


def test_urls_live_in_the_keyring(memory_keyring):
    save_urls("default", ["ntfy://tok3n@ntfy.sh/topic"])
    assert load_urls("default") == ["ntfy://tok3n@ntfy.sh/topic"]
    assert scrub("ntfy://tok3n@ntfy.sh/topic") == "[redacted]"  # loaded URLs count as secrets
    save_urls("default", [])
    assert load_urls("default") == []


def test_run_notification_only_when_needed(apprise_receiver):
    url, got = apprise_receiver
    quiet = [Result("linkedin", "train", State.OFF)]
    assert attention_message("default", [], quiet) is None
    assert notify_run("default", [], quiet, urls=[url], desktop=False) == []
    drift = [
        Drift(
            "switched_on",
            "linkedin",
            "a@example.org",
            "train",
            "'Training' was off and is on again",
        )
    ]
    human = [Result("x", "grok", State.NEEDS_HUMAN, account="me")]
    sent = notify_run("default", drift, human, urls=[url], desktop=False)
    assert [d.ok for d in sent] == [True]
    assert got[0]["title"] == "optout: 2 things need your attention"
    assert "linkedin (a@example.org): 'Training' was off and is on again" in got[0]["message"]
    assert "x (me): asks for a person" in got[0]["message"]


def test_a_change_or_a_fix_is_said_even_with_nothing_left_to_do():
    """A scheduled `--fix` that changed something says so: a fixed drift, then a first switch."""
    fixed = [
        Drift(
            "switched_on",
            "linkedin",
            None,
            "train",
            "'Training' was off and is on again; optout switched it off again",
            fixed=True,
        )
    ]
    done = [
        Result("linkedin", "train", State.OFF, changed=True, label="Training"),
        Result("linkedin", "form", State.SUBMITTED, changed=True, label="Objection"),
    ]
    title, body = attention_message("default", fixed, done)
    assert title == "optout: 1 setting was switched back on; switched off again"
    assert body.count("Training") == 1 and "linkedin: sent the objection 'Objection'" in body
    title, body = attention_message("default", [], done[:1])
    assert title == "optout: 1 change made to your accounts" and "switched off 'Training'" in body
