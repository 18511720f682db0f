"""8 accounts × 3 platforms in one run, a few browser contexts at a time: the results are exactly
those of running the same accounts one by one, each account signs in once, never more contexts
are open than the bound allows, and every account is a context of the run's one browser (an extra
account costs a context, never a browser).

The platforms are LinkedIn and two more password sign-in platforms of the sandbox (X and Grok when
they exist, else the first others). Every replica keeps each account's settings apart, and half the
accounts start with their settings already off, so results that leaked between accounts would show."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from optout import api
from optout.credentials import Credential
from optout.flowfile.folders import Layers
from optout.flowfile.layers import load_flows
from optout.paths import Profile
from optout.sandbox import SANDBOX_USERNAME, Sandbox
from optout.sessions import SessionStore
from optout.states import State

ACCOUNTS = [SANDBOX_USERNAME] + [f"user{i}@example.org" for i in range(1, 8)]
BOUND = 4


def password(account: str) -> str:
    return f"sentinel-pw-{ACCOUNTS.index(account)}-Cc8Qm"


def platforms() -> list[str]:
    flows = load_flows(Layers.person())
    usable = [
        p
        for p in Sandbox().replicas
        if p in flows and flows[p].guide is None and flows[p].login.steps
    ]
    preferred = [p for p in ("linkedin", "x", "grok") if p in usable]
    return (preferred + [p for p in sorted(usable) if p not in preferred])[:3]


PLATFORMS = platforms()


def sandbox_with_accounts() -> Sandbox:
    sandbox = Sandbox()
    for platform in PLATFORMS:
        replica = sandbox.configure(
            platform,
            password=password(SANDBOX_USERNAME),
            accounts={a: password(a) for a in ACCOUNTS[1:]},
        )
        for i, account in enumerate(ACCOUNTS):
            if i % 2:  # every other account has already switched everything off
                settings = replica.settings_of(account)
                settings.update({k: False for k in settings})
    return sandbox


async def run(
    sandbox: Sandbox,
    mode: str,
    concurrency: int,
    browser_path: str,
    store: SessionStore,
    seen: dict | None = None,
):
    open_now, most = 0, 0
    seen = {} if seen is None else seen

    async def setup(context):
        nonlocal open_now, most
        open_now += 1
        most = max(most, open_now)
        seen.setdefault("contexts", []).append(context)  # kept, so no id is reused

        def closed(_):
            nonlocal open_now
            open_now -= 1

        context.on("close", closed)
        await sandbox.install(context)

    setup.routes_to_replicas = True  # records in a sandbox profile (optout.runs.run_profile)
    fn = api.check if mode == "check" else api.switch_off
    results = await fn(
        PLATFORMS,
        credentials={p: [Credential(a, password(a)) for a in ACCOUNTS] for p in PLATFORMS},
        setup_context=setup,
        browser_path=browser_path,
        sessions=store,
        concurrency=concurrency,
        history=False,
    )
    return {(r.platform, r.account, r.setting): (str(r.state), r.changed) for r in results}, most


def logins(sandbox: Sandbox) -> dict[tuple[str, str], int]:
    counted: dict[tuple[str, str], int] = {}
    for platform in PLATFORMS:
        for e in sandbox.replica(platform).events("login"):
            if e.get("ok"):
                key = (platform, e.get("user", ""))
                counted[key] = counted.get(key, 0) + 1
    return counted


def final_settings(sandbox: Sandbox) -> dict:
    return {(p, a): dict(sandbox.replica(p).settings_of(a)) for p in PLATFORMS for a in ACCOUNTS}


@pytest.mark.skipif(len(PLATFORMS) < 3, reason="needs three password sign-in replicas")
async def test_many_accounts_at_once_equal_one_by_one(browser_path):
    together, alone = sandbox_with_accounts(), sandbox_with_accounts()
    store_t = SessionStore(Profile("sandbox-together"), key=Fernet.generate_key())
    store_a = SessionStore(Profile("sandbox-alone"), key=Fernet.generate_key())

    seen: dict = {}
    parallel, most = await run(together, "off", BOUND, browser_path, store_t, seen)
    serial, most_serial = await run(alone, "off", 1, browser_path, store_a)

    assert len(parallel) >= 8 * 3 and {k[1] for k in parallel} == set(ACCOUNTS)
    assert parallel == serial
    assert 2 <= most <= BOUND and most_serial == 1, (most, most_serial)
    # One context per account and platform, all of them in one browser.
    contexts = seen["contexts"]
    assert len({id(c) for c in contexts}) == len(contexts) == len(PLATFORMS) * len(ACCOUNTS), len(
        contexts
    )
    assert len({id(c.browser) for c in contexts}) == 1
    assert final_settings(together) == final_settings(alone)
    # Each account signed in once per platform, with its own password, in both runs.
    assert logins(together) == logins(alone) == {(p, a): 1 for p in PLATFORMS for a in ACCOUNTS}
    # Nothing leaked between accounts: switches already off were read off and left alone, and
    # those on were switched (objection forms are sent either way: a form shows no prior state).
    flows = load_flows(Layers.person())
    for (platform, account, setting), (state, changed) in parallel.items():
        if flows[platform].setting(setting).control.kind == "form":
            continue
        if ACCOUNTS.index(account) % 2:
            assert (state, changed) == ("off", False), (platform, account, setting, state)
    assert not [k for k, (state, _) in parallel.items() if state in (State.ERROR, State.BROKEN)], (
        parallel
    )

    # Then a check of all 24 with the saved sessions, as a scheduled re-check does: no sign-in.
    again, _ = await run(together, "check", BOUND, browser_path, store_t)
    assert logins(together) == {(p, a): 1 for p in PLATFORMS for a in ACCOUNTS}
    switched = {
        k
        for k, (state, changed) in parallel.items()
        if changed and flows[k[0]].setting(k[2]).control.kind != "form"
    }
    assert switched and all(again[k] == ("off", False) for k in switched), again
