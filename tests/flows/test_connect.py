"""`--connect`: working in the person's own running browser over CDP (real Chromium, no network).

The person's browser is a Chromium started with remote debugging on, in a throw-away user-data
folder, which writes DevToolsActivePort there as Chrome does when its user switches remote
debugging on at chrome://inspect/#remote-debugging."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from optout import api, connect
from optout.cli import cli
from optout.credentials import Credential
from optout.engine.connected import CLOSED
from optout.errors import ConnectFailed
from optout.sandbox import SANDBOX_USERNAME

SENTINEL_PASSWORD = "sentinel-pw-Connect3Qz"


@dataclass
class PersonBrowser:
    folder: Path
    process: subprocess.Popen
    port: int

    def pages(self) -> list[dict]:
        """The browser's tabs, asked over its own HTTP endpoint (not through Playwright)."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://127.0.0.1:{self.port}/json/list", timeout=5) as answer:
            return [t for t in json.loads(answer.read()) if t["type"] == "page"]

    def running(self) -> bool:
        return self.process.poll() is None


def start_person_browser(browser_path: str, folder: Path) -> PersonBrowser:
    """Chromium with remote debugging on, as the person's: waits (bounded) for its port file."""
    folder.mkdir(parents=True, exist_ok=True)
    args = [
        browser_path,
        "--headless=new",
        "--remote-debugging-port=0",
        f"--user-data-dir={folder}",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "data:text/html,<title>mine</title>my own tab",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(1, "--no-sandbox")
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = connect.read_port_file(folder)
        if found and connect.port_open(found[0]):
            return PersonBrowser(folder, process, found[0])
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"the person's Chromium did not start with remote debugging ({browser_path})")


def stop(person: PersonBrowser) -> None:
    person.process.kill()
    person.process.wait(timeout=10)


@pytest.fixture(scope="module")
def person(browser_path, tmp_path_factory):
    """The person's running browser, shared by this module's tests (each sets its cookies)."""
    found = start_person_browser(browser_path, tmp_path_factory.mktemp("person") / "chromium")
    yield found
    stop(found)


def linkedin_session(replica) -> dict:
    """The cookie the LinkedIn replica's sign-in sets (li_at), as a browser state."""
    cookie = {
        "name": "li_at",
        "value": replica.new_session(),
        "domain": "www.linkedin.com",
        "path": "/",
        "expires": -1,
        "httpOnly": True,
        "secure": True,
        "sameSite": "Lax",
    }
    return {"cookies": [cookie], "origins": []}


