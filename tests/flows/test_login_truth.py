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
