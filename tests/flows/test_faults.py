"""Faults, through a real Chromium and the sandbox: the network down, DNS failing, a server that
stalls or answers HTTP 500, the browser killed mid-run, a tab crashing, evidence that cannot be
written. Each affected setting ends `error` with a detail that says what happened; every other
account and platform in the same run finishes; history keeps every earlier result and records
this run; and nothing is ever `off` that was not read as off.

Two LinkedIn accounts run side by side: a victim, whose browser context gets the fault, and a
bystander that must not notice it. Both start with a saved session (as a scheduled re-check
does), so the fault is the first thing the victim meets."""

from __future__ import annotations

import asyncio
import builtins
import errno
import io
from pathlib import Path

import psutil
import pytest
from cryptography.fernet import Fernet

from optout import api
from optout.credentials import Credential
from optout.flowfile.folders import Layers
from optout.flowfile.layers import load_flows, resolve
from optout.history import History
from optout.paths import Profile
from optout.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME, Sandbox
from optout.sessions import SessionStore
from optout.states import State

SENTINEL_PASSWORD = "sentinel-pw-Flt5Kw9Q"
VICTIM = "victim@example.org"
BYSTANDER = SANDBOX_USERNAME
SWITCH = "generative-ai"
SETTING_URL = resolve(["linkedin"], Layers.person())[0].setting(SWITCH).url


@pytest.fixture
def lab(browser_path):
    return Lab(browser_path)


class Lab:
    """A sandbox with two LinkedIn accounts, their saved sessions, and a way to hurt one of them."""

    def __init__(self, browser_path: str):
        self.browser_path = browser_path
        self.sandbox = Sandbox()
        self.replica = self.sandbox.configure(
            "linkedin", password=SENTINEL_PASSWORD, accounts={VICTIM: SENTINEL_PASSWORD}
        )
        self.store = SessionStore(Profile("sandbox-default"), key=Fernet.generate_key())
        for name in (VICTIM, BYSTANDER):
            token = self.replica.new_session(name)
            self.store.save(
                "linkedin",
                name,
                {
                    "cookies": [
                        {
                            "name": "li_at",
                            "value": token,
                            "domain": "www.linkedin.com",
                            "path": "/",
                            "expires": -1,
                            "httpOnly": True,
                            "secure": True,
                            "sameSite": "Lax",
                        }
                    ],
                    "origins": [],
                },
            )
        self.creds = [
            Credential(VICTIM, SENTINEL_PASSWORD),
            Credential(BYSTANDER, SENTINEL_PASSWORD),
        ]

    async def account_of(self, context) -> str | None:
        cookies = {
            c["name"]: c["value"] for c in await context.cookies("https://www.linkedin.com/")
        }
        return self.replica.session_user(cookies.get("li_at"))

    async def run(self, mode="check", *, fault=None, **opts) -> list:
        async def setup(context):
            await self.sandbox.install(context)
            if fault is not None and await self.account_of(context) == VICTIM:
                await fault(context)

        setup.routes_to_replicas = True  # records in a sandbox profile (optout.runs.run_profile)
        fn = api.check if mode == "check" else api.switch_off
        opts.setdefault("find_timeout_s", 5)
        return await fn(
            ["linkedin"],
            credentials={"linkedin": self.creds},
            setup_context=setup,
            browser_path=self.browser_path,
            sessions=self.store,
            **opts,
        )


def by_account(results) -> dict[str, dict]:
    """{account: {setting: result}}"""
    out: dict[str, dict] = {}
    for r in results:
        out.setdefault(r.account, {})[r.setting] = r
    return out


def assert_bystander_finished(results: dict, mode: str) -> None:
    """The account next to the fault: every setting read (and in `off`, switched off or sent)."""
    for r in results.values():
        if mode == "check":
            assert r.state == State.ON and not r.changed, (r.setting, r.detail)
        else:
            assert r.state in (State.OFF, State.SUBMITTED) and r.changed, (r.setting, r.detail)
    assert results[SWITCH].evidence and all(p.exists() for p in results[SWITCH].evidence)


def history() -> tuple[list[dict], list[dict]]:
    with History(Profile("sandbox-default")) as h:
        assert h.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return h.timeline(), h.runs()


def assert_history_kept(before: list[dict], results) -> None:
    """Every earlier row unchanged, this run's results recorded, and the run marked finished."""
    rows, runs = history()
    assert rows[: len(before)] == before
    assert sorted((r["account"], r["setting"], r["state"]) for r in rows[len(before) :]) == sorted(
        (r.account, r.setting, str(r.state)) for r in results
    )
    assert all(run["finished_at"] for run in runs)


def assert_never_off_unless_read(results, read_off: set[str] = frozenset()) -> None:
    for r in results:
        if r.state == State.OFF:
            assert r.account in read_off, f"{r.account} reported off without reading it: {r.detail}"


