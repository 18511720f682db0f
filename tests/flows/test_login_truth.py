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

from optout import engine
from optout.credentials import Credential
from optout.flowfile.layers import resolve
from optout.sandbox import SANDBOX_USERNAME

SENTINEL_PASSWORD = "sentinel-pw-Truth4Kq"
ECHO_SENTINEL = "S3ntinel&<>\"' %/pw"


# --- 12.1: one sign-in attempt per (platform, account) per run ------------------------------------


async def test_a_platform_named_twice_signs_in_once(configure, run_flow, only_flows):
    replica = configure("linkedin", "wrong_password")
    results = await run_flow(["linkedin", "linkedin"], flows_dir=only_flows("linkedin"))
    assert len(replica.events("login")) == 1, (
        "one attempt with a wrong password, whatever was asked"
    )
    settings = [r.setting for r in results]
    assert len(settings) == len(set(settings)), "each setting read once"
    assert {r.state for r in results} == {"needs_login"}


async def test_an_account_given_twice_signs_in_once(
    configure, sandbox, browser_path, only_flows, store
):
    replica = configure("linkedin", "wrong_password")
    [flow] = resolve(["linkedin"], only_flows("linkedin"))
    cred = Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD)
    same = [
        engine.Account("linkedin", SANDBOX_USERNAME, credential=cred),
        engine.Account("linkedin", SANDBOX_USERNAME.upper(), credential=cred),
    ]
    options = engine.RunOptions(
        browser_path=browser_path,
        setup_context=sandbox.install,
        evidence_dir=Path(os.environ["OPTOUT_HOME"]) / "evidence",
    )
    results = await engine.run([(flow, same), (flow, same[:1])], options)
    assert len(replica.events("login")) == 1
    assert len(results) == len(flow.settings) and {r.state for r in results} == {"needs_login"}


# --- 11.6: a code that was accepted is not reported rejected ---------------------------------------


async def test_code_accepted_by_a_slow_server_signs_in(configure, run_flow, only_flows):
    secret = pyotp.random_base32()
    replica = configure("x", "slow_verify", totp_secret=secret)
    cred = Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD, totp_secret=secret)
    results = await run_flow("x", credential=cred, flows_dir=only_flows("x"))
    assert {r.setting: str(r.state) for r in results}["training"] == "on", [
        r.detail for r in results
    ]
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


async def test_a_page_moving_focus_into_a_foreign_frame_gets_no_password(
    configure, run_flow, only_flows
):
    from optout.sandbox.replica import digest

    replica = configure("x", "focus_thief")
    results = await run_flow("x", flows_dir=only_flows("x"))
    stolen = replica.events("stolen")
    assert not any(e["sha256"] == digest(SENTINEL_PASSWORD) or e["length"] for e in stolen), stolen
    assert replica.events("login") == [], "nothing was sent as a password"
    assert {str(r.state) for r in results} == {"error"}
    assert (
        "tried to take the password" in results[0].detail and "optout login x" in results[0].detail
    )


# --- 12.2: a page that echoes the password back leaves no trace of it ------------------------------


def echo_forms(secret: str) -> list[bytes]:
    forms = {
        secret,
        html.escape(secret),
        html.escape(secret, quote=False),
        quote(secret),
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret).replace("/", "\\/")[1:-1],
        "S3ntinel",
    }
    return [f.encode() for f in forms]


