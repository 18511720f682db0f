"""Sign-in truths (issues 11 and 12): one attempt per account per run, keystrokes only into the
field they are for, no password in anything kept, X's identifier variants, and a code that was
accepted never reported rejected. Each through a real Chromium against hostile or slow replicas."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from urllib.parse import quote, quote_plus

import pyotp
import pytest

from optout import api, engine
from optout.credentials import Credential
from optout.flowspec import resolve
from optout.sandbox import SANDBOX_USERNAME

SENTINEL_PASSWORD = "sentinel-pw-Truth4Kq"
ECHO_SENTINEL = "S3ntinel&<>\"' %/pw"


# --- 12.1: one sign-in attempt per (platform, account) per run ------------------------------------

async def test_a_platform_named_twice_signs_in_once(configure, run_flow, only_flows):
    replica = configure("linkedin", "wrong_password")
    results = await run_flow(["linkedin", "linkedin"], flows_dir=only_flows("linkedin"))
    assert len(replica.events("login")) == 1, "one attempt with a wrong password, whatever was asked"
    settings = [r.setting for r in results]
    assert len(settings) == len(set(settings)), "each setting read once"
    assert {r.state for r in results} == {"needs_login"}


async def test_an_account_given_twice_signs_in_once(configure, sandbox, browser_path, only_flows, store):
    replica = configure("linkedin", "wrong_password")
    [flow] = resolve(["linkedin"], only_flows("linkedin"))
    cred = Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD)
    same = [engine.Account("linkedin", SANDBOX_USERNAME, credential=cred),
            engine.Account("linkedin", SANDBOX_USERNAME.upper(), credential=cred)]
    options = engine.RunOptions(browser_path=browser_path, setup_context=sandbox.install,
                                evidence_dir=Path(os.environ["OPTOUT_HOME"]) / "evidence")
    results = await engine.run([(flow, same), (flow, same[:1])], options)
    assert len(replica.events("login")) == 1
    assert len(results) == len(flow.settings) and {r.state for r in results} == {"needs_login"}


# --- 11.6: a code that was accepted is not reported rejected ---------------------------------------

async def test_code_accepted_by_a_slow_server_signs_in(configure, run_flow, only_flows):
    secret = pyotp.random_base32()
    replica = configure("x", "slow_verify", totp_secret=secret)
    cred = Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD, totp_secret=secret)
    results = await run_flow("x", credential=cred, flows_dir=only_flows("x"))
    assert {r.setting: str(r.state) for r in results}["training"] == "on", [r.detail for r in results]
    assert [e["ok"] for e in replica.events("code")] == [True]


async def test_code_refused_by_a_slow_server_needs_human(configure, run_flow, only_flows):
    secret = pyotp.random_base32()
    replica = configure("x", "slow_verify", totp_secret=secret)
    cred = Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD, totp_secret=pyotp.random_base32())
    results = await run_flow("x", credential=cred, flows_dir=only_flows("x"))
    assert {str(r.state) for r in results} == {"needs_human"}
    assert "did not accept the verification code" in results[0].detail
    assert [e["ok"] for e in replica.events("code")] == [False]


# --- 12.3: keystrokes only into the field they are for ----------------------------------------------

async def test_a_page_moving_focus_into_a_foreign_frame_gets_no_password(configure, run_flow, only_flows):
    from optout.sandbox.replica import digest

    replica = configure("x", "focus_thief")
    results = await run_flow("x", flows_dir=only_flows("x"))
    stolen = replica.events("stolen")
    assert not any(e["sha256"] == digest(SENTINEL_PASSWORD) or e["length"] for e in stolen), stolen
    assert replica.events("login") == [], "nothing was sent as a password"
    assert {str(r.state) for r in results} == {"error"}
    assert "tried to take the password" in results[0].detail and "optout login x" in results[0].detail