# --- faults in the network and the server ---------------------------------------------------------


async def network_down(context):
    await context.route("**/*", lambda route: route.abort("internetdisconnected"))


async def dns_failure(context):
    await context.route("**/*", lambda route: route.abort("namenotresolved"))


async def stall(context):
    async def never_answer(route):
        return None  # neither fulfilled nor aborted: the request hangs, as a stalled server does

    await context.route("**/*", never_answer)


async def http_500(context):
    await context.route(
        "**/*", lambda route: route.fulfill(status=500, body="<h1>Internal Server Error</h1>")
    )


@pytest.mark.parametrize(
    "fault, words",
    [
        (network_down, "no network connection"),
        (dns_failure, "could not be resolved"),
        (stall, "no answer within 4 s"),
        (http_500, "HTTP 500"),
    ],
    ids=["network-down", "dns-failure", "stall", "http-500"],
)
@pytest.mark.parametrize("mode", ["check", "off"])
async def test_network_faults_are_errors_for_the_victim_only(lab, fault, words, mode):
    baseline = await lab.run("check")
    assert {str(r.state) for r in baseline} == {"on"}
    before, _ = history()

    results = await lab.run(mode, fault=fault, nav_timeout_ms=4000 if fault is stall else 30000)

    accounts = by_account(results)
    for victim in accounts[VICTIM].values():
        assert victim.state == State.ERROR, (victim.setting, victim.detail)
        assert words in victim.detail and "www.linkedin.com" in victim.detail, victim.detail
        assert not victim.evidence
    assert_bystander_finished(accounts[BYSTANDER], mode)
    assert_never_off_unless_read(results, read_off={BYSTANDER} if mode == "off" else set())
    assert lab.replica.settings_of(VICTIM)[SWITCH] is True
    assert len(lab.replica.events("save")) == (0 if mode == "check" else 1)  # the bystander's
    assert_history_kept(before, results)


async def test_a_stall_longer_than_the_setting_time_limit_is_an_error(lab):
    """A page that keeps the browser waiting past the per-setting limit ends that setting."""
    results = await lab.run("check", fault=stall, nav_timeout_ms=60000, setting_timeout_s=6)
    accounts = by_account(results)
    for victim in accounts[VICTIM].values():
        assert victim.state == State.ERROR and "timed out after 6 s" in victim.detail, victim.detail
    assert_bystander_finished(accounts[BYSTANDER], "check")


async def test_server_error_misbehaviour_is_an_error_and_other_platforms_finish(browser_path):
    """`server_error`: every LinkedIn request answers HTTP 500, while every other platform of the
    sandbox (whatever replicas exist) runs in the same run and reads exactly what it reads in a
    run without the fault."""
    sandbox = Sandbox()
    platforms = [p for p in sandbox.replicas if p in load_flows(Layers.person())]
    creds = {p: Credential(SANDBOX_USERNAME, SANDBOX_PASSWORD) for p in platforms}

    async def check():
        results = await api.check(
            platforms,
            credentials=creds,
            setup_context=sandbox.install,
            browser_path=browser_path,
            sessions=False,
            find_timeout_s=5,
        )
        return {(r.platform, r.setting): (str(r.state), r.changed) for r in results}, results

    healthy, _ = await check()
    sandbox.configure("linkedin", "server_error")
    faulty, results = await check()
    linkedin = [r for r in results if r.platform == "linkedin"]
    assert linkedin and all(r.state == State.ERROR and "HTTP 500" in r.detail for r in linkedin), (
        linkedin
    )
    others = {k: v for k, v in faulty.items() if k[0] != "linkedin"}
    assert {k[0] for k in others} == set(platforms) - {"linkedin"}
    details = [
        (r.platform, r.setting, str(r.state), r.detail) for r in results if r.platform != "linkedin"
    ]
    assert others == {k: v for k, v in healthy.items() if k[0] != "linkedin"}, details
    assert sandbox.replica("linkedin").events("save") == []


# --- the browser dies ------------------------------------------------------------------------------


def kill_browser() -> int:
    """SIGKILL the Chromium that Playwright started for this test (the browser's main process)."""
    me = psutil.Process()
    chromes = [p for p in me.children(recursive=True) if "chrom" in p.name().lower()]
    mains = [p for p in chromes if "chrom" not in p.parent().name().lower()]
    assert len(mains) == 1, [(p.pid, p.name()) for p in chromes]
    mains[0].kill()
    return mains[0].pid


async def kill_browser_when_saved(context):
    """The victim's click reaches the server (which saves it), then the browser dies before the
    engine could reload and verify: the setting must be `error`, never `off`."""

    async def die_once_answered(request):
        if await request.response() is not None:  # the replica saved it and answered
            kill_browser()

    async def save_then_die(route):
        await route.fallback()
        # Playwright hands the request to the replica's handler only once this one returns, so the
        # wait for the answer runs beside it (a pause here let the kill race the save under load).
        waiting.add(asyncio.ensure_future(die_once_answered(route.request)))

    waiting: set = set()  # held, so the task is not collected before it ran

    await context.route("**/mypreferences/api/**", save_then_die)