async def test_an_echoed_password_leaves_no_trace_under_optout_home(sandbox, run_flow, only_flows):
    replica = sandbox.configure("x", "wrong_password", "echo_password", password=ECHO_SENTINEL)
    flows = only_flows("x")
    flow_file = flows / "x.yaml"
    flow_file.write_text(
        flow_file.read_text().replace("\nlogin:\n", "\nlogin:\n  timeout_ms: 4000\n")
    )
    results = await run_flow(
        "x", credential=Credential(SANDBOX_USERNAME, ECHO_SENTINEL), flows_dir=flows
    )
    assert {str(r.state) for r in results} == {"broken"}, [r.detail for r in results]
    assert len(replica.events("login")) == 1
    home = Path(os.environ["OPTOUT_HOME"])
    files = [p for p in home.rglob("*") if p.is_file()]
    # The page shows the password: its source may hold it in pieces no scrub joins, so nothing of
    # it is kept (issue 23 item 1), and the result says so.
    assert not any(p.suffix in (".html", ".png") for p in files), (
        "a page showing the password is not kept"
    )
    assert any("neither the page's HTML nor a screenshot was kept" in r.detail for r in results), (
        results
    )
    for path in files:
        data = path.read_bytes()
        leaked = [f for f in echo_forms(ECHO_SENTINEL) if f in data]
        assert not leaked, f"{path} holds the password as {leaked}"


# --- 11.5: X's unusual-activity step answered only with a value of the kind it asks for ------------


@pytest.mark.parametrize("variant", ["identifier_email", "identifier_phone_email"])
async def test_x_asking_for_an_email_gets_the_stored_email(
    configure, run_flow, only_flows, variant
):
    replica = configure("x", variant)
    results = await run_flow("x", flows_dir=only_flows("x"))
    assert {str(r.state) for r in results} == {"on"}, [r.detail for r in results]
    assert [e["ok"] for e in replica.events("identifier")] == [True]


@pytest.mark.parametrize("variant", ["identifier_email", "identifier_phone_email"])
async def test_x_asking_for_an_email_without_one_stored_needs_a_person_at_once(
    sandbox, run_flow, only_flows, variant
):
    import time

    replica = sandbox.configure("x", variant, password=SENTINEL_PASSWORD, username="demo_handle")
    started = time.monotonic()
    results = await run_flow(
        "x", credential=Credential("demo_handle", SENTINEL_PASSWORD), flows_dir=only_flows("x")
    )
    assert {str(r.state) for r in results} == {"needs_human"}, [r.detail for r in results]
    assert "optout login x" in results[0].detail and "e-mail" in results[0].detail
    assert replica.events("identifier") == [] and replica.events("login") == [], (
        "nothing typed, no password"
    )
    assert time.monotonic() - started < 15, "at once, not after the steps' time limits"


async def test_x_asking_for_a_phone_or_username_never_gets_an_email(
    configure, run_flow, only_flows
):
    replica = configure("x", "identifier_step")
    results = await run_flow("x", flows_dir=only_flows("x"))
    assert {str(r.state) for r in results} == {"needs_human"}, [r.detail for r in results]
    assert replica.events("identifier") == [] and replica.events("login") == []


async def test_x_asking_for_a_phone_or_username_gets_the_stored_username(
    sandbox, run_flow, only_flows
):
    replica = sandbox.configure(
        "x", "identifier_step", password=SENTINEL_PASSWORD, username="demo_handle"
    )
    results = await run_flow(
        "x", credential=Credential("demo_handle", SENTINEL_PASSWORD), flows_dir=only_flows("x")
    )
    assert {str(r.state) for r in results} == {"on"}, [r.detail for r in results]
    assert [e["ok"] for e in replica.events("identifier")] == [True]


# --- between required steps: a challenge ends the sign-in as what it is ----------------------------


async def test_a_security_check_after_the_username_needs_a_person(configure, run_flow, only_flows):
    import time

    replica = configure("gemini", "captcha_early")
    started = time.monotonic()
    results = await run_flow("gemini", flows_dir=only_flows("gemini"))
    assert {str(r.state) for r in results} == {"needs_human"}, [r.detail for r in results]
    assert "security checkpoint" in results[0].detail and "optout login gemini" in results[0].detail
    assert replica.events("login") == [], "the password was never typed"
    assert time.monotonic() - started < 15, "at once, not after the password step's time limit"
