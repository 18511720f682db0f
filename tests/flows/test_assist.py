"""Assisted sessions and profile isolation through a real Chromium against the sandbox replicas.

The "person" is scripted: they type their own (sentinel) password into the replica's sign-in page,
as a person would; optout never holds it. Afterwards nothing of them may remain: no file under
the data dir or the scratch folder, no keyring entry."""

from __future__ import annotations

import functools
import json

import markupsafe
from click.testing import CliRunner

from optout import api, people
from optout.cli import cli
from optout.credentials import AccountStore, Credential, entry_name
from optout.flowfile.folders import Layers
from optout.flowfile.layers import resolve
from optout.history import History
from optout.paths import Profile
from optout.sandbox import SANDBOX_USERNAME, Sandbox
from optout.sessions import SessionStore
from optout.states import State

SENTINEL_PASSWORD = "SENTINEL-person-pw-Q7x2"
SENTINEL_ALICE = "SENTINEL-alice-pw-M3k8"
SENTINEL_BOB = "SENTINEL-bob-pw-Z5r1"
ALICE, BOB = "alice@example.org", "bob@example.org"


def person(username: str, password: str, seen: dict | None = None):
    """Signs in the way a person does: reads the page, types into the fields, clicks the button."""

    async def sign_in(page):
        await page.wait_for_selector("#username")
        if seen is not None:
            seen["banner"] = await page.evaluate(
                "() => !!document.querySelector('optout-assist-banner')"
            )
            seen["body_text"] = await page.evaluate("() => document.body.innerText")
            seen["located"] = await page.get_by_text("optout is waiting").count()
        await page.get_by_label("Email or phone").fill(username)
        await page.get_by_label("Password").fill(password)
        await page.get_by_role("button", name="Sign in").click()

    return sign_in


def watch_banner(sandbox: Sandbox, loads: list):
    """setup_context that routes to the sandbox and notes, for every page load, whether the
    waiting banner was on it."""

    async def setup(context):
        await sandbox.install(context)

        def on_page(page):
            async def loaded(_=None):
                try:
                    loads.append(
                        (
                            page.url,
                            await page.evaluate(
                                "() => !!document.querySelector('optout-assist-banner')"
                            ),
                        )
                    )
                except Exception:
                    pass

            page.on("load", loaded)

        context.on("page", on_page)

    return setup