async def signed_in_as(person: PersonBrowser, state: dict | None) -> None:
    """Set the person's own cookies, as their signing in would have left them (None: signed out)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.connect_over_cdp(f"http://127.0.0.1:{person.port}")
        context = browser.contexts[0]
        await context.clear_cookies()
        if state:
            await context.add_cookies(state["cookies"])
        await browser.close()


async def test_switches_off_in_the_persons_browser_without_typing_or_saving(
    person, configure, run_flow, store
):
    replica = configure("linkedin")
    await signed_in_as(person, linkedin_session(replica))
    before = person.pages()
    results = await run_flow("linkedin", "off", connect=str(person.folder))
    [switch] = [r for r in results if r.setting == "generative-ai"]
    assert switch.state == "off" and switch.changed, switch.detail
    assert replica.events("login") == []  # a stored password was given, and never typed
    assert person.running()
    after = person.pages()
    assert [p["id"] for p in after] == [p["id"] for p in before]  # their tab kept, optout's closed
    assert any("my own tab" in p["url"] for p in after)
    assert store.accounts("linkedin") == []  # nothing of their browser was saved
    assert not any(SENTINEL_PASSWORD in r.detail for r in results)


async def test_signed_out_browser_needs_login_and_nothing_is_typed(person, configure, run_flow):
    replica = configure("linkedin")
    await signed_in_as(person, None)
    results = await run_flow("linkedin", "check", connect=str(person.folder))
    assert {r.state for r in results} == {"needs_login"}
    assert all("sign in to LinkedIn in your browser, then run again" in r.detail for r in results)
    assert replica.events("login") == []
    assert person.running()


async def test_platform_without_an_account_runs_as_the_browser(
    person, configure, sandbox, browser_path
):
    replica = configure("linkedin")
    await signed_in_as(person, linkedin_session(replica))
    results = await api.check(
        ["linkedin"],
        credentials={},
        sessions=False,
        setup_context=sandbox.install,
        connect=str(person.folder),
        history=False,
    )
    [switch] = [r for r in results if r.setting == "generative-ai"]
    assert switch.state == "on" and switch.account == "your browser", switch.detail


def closing_at(sandbox, person, pattern: str):
    """A setup_context routing to the replicas, where the person kills their browser as soon as
    a request matching `pattern` is made (the request itself goes nowhere)."""

    async def install(context):
        await sandbox.install(context)

        async def close_browser(route):
            person.process.kill()
            try:
                await route.abort()
            except Exception:
                pass

        await context.route(pattern, close_browser)

    install.routes_to_replicas = True  # records in a sandbox profile (optout.runs.run_profile)
    return install


async def test_browser_closed_mid_run_keeps_what_was_finished(
    browser_path, tmp_path, configure, sandbox
):
    person = start_person_browser(browser_path, tmp_path / "person")
    try:
        replica = configure("linkedin")
        await signed_in_as(person, linkedin_session(replica))

        # The person closes their browser as the second setting's page loads.
        install = closing_at(sandbox, person, "**/help/linkedin/ask/**")
        given = {p: Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD) for p in ("linkedin", "x")}
        results = await api.switch_off(
            ["linkedin", "x"],
            credentials=given,
            sessions=False,
            setup_context=install,
            connect=str(person.folder),
        )
    finally:
        stop(person)
    by = {(r.platform, r.setting): r for r in results}
    assert by[("linkedin", "generative-ai")].state == "off"  # finished and verified before: kept
    rest = [r for key, r in by.items() if key != ("linkedin", "generative-ai")]
    assert rest and all(r.state == "error" and r.detail == CLOSED for r in rest), [
        (r.setting, r.detail) for r in rest
    ]
    assert replica.events("login") == []


async def test_browser_closed_as_a_change_is_saved_is_never_off(
    browser_path, tmp_path, configure, sandbox
):
    """Closed between the click and the reading after a reload: the change was not verified."""
    person = start_person_browser(browser_path, tmp_path / "person")
    try:
        replica = configure("linkedin")
        await signed_in_as(person, linkedin_session(replica))

        install = closing_at(sandbox, person, "**/mypreferences/api/settings/**")
        results = await api.switch_off(
            ["linkedin"],
            credentials={},
            sessions=False,
            setup_context=install,
            connect=str(person.folder),
            history=False,
        )
    finally:
        stop(person)
    assert {(r.setting, r.state, r.detail) for r in results} == {
        ("generative-ai", "error", CLOSED),
        ("ai-objection", "error", CLOSED),
    }


def test_auto_finds_the_browser_and_the_doctor_says_so(person, monkeypatch, tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "chromium").symlink_to(person.folder)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("HOME", str(tmp_path))
    found = connect.find("auto")
    assert found.url.startswith(f"ws://127.0.0.1:{person.port}/devtools/browser/")
    assert "Chromium" in found.what
    from optout.doctor import _connect_line

    line = _connect_line()
    assert line.ok and "remote debugging on" in line.value and line.fix is None


def test_url_forms(person):
    ws = connect.find(f"http://127.0.0.1:{person.port}").url  # /json/version names the websocket
    assert ws.startswith(f"ws://127.0.0.1:{person.port}/devtools/browser/")
    assert connect.find(ws).url == ws


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_folder_without_remote_debugging_exits_2_with_the_fix(tmp_path):
    result = invoke("check", "linkedin", "--connect", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert "chrome://inspect/#remote-debugging" in result.output
    assert "switch on" in result.output and str(tmp_path) in result.output
    assert "Traceback" not in result.output
    assert all(
        len(line) <= 80 for line in result.output.splitlines() if str(tmp_path) not in line
    ), result.output


def test_cli_connect_alone_before_the_command_means_auto(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    for args in (["--connect", "check", "linkedin", "--json"], ["check", "linkedin", "--connect"]):
        result = invoke(*args)
        assert result.exit_code == 2, result.output
        assert "No running Chrome, Edge or Chromium" in result.output
        assert "Looked for DevToolsActivePort in:" in result.output
        assert result.stdout == ""  # --json: nothing half-said on stdout


def test_stale_port_file_says_the_browser_closed(tmp_path, browser_path):
    person = start_person_browser(browser_path, tmp_path / "person")
    stop(person)
    (tmp_path / "person" / "DevToolsActivePort").write_text(f"{person.port}\n/devtools/browser/x\n")
    with pytest.raises(ConnectFailed) as info:
        connect.find(str(tmp_path / "person"))
    assert "refuses" in info.value.message and "chrome://inspect" in info.value.hint


def test_doctor_without_a_browser_stays_ok(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    from optout.doctor import _connect_line

    line = _connect_line()
    assert line.ok and line.value == "not found (optional)" and "chrome://inspect" in line.fix


def test_url_whose_json_version_answers_404_is_used_as_given():
    """A browser switched on at chrome://inspect answers 404 on /json/version: connect_over_cdp
    then gets the http URL itself."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        assert connect.find(url).url == url
    finally:
        server.shutdown()
        server.server_close()


def test_connect_without_platforms_or_accounts_says_to_name_them(person):
    result = invoke("check", "--connect", str(person.folder))
    assert result.exit_code == 4, result.output
    assert "optout check linkedin --connect" in result.output


def test_cli_json_in_the_persons_browser(person):
    import asyncio

    asyncio.run(signed_in_as(person, None))
    result = invoke("--sandbox", "--connect", str(person.folder), "check", "linkedin", "--json")
    assert result.exit_code == 4, result.output
    rows = json.loads(result.stdout)["results"]
    assert rows and all(
        r["state"] == "needs_login" and "in your browser" in r["detail"] for r in rows
    )
    assert person.running()


def test_doctor_with_connect_checks_that_browser(person, tmp_path):
    found = json.loads(invoke("doctor", "--json", "--connect", str(person.folder)).stdout)
    [line] = [x for x in found if x["name"] == "your browser (--connect)"]
    assert line["ok"] and f"port {person.port}" in line["value"]
    result = invoke("doctor", "--json", "--connect", str(tmp_path))
    [line] = [x for x in json.loads(result.stdout) if x["name"] == "your browser (--connect)"]
    assert not line["ok"] and "chrome://inspect/#remote-debugging" in line["fix"]
    assert result.exit_code == 1