async def test_browser_killed_mid_run_is_an_error_and_later_accounts_finish(lab):
    before, _ = history()
    results = await lab.run("off", fault=kill_browser_when_saved, concurrency=1)
    accounts = by_account(results)
    victim = accounts[VICTIM][SWITCH]
    assert victim.state == State.ERROR and "browser" in victim.detail, victim.detail
    assert not victim.changed
    # The replica did save it; optout did not see it, so it does not say so.
    assert lab.replica.settings_of(VICTIM)[SWITCH] is False, victim.detail
    for other in accounts[VICTIM].values():  # the rest of that account could not run either
        assert other.state == State.ERROR, (other.setting, other.detail)
    assert_bystander_finished(accounts[BYSTANDER], "off")
    assert_never_off_unless_read(results, read_off={BYSTANDER})
    assert_history_kept(before, results)


async def crash_tab_on_setting_page(context):
    async def on_page(page):
        async def on_load(frame):
            if frame == page.main_frame and frame.url.startswith(SETTING_URL):
                cdp = await context.new_cdp_session(page)
                try:
                    await cdp.send("Page.crash")
                except Exception:  # the tab is gone before CDP can answer
                    pass

        page.on("domcontentloaded", lambda p: asyncio.ensure_future(on_load(p.main_frame)))

    context.on("page", lambda page: asyncio.ensure_future(on_page(page)))


@pytest.mark.parametrize("mode", ["check", "off"])
async def test_tab_crash_is_an_error_and_other_accounts_finish(lab, mode):
    before, _ = history()
    results = await lab.run(mode, fault=crash_tab_on_setting_page)
    accounts = by_account(results)
    victim = accounts[VICTIM][SWITCH]
    assert victim.state == State.ERROR and "crashed" in victim.detail, victim.detail
    assert lab.replica.settings_of(VICTIM)[SWITCH] is True
    for other in accounts[VICTIM].values():  # the account's other settings get a new tab
        if other.setting != SWITCH:
            assert other.state != State.ERROR, (other.setting, other.detail)
    assert_bystander_finished(accounts[BYSTANDER], mode)
    assert_never_off_unless_read(results, read_off={BYSTANDER} if mode == "off" else set())
    assert_history_kept(before, results)


# --- evidence cannot be written ---------------------------------------------------------------------


@pytest.fixture
def evidence_disk_full(monkeypatch, optout_home):
    """Every write under the evidence folder fails with ENOSPC, as on a full disk."""
    root = str(Profile("sandbox-default").evidence)
    failed: list[str] = []
    real_open = builtins.open

    def full_open(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, Path)) and str(file).startswith(root) and set(mode) & set("wax+"):
            failed.append(str(file))
            raise OSError(errno.ENOSPC, "No space left on device", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", full_open)
    monkeypatch.setattr(io, "open", full_open)
    return failed


@pytest.mark.parametrize("mode", ["check", "off"])
async def test_evidence_disk_full_does_not_change_the_state(lab, evidence_disk_full, mode):
    results = await lab.run(mode)
    assert evidence_disk_full, "the fault never triggered: no evidence write was attempted"
    for account in by_account(results).values():
        assert_bystander_finished_without_evidence(account, mode)
    rows, runs = history()
    assert sorted((row["account"], row["setting"], row["state"]) for row in rows) == sorted(
        (r.account, r.setting, str(r.state)) for r in results
    )
    assert runs[0]["finished_at"]


def assert_bystander_finished_without_evidence(results: dict, mode: str) -> None:
    for r in results.values():
        if mode == "check":
            assert r.state == State.ON and not r.changed, (r.setting, r.detail)
        else:
            assert r.state in (State.OFF, State.SUBMITTED) and r.changed, (r.setting, r.detail)
        assert r.evidence == [], "no path to a file that was never written"
    switch = results[SWITCH]
    assert "no screenshot" in switch.detail and "No space left on device" in switch.detail, (
        switch.detail
    )


async def test_evidence_disk_full_on_a_changed_page_is_still_broken(lab, evidence_disk_full):
    lab.sandbox.configure("linkedin", "label_gone", reset=False)
    results = await lab.run("off", find_timeout_s=2)
    assert {str(r.state) for r in results} == {"broken"}
    # No screenshot (its write fails); the page's HTML goes through a descriptor the fake lets
    # pass, and what is listed was really written.
    assert all(p.suffix == ".html" and p.exists() for r in results for p in r.evidence)
    assert all("no screenshot kept: evidence could not be written" in r.detail for r in results)
    assert lab.replica.events("save") == []