def files_under(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def assert_no_trace(tmp_path, memory_keyring, *secrets):
    for path in files_under(tmp_path):
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, path
    assert memory_keyring.data == {}


def by_setting(results, setting="generative-ai"):
    return next(r for r in results if r.setting == setting)


async def test_assisted_session_switches_off_and_leaves_nothing(
    browser_path, optout_home, memory_keyring, tmp_path
):
    sandbox = Sandbox()
    replica = sandbox.configure("linkedin", password=SENTINEL_PASSWORD)
    seen, loads, asked, said = {}, [], [], []

    def confirm(flow, readings, to_switch):
        asked.append([r.setting for r in to_switch])
        return True

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    done = await people.assist(
        ["linkedin"],
        confirm=confirm,
        tell=said.append,
        headless=True,
        browser_path=browser_path,
        setup_context=watch_banner(sandbox, loads),
        on_ready=person(SANDBOX_USERNAME, SENTINEL_PASSWORD, seen),
        tmp_root=scratch,
        wait_s=60,
    )
    first, final = by_setting(done.first), by_setting(done.results)
    assert (first.state, first.changed) == (State.ON, False)
    assert (final.state, final.changed) == (State.OFF, True), final.detail
    assert "generative-ai" in asked[0]
    # The person's own sign-in, with their password; optout typed nothing and saved one switch.
    assert replica.events("login") == [{"kind": "login", "ok": True, "user": SANDBOX_USERNAME}]
    assert [e["on"] for e in replica.events("save")] == [False]
    assert replica.state["settings"]["generative-ai"] is False
    # The banner was on the sign-in page, outside the page's own text and locators, and gone after.
    assert (
        seen["banner"] is True
        and "optout is waiting" not in seen["body_text"]
        and seen["located"] == 0
    )
    login_loads = [b for url, b in loads if "/login" in url]
    settings_loads = [b for url, b in loads if "/mypreferences/" in url]
    assert login_loads and all(login_loads), loads
    assert settings_loads and not any(settings_loads), loads
    assert any("sign in" in s for s in said) and any("signed in" in s for s in said)
    # Nothing of the person left: no file in the data dir or the scratch folder, no keyring entry.
    assert files_under(optout_home) == [] and list(scratch.iterdir()) == []
    assert_no_trace(tmp_path, memory_keyring, SENTINEL_PASSWORD)
    page = people.handout_html(done.results, name="Ann")
    assert "Prepared for <strong>Ann</strong>" in page and "What we switched off" in page
    assert SENTINEL_PASSWORD not in page and SANDBOX_USERNAME not in page


async def test_declined_switches_nothing(browser_path, memory_keyring, tmp_path):
    sandbox = Sandbox()
    replica = sandbox.configure("linkedin", password=SENTINEL_PASSWORD)
    done = await people.assist(
        ["linkedin"],
        confirm=lambda *a: False,
        headless=True,
        browser_path=browser_path,
        setup_context=sandbox.install,
        on_ready=person(SANDBOX_USERNAME, SENTINEL_PASSWORD),
        wait_s=60,
        tmp_root=tmp_path,
    )
    assert by_setting(done.results).state == State.ON
    assert replica.events("save") == [] and replica.state["settings"]["generative-ai"] is True
    page = people.handout_html(done.results)
    assert "It is still on" in page and "What we switched off" not in page


async def test_closing_the_window_skips_the_platform(
    browser_path, optout_home, memory_keyring, tmp_path
):
    sandbox = Sandbox()
    replica = sandbox.configure("linkedin", password=SENTINEL_PASSWORD)

    async def walks_away(page):
        await page.close()

    done = await people.assist(
        ["linkedin"],
        confirm=lambda *a: True,
        headless=True,
        browser_path=browser_path,
        setup_context=sandbox.install,
        on_ready=walks_away,
        wait_s=60,
        tmp_root=tmp_path,
    )
    assert {r.state for r in done.results} == {State.NEEDS_LOGIN}
    assert all("window was closed" in r.detail for r in done.results)
    assert replica.events("login") == [] and replica.events("save") == []
    assert files_under(optout_home) == [] and memory_keyring.data == {}


async def test_keep_saves_into_the_profile_then_delete_removes_it(
    browser_path, optout_home, memory_keyring, tmp_path
):
    sandbox = Sandbox()
    replica = sandbox.configure("linkedin", password=SENTINEL_PASSWORD)
    carol = Profile("sandbox-carol")  # replica readings live in a sandbox profile
    done = await people.assist(
        ["linkedin"],
        keep_profile=carol,
        confirm=lambda *a: True,
        headless=True,
        browser_path=browser_path,
        setup_context=sandbox.install,
        on_ready=person(SANDBOX_USERNAME, SENTINEL_PASSWORD),
        wait_s=60,
        tmp_root=tmp_path,
    )
    assert done.kept == "sandbox-carol" and by_setting(done.results).state == State.OFF
    assert SessionStore(carol).accounts("linkedin") == [people.ASSISTED_ACCOUNT]
    assert ("optout", entry_name(carol, "session-key")) in memory_keyring.data
    with History(carol) as h:
        assert [
            (r["state"], r["run_kind"]) for r in h.timeline() if r["setting"] == "generative-ai"
        ] == [("on", "check"), ("off", "off")]
    # The kept session lets a later check read without anyone signing in again.
    [later] = [
        r
        for r in await api.check(
            ["linkedin"], profile=carol, setup_context=sandbox.install, browser_path=browser_path
        )
        if r.setting == "generative-ai"
    ]
    assert later.state == State.OFF, later.detail
    assert len(replica.events("login")) == 1
    assert SENTINEL_PASSWORD.encode() not in b"".join(
        p.read_bytes() for p in files_under(optout_home)
    )

    [removal] = people.delete_profile("sandbox-carol")
    assert f"optout: {entry_name(carol, 'session-key')}" in removal.keyring
    assert any(p.suffix == ".session" for p in removal.files)
    assert files_under(optout_home) == [] and memory_keyring.data == {}


async def test_two_profiles_same_platform_never_mix(browser_path, optout_home, memory_keyring):
    sandbox = Sandbox()
    replica = sandbox.configure(
        "linkedin", username=ALICE, password=SENTINEL_ALICE, accounts={BOB: SENTINEL_BOB}
    )
    alice, bob = (
        Profile("sandbox-alice"),
        Profile("sandbox-bob"),
    )  # replica readings: sandbox profiles
    AccountStore(alice).add("linkedin", Credential(ALICE, SENTINEL_ALICE))
    AccountStore(bob).add("linkedin", Credential(BOB, SENTINEL_BOB))
    run = dict(setup_context=sandbox.install, browser_path=browser_path)

    a = by_setting(await api.switch_off(["linkedin"], profile=alice, **run))
    b = by_setting(await api.check(["linkedin"], profile=bob, **run))
    assert (a.account, a.state, a.changed) == (ALICE, State.OFF, True), a.detail
    assert (b.account, b.state) == (BOB, State.ON), b.detail
    # Each sign-in used that profile's own username with that profile's own password: the replica
    # accepts a password only for the account it belongs to, so a mix-up would read ok=False.
    assert replica.events("login") == [
        {"kind": "login", "ok": True, "user": ALICE},
        {"kind": "login", "ok": True, "user": BOB},
    ]
    assert (
        replica.settings_of(ALICE)["generative-ai"] is False
        and replica.settings_of(BOB)["generative-ai"] is True
    )

    # Again: each profile's own saved session is used (no new sign-in), and reads its own account.
    a2 = by_setting(await api.check(["linkedin"], profile=alice, **run))
    b2 = by_setting(await api.check(["linkedin"], profile=bob, **run))
    assert (a2.state, b2.state) == (State.OFF, State.ON)
    assert len(replica.events("login")) == 2
    # Sessions, keys, history and keyring entries are each profile's own.
    assert SessionStore(alice).accounts("linkedin") == [ALICE] and SessionStore(bob).accounts(
        "linkedin"
    ) == [BOB]
    assert (
        memory_keyring.data[("optout", entry_name(alice, "session-key"))]
        != memory_keyring.data[("optout", entry_name(bob, "session-key"))]
    )
    assert SENTINEL_ALICE in memory_keyring.data[("optout", entry_name(alice, f"linkedin/{ALICE}"))]
    assert SENTINEL_BOB in memory_keyring.data[("optout", entry_name(bob, f"linkedin/{BOB}"))]
    assert not any(
        SENTINEL_BOB in v
        for k, v in memory_keyring.data.items()
        if k[1].startswith(entry_name(alice, ""))
    )
    with History(alice) as h:
        assert {r["account"] for r in h.timeline()} == {ALICE}
    assert "alice" not in str(list(bob.base.rglob("*"))) and BOB not in str(
        list(alice.base.rglob("*"))
    )
    for path in files_under(optout_home):
        for secret in (SENTINEL_ALICE, SENTINEL_BOB):
            assert secret.encode() not in path.read_bytes(), path
    for who in (alice, bob):
        page = people.handout_for_profile(who)
        assert SENTINEL_ALICE not in page and SENTINEL_BOB not in page

    # Deleting alice leaves bob whole: his next check still uses his session.
    people.delete_profile("sandbox-alice")
    assert not alice.base.exists() and not [
        k for k in memory_keyring.data if k[1].startswith(entry_name(alice, ""))
    ]
    b3 = by_setting(await api.check(["linkedin"], profile=bob, **run))
    assert b3.state == State.ON and len(replica.events("login")) == 2


def test_cli_assist_writes_a_handout_and_keeps_nothing(
    browser_path, optout_home, memory_keyring, tmp_path, monkeypatch
):
    box = Sandbox.for_profile("default")
    box.configure("linkedin", password=SENTINEL_PASSWORD)
    # The CLI opens a visible browser for a person; here the scripted person signs in headless.
    monkeypatch.setattr(
        people,
        "assist",
        functools.partial(
            people.assist,
            headless=True,
            on_ready=person(SANDBOX_USERNAME, SENTINEL_PASSWORD),
            tmp_root=tmp_path,
        ),
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli,
        [
            "--browser-path",
            browser_path,
            "--sandbox",
            "assist",
            "linkedin",
            "--yes",
            "--name",
            "Ann",
            "-o",
            "handout.html",
        ],
        catch_exceptions=False,
    )
    assert "sign in" in result.stderr and "Handout: handout.html" in result.stderr
    assert (
        "Nothing else of the person was kept" in result.stderr
        and "holds their results" in result.stderr
    )
    page = (tmp_path / "handout.html").read_text()
    assert "Prepared for <strong>Ann</strong>" in page and "What we switched off" in page
    assert "optout --sandbox assist linkedin" in page
    assert "You typed your password yourself" in page
    assert (tmp_path / "handout.html").stat().st_mode & 0o077 == 0
    box = Sandbox(state_file=box.state_file)
    assert box.data["linkedin"]["settings"]["generative-ai"] is False
    # The replicas keep their (server-side) state beside the data dir; in it: nothing at all.
    assert files_under(optout_home) == []
    for out in (result.output, page):
        assert SENTINEL_PASSWORD not in out
    assert_no_trace(tmp_path, memory_keyring, SENTINEL_PASSWORD)
    assert result.exit_code in (0, 3), result.output  # 3 only if an optional form stayed unsent

    keep_default = CliRunner().invoke(cli, ["--sandbox", "assist", "linkedin", "--keep"])
    assert keep_default.exit_code == 2 and "--keep needs a profile" in keep_default.output


def test_cli_json_assist(browser_path, memory_keyring, tmp_path, monkeypatch):
    box = Sandbox.for_profile("default")
    box.configure("linkedin", password=SENTINEL_PASSWORD)
    monkeypatch.setattr(
        people,
        "assist",
        functools.partial(
            people.assist,
            headless=True,
            on_ready=person(SANDBOX_USERNAME, SENTINEL_PASSWORD),
            tmp_root=tmp_path,
        ),
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli,
        ["--browser-path", browser_path, "--sandbox", "--json", "assist", "linkedin"],
        input="n\n",
        catch_exceptions=False,
    )
    assert "Switch off" in result.stderr and "(ask the person)" in result.stderr
    data = json.loads(result.stdout)
    [row] = [r for r in data["results"] if r["setting"] == "generative-ai"]
    assert row["state"] == "on"  # the person said no
    assert data["handout"].endswith(".html") and data["kept"] is None


def person_on_every_platform(accounts: dict[str, tuple[str, str]]):
    """One person who knows their own LinkedIn and X sign-ins (X's is a multi-step app)."""

    async def sign_in(page):
        if "x.com" in page.url:
            username, password = accounts["x"]
            await page.get_by_label("Phone, email, or username").fill(username)
            await page.get_by_role("button", name="Next").click()
            await page.get_by_label("Password", exact=True).fill(password)
            await page.get_by_role("button", name="Log in").click()
        else:
            await person(*accounts["linkedin"])(page)

    return sign_in


async def test_one_session_over_linkedin_x_and_a_guide(
    browser_path, optout_home, memory_keyring, tmp_path
):
    sandbox = Sandbox()
    linkedin = sandbox.configure("linkedin", password=SENTINEL_PASSWORD)
    x = sandbox.configure("x", password=SENTINEL_ALICE)
    said = []
    done = await people.assist(
        ["linkedin", "x", "slack"],
        confirm=lambda *a: True,
        tell=said.append,
        headless=True,
        browser_path=browser_path,
        setup_context=sandbox.install,
        wait_s=60,
        tmp_root=tmp_path,
        on_ready=person_on_every_platform(
            {
                "linkedin": (SANDBOX_USERNAME, SENTINEL_PASSWORD),
                "x": (SANDBOX_USERNAME, SENTINEL_ALICE),
            }
        ),
    )
    final = {(r.platform, r.setting): r for r in done.results}
    assert final[("linkedin", "generative-ai")].state == State.OFF
    assert (final[("x", "training")].state, final[("x", "training")].changed) == (State.OFF, True)
    # Optional settings the person did not ask about are read, never switched.
    assert (
        final[("x", "personalization")].state == State.ON
        and not final[("x", "personalization")].changed
    )
    assert [e["setting"] for e in x.events("save")] == ["training"]
    assert [e["ok"] for e in x.events("login")] == [True] and [
        e["ok"] for e in linkedin.events("login")
    ] == [True]
    assert final[("slack", "guide")].state == State.NEEDS_HUMAN
    page = people.handout_html(done.results, assisted=True)
    slack = resolve(["slack"], Layers.person())[0]
    assert str(markupsafe.escape(slack.guide.steps[0])) in page  # the guide's steps, for the person
    assert files_under(optout_home) == [] and memory_keyring.data == {}
    assert_no_trace(tmp_path, memory_keyring, SENTINEL_PASSWORD, SENTINEL_ALICE)
