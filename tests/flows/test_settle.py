"""A missing control is decided once the page has settled (no request in flight, no change to the
page for a moment, its load a few seconds behind it), not when the fixed `find_timeout_s` runs out;
and a page still fetching is never called broken, however long its spinner turns.

The sign-in waits the same way: a step the flow does not know is broken once the page has settled,
not after `login.timeout_ms` (the ceiling) per step, and a step still fetching is waited for.

Each test tells from the result's detail which of the two decided; only the unknown sign-in step
also measures time, against the old fixed limits' cost."""

from __future__ import annotations

import time

import pytest

from optout import api
from optout.credentials import Credential
from optout.flowfile.layers import resolve

CEILING_S = (
    60.0  # far above settling: a test that reached it would say "while the page was still loading"
)


@pytest.mark.parametrize("platform", ["chatgpt", "copilot"])
async def test_control_after_six_seconds_of_fetching_is_read(configure, run_flow, platform):
    """The spinner fetches for 6 s, requests under a second apart, then the setting appears: it is
    read (and switched off), never broken while the page was still busy."""
    configure(platform, "slow_fetch")
    results = await run_flow(platform, "off", find_timeout_s=CEILING_S)
    assert results and {(str(r.state), r.changed) for r in results} == {("off", True)}, [
        r.detail for r in results
    ]


async def test_objection_form_after_six_seconds_of_fetching_is_found(sandbox, run_flow):
    sandbox.configure("facebook", "slow_fetch", password="sentinel-pw-Settle7Fb")
    from optout.credentials import Credential
    from optout.sandbox import SANDBOX_USERNAME

    results = await run_flow(
        "facebook",
        "check",
        credential=Credential(SANDBOX_USERNAME, "sentinel-pw-Settle7Fb"),
        find_timeout_s=CEILING_S,
    )
    assert results and {str(r.state) for r in results} == {"on"}, [r.detail for r in results]


@pytest.mark.parametrize("platform", ["chatgpt", "claude"])
async def test_changed_page_is_broken_once_settled_not_at_the_ceiling(
    configure, run_flow, platform
):
    configure(platform, "label_gone", session=platform == "claude")
    results = await run_flow(platform, "check", find_timeout_s=CEILING_S)
    for r in results:
        assert str(r.state) == "broken", r.detail
        assert "once the page had finished loading" in r.detail, r.detail
        assert r.evidence, "a broken page keeps its evidence"


async def test_page_without_the_form_is_broken_once_settled(sandbox, run_flow):
    sandbox.configure("instagram", "label_gone", password="sentinel-pw-Settle7Ig")
    from optout.credentials import Credential
    from optout.sandbox import SANDBOX_USERNAME

    results = await run_flow(
        "instagram",
        "off",
        credential=Credential(SANDBOX_USERNAME, "sentinel-pw-Settle7Ig"),
        find_timeout_s=CEILING_S,
    )
    assert results and {str(r.state) for r in results} == {"broken"}, [r.detail for r in results]
    assert all("once the page had finished loading" in r.detail for r in results)


async def test_ceiling_still_ends_a_page_that_never_settles(configure, run_flow):
    """The fixed limit stays the ceiling: a page still fetching when it runs out is broken, and
    says it was still loading."""
    configure("chatgpt", "slow_fetch")
    results = [
        r
        for r in await run_flow("chatgpt", "check", find_timeout_s=1)
        if r.setting == "improve-model"
    ]
    assert [str(r.state) for r in results] == ["broken"]
    assert "while the page was still loading" in results[0].detail


HANDLE = "demo_handle"  # X's unusual-activity question asks for a phone number or username


async def test_sign_in_step_the_flow_does_not_know_is_broken_once_settled(
    configure, sandbox, store, browser_path, sentinel_password, only_flows
):
    """X asks its unusual-activity question in French, which the flow does not know: nothing is
    typed into it, and the sign-in is broken once the page has settled, instead of after four
    optional waits and one required one of `login.timeout_ms` each (about 100 s)."""
    replica = configure("x", "french", "identifier_step", username=HANDLE)
    flows = only_flows("x")
    [flow] = resolve(["x"], flows)
    typed: list[str] = []  # every field that received an input event, by name or test id

    async def setup(context) -> None:
        await sandbox.install(context)
        await context.expose_function("__typedInto", lambda what: typed.append(what))
        await context.add_init_script("""document.addEventListener('input', (e) =>
            window.__typedInto(e.target.getAttribute('data-testid') || e.target.name || '?'), true);""")

    setup.routes_to_replicas = True  # records in a sandbox profile (optout.runs.run_profile)
    started = time.monotonic()
    results = await api.check(
        ["x"],
        credentials={"x": Credential(HANDLE, sentinel_password)},
        setup_context=setup,
        browser_path=browser_path,
        sessions=store,
        flows_dir=flows,
    )
    took = time.monotonic() - started
    assert results and {str(r.state) for r in results} == {"broken"}, [r.detail for r in results]
    assert all("once it had finished loading" in r.detail for r in results), [
        r.detail for r in results
    ]
    assert typed == ["text"], "only the first step's username field, never the unknown question's"
    assert replica.events("identifier") == [] and replica.events("login") == []
    assert took < 15 < flow.login.timeout_ms / 1000, f"{took:.1f} s"


async def test_sign_in_steps_after_six_seconds_of_fetching_are_reached(
    configure, run_flow, sentinel_password, only_flows
):
    """Every answer of X's sign-in comes after 6 s of fetching with a changing status line and no
    progress bar: the unusual-activity question (optional), the password (required) and the
    signed-in page are each waited for, never read as missing while the page is still busy."""
    replica = configure("x", "slow_login_step", "identifier_step", username=HANDLE)
    results = await run_flow(
        "x",
        credential=Credential(HANDLE, sentinel_password),
        flows_dir=only_flows("x"),
        find_timeout_s=CEILING_S,
    )
    assert {r.setting: str(r.state) for r in results}["training"] == "on", [
        r.detail for r in results
    ]
    assert [e["ok"] for e in replica.events("identifier")] == [True]
    assert [e["ok"] for e in replica.events("login")] == [True]
