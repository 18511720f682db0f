"""Abuse: a look-alike sign-in origin, a flow file that points credentials elsewhere, hostile page
and flow text, and damaged or oversized files. optout must refuse, stay inert, and explain itself
(an OptoutError with a next step), never a traceback."""

from __future__ import annotations

import io
import json
import re
import shutil
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from cryptography.fernet import Fernet
from rich.console import Console

from optout import api, paths, report
from optout.cli import cli
from optout.credentials import Credential
from optout.errors import FlowError
from optout.flowfile.folders import Layers
from optout.flowfile.layers import load_flows
from optout.flowfile.load import MAX_FLOW_BYTES, load_flow
from optout.history import History
from optout.paths import Profile, flows_dir
from optout.sandbox import SANDBOX_USERNAME, Sandbox
from optout.sessions import SessionStore
from optout.states import State

SENTINEL_PASSWORD = "sentinel-pw-Abz3Lk7P"
SHIPPED = flows_dir()
#: A flow label as a stranger's shared flow file might carry it (YAML "\e" is ESC, "\a" is BEL).
HOSTILE_LABEL_YAML = r'"<script>alert(2)</script>[bold]label[/bold]\e[31mred\e]0;title\a"'
HOSTILE_LABEL = "<script>alert(2)</script>[bold]label[/bold]\x1b[31mred\x1b]0;title\x07"


def flow_data(platform: str = "linkedin") -> dict:
    return yaml.safe_load((SHIPPED / f"{platform}.yaml").read_text(encoding="utf-8"))


def write_flow(directory: Path, data: dict, name: str = "linkedin") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def invoke(*args, input=None):
    result = CliRunner(env={"COLUMNS": "400"}).invoke(
        cli, list(args), input=input, catch_exceptions=False
    )
    assert "Traceback" not in result.output, result.output
    return result


# --- a look-alike sign-in origin --------------------------------------------------------------------


async def test_lookalike_login_never_receives_a_credential(browser_path):
    """LinkedIn's sign-in page redirects to linkedin.com.evil.test: the look-alike serves a real
    form (whose action posts to itself), and no request it receives carries the password."""
    sandbox = Sandbox()
    replica = sandbox.configure("linkedin", "lookalike_login", password=SENTINEL_PASSWORD)
    requests: list = []

    async def setup(context):
        await sandbox.install(context)
        context.on("request", lambda request: requests.append(request))

    setup.routes_to_replicas = True  # records in a sandbox profile (optout.runs.run_profile)
    results = await api.switch_off(
        ["linkedin"],
        credentials={"linkedin": Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD)},
        setup_context=setup,
        browser_path=browser_path,
        sessions=False,
    )

    assert results and all(r.state != State.OFF for r in results)
    refused = [r for r in results if "refused to type" in r.detail]
    assert refused, [(r.setting, r.state, r.detail) for r in results]
    assert "linkedin.com.evil.test" in refused[0].detail
    lookalike = [r for r in requests if "evil.test" in r.url]
    assert lookalike, "the look-alike was never visited: the test would prove nothing"
    for request in requests:
        carried = " ".join([request.url, request.post_data or "", json.dumps(request.headers)])
        assert SENTINEL_PASSWORD not in carried, request.url
        assert SANDBOX_USERNAME not in carried or "evil.test" not in request.url, request.url
    assert replica.events("login") == [] and replica.events("save") == []


# --- a flow file that points a credential at a foreign origin ------------------------------------------


@pytest.mark.parametrize(
    "where, change",
    [
        (
            "login.credential_origins.0",
            lambda d: d["login"].update(credential_origins=["https://login.evil.test"]),
        ),
        (
            "login.url",
            lambda d: d["login"].update(
                credential_origins=["https://login.evil.test"], url="https://login.evil.test/login"
            ),
        ),
        ("login.url", lambda d: d["login"].update(url="https://linkedin.com.evil.test/login")),
        (
            "login.credential_origins.1",
            lambda d: d["login"]["credential_origins"].append("https://www.linkedin.com.evil.test"),
        ),
    ],
    ids=[
        "foreign-origin",
        "foreign-origin-and-login-page",
        "lookalike-login-url",
        "extra-lookalike-origin",
    ],
)
async def test_flow_pointing_credentials_elsewhere_is_rejected_before_any_browser(
    tmp_path, where, change, browser_path
):
    data = flow_data()
    change(data)
    path = write_flow(tmp_path / "flows", data)
    started: list = []

    async def setup(context):  # would run for any account the flow got as far as
        started.append(context)

    with pytest.raises(FlowError) as info:
        await api.check(
            ["linkedin"],
            credentials={"linkedin": Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD)},
            setup_context=setup,
            browser_path=browser_path,
            flows_dir=path.parent,
        )
    message = str(info.value)
    assert str(path) in message and where in message, message
    assert "evil.test" in message
    assert started == []


@pytest.mark.parametrize("platform", sorted(load_flows(Layers.person())))
def test_every_shipped_flow_types_credentials_only_inside_its_domains(platform):
    flow = load_flows(Layers.person())[platform]
    for origin in flow.credential_origins:
        host = origin.split("://", 1)[1]
        assert origin.startswith("https://")
        assert any(host == d or host.endswith("." + d) for d in flow.domains), (platform, origin)


# --- hostile text ------------------------------------------------------------------------------------


def rendered_table(results) -> tuple[str, str]:
    """(plain text, what a colour terminal receives) of the results table."""
    plain, ansi = io.StringIO(), io.StringIO()
    report.results_table(results, Console(file=plain, width=400, color_system=None))
    report.results_table(
        results, Console(file=ansi, width=400, force_terminal=True, color_system="truecolor")
    )
    return plain.getvalue(), ansi.getvalue()


def assert_no_hostile_escapes(text: str) -> None:
    assert "\x1b[31m" not in text and "\x1b]0;" not in text and "\x07" not in text, repr(text)


async def test_hostile_page_and_flow_text_stays_inert_everywhere(tmp_path, browser_path):
    """A page whose switch reads as markup and escape sequences, in a flow whose label carries
    them too: the state is `broken` (nothing clicked), and table, JSON, history and the HTML report
    show the text literally, with no escape sequence reaching the terminal and no script the page."""
    flows = tmp_path / "flows"
    flows.mkdir()
    text = (SHIPPED / "linkedin.yaml").read_text(encoding="utf-8")
    label = flow_data()["settings"][0]["label"]
    text = text.replace(f"label: {label}", f"label: {HOSTILE_LABEL_YAML}", 1)
    (flows / "linkedin.yaml").write_text(text, encoding="utf-8")
    assert load_flow(flows / "linkedin.yaml").settings[0].label == HOSTILE_LABEL

    sandbox = Sandbox()
    replica = sandbox.configure("linkedin", "hostile_text", password=SENTINEL_PASSWORD)
    store = SessionStore(Profile("sandbox-default"), key=Fernet.generate_key())
    results = await api.switch_off(
        ["linkedin"],
        credentials={"linkedin": Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD)},
        setup_context=sandbox.install,
        browser_path=browser_path,
        sessions=store,
        flows_dir=flows,
        find_timeout_s=5,
    )
    [switch] = [r for r in results if r.label == HOSTILE_LABEL]
    assert switch.state == State.BROKEN, switch.detail
    assert (
        "<script>alert(1)</script>[bold]pwned[/bold]" in switch.detail
    )  # the page's words, kept as words
    assert replica.events("save") == [], "a control that did not read on or off was clicked"

    plain, ansi = rendered_table(results)
    assert (
        "[bold]label[/bold]" in plain and "<script>alert(2)</script>" in plain
    )  # shown, not obeyed
    assert "[bold]pwned[/bold]" in plain
    assert_no_hostile_escapes(plain)
    assert_no_hostile_escapes(ansi)

    payload = json.loads(report.results_json(results))
    assert "<script>alert(2)</script>[bold]label[/bold]red" in [
        r["label"] for r in payload["results"]
    ]
    assert_no_hostile_escapes(report.results_json(results))

    history = invoke("--sandbox", "history")  # the run was on replicas: its own profile's history
    assert history.exit_code == 0
    assert "[bold]label[/bold]" in history.output and "<script>alert(2)</script>" in history.output
    assert_no_hostile_escapes(history.output)
    history_json = invoke("--sandbox", "--json", "history")
    assert_no_hostile_escapes(history_json.output)
    assert json.loads(history_json.output)["results"]

    page = invoke("--sandbox", "report", "-o", "-").output
    assert "<script>alert" not in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert_no_hostile_escapes(page)
    assert not re.search(r"<script\b", page, re.IGNORECASE)


# --- damaged and oversized files ----------------------------------------------------------------------


FLOW_DAMAGE = {
    "oversized": lambda p: p.write_bytes(b"# padding\n" * (MAX_FLOW_BYTES // 10 + 1)),
    "not-yaml": lambda p: p.write_text(
        "id: linkedin\nname: [unclosed\n  - : :\n", encoding="utf-8"
    ),
    "binary": lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe" * 50),
    "a-list": lambda p: p.write_text("- just\n- a list\n", encoding="utf-8"),
    "empty": lambda p: p.write_text("", encoding="utf-8"),
    "deeply-nested": lambda p: p.write_text(
        "notes: " + "[" * 50000 + "]" * 50000 + "\n", encoding="utf-8"
    ),
    "alias-bomb": lambda p: p.write_text(
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n"
            for i in range(8)
        )
        + "languages: *i\n",
        encoding="utf-8",
    ),
    "a-folder": lambda p: p.mkdir(),
}


@pytest.mark.parametrize("damage", sorted(FLOW_DAMAGE))
def test_damaged_flow_file_is_a_clear_error(tmp_path, monkeypatch, damage):
    flows = tmp_path / "flows"
    shutil.copytree(SHIPPED, flows)
    path = flows / "linkedin.yaml"
    path.unlink()
    FLOW_DAMAGE[damage](path)
    monkeypatch.setattr(
        paths, "flows_dir", lambda: flows
    )  # where every loader finds the shipped flows
    for args in (["platforms"], ["check", "linkedin"]):
        started = time.monotonic()
        result = invoke(*args)
        assert time.monotonic() - started < 20, "a hostile flow file must not make optout hang"
        assert result.exit_code == 5, result.output
        assert str(path) in result.output, result.output
        assert result.output.startswith("Error: ")


HISTORY_DAMAGE = {
    "garbage": lambda p: p.write_bytes(b"this is not a database\n" * 100),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[:1500]),
    "zeroed-header": lambda p: p.write_bytes(b"\x00" * 100 + p.read_bytes()[100:]),
    "a-folder": lambda p: (p.unlink(), p.mkdir()),
}


@pytest.mark.parametrize("damage", sorted(HISTORY_DAMAGE))
def test_damaged_history_is_a_clear_error_naming_the_file(damage):
    profile = Profile()
    with History(profile) as history:
        run = history.start_run("check")
        for i in range(50):
            history.db.execute(
                "INSERT INTO results (run_id, profile, platform, setting, state, at)"
                " VALUES (?, 'default', 'linkedin', ?, 'on', '2026-01-01')",
                (run, f"s{i}"),
            )
    for suffix in ("-wal", "-shm"):
        Path(f"{profile.history_db}{suffix}").unlink(missing_ok=True)
    HISTORY_DAMAGE[damage](profile.history_db)
    for args in (["history"], ["report", "-o", "-"], ["check", "linkedin"]):
        result = invoke(*args)
        assert result.exit_code == 1, (args, result.output)
        assert "history" in result.output and "cannot be read" in result.output, (
            args,
            result.output,
        )
        assert "Keep the file" in result.output


SESSION_DAMAGE = {
    "garbage": lambda p: p.write_bytes(b"garbage"),
    "oversized": lambda p: p.write_bytes(b"A" * (6 * 1024 * 1024)),
    "binary": lambda p: p.write_bytes(bytes(range(256)) * 10),
    "a-folder": lambda p: (p.unlink(), p.mkdir()),
}


@pytest.mark.parametrize("damage", sorted(SESSION_DAMAGE))
def test_damaged_session_file_means_sign_in_again(damage, browser_path, memory_keyring):
    """A session file that cannot be used is 'no session': optout signs in with the stored
    password (once) and says nothing alarming; never a traceback."""
    box = Sandbox.for_profile("default")
    box.configure("linkedin", password=SENTINEL_PASSWORD)
    args = ["--browser-path", browser_path, "--sandbox"]
    invoke(*args, "account", "add", "linkedin", input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n")
    first = invoke(*args, "--json", "check", "linkedin")
    assert first.exit_code == 3, first.output
    [session] = list(Profile("sandbox-default").sessions.glob("linkedin--*.session"))
    SESSION_DAMAGE[damage](session)
    again = invoke(*args, "--json", "check", "linkedin")
    assert again.exit_code == 3, again.output
    states = {r["setting"]: r["state"] for r in json.loads(again.stdout)["results"]}
    assert states["generative-ai"] == "on"
    assert [
        e["ok"] for e in Sandbox.for_profile("default").replica("linkedin").events("login")
    ] == [True, True]


ACCOUNTS_DAMAGE = {
    "garbage": "not json at all",
    "wrong-shape": '{"platform": "linkedin"}',
    "wrong-rows": '[{"who": "knows"}]',
    "wrong-types": "[1, 2, 3]",
}


@pytest.mark.parametrize("damage", sorted(ACCOUNTS_DAMAGE))
def test_damaged_accounts_index_is_a_clear_error(damage):
    profile = Profile().ensure()
    profile.accounts_file.write_text(ACCOUNTS_DAMAGE[damage], encoding="utf-8")
    for args in (["account", "list"], ["check", "linkedin"]):
        result = invoke(*args)
        assert result.exit_code == 1, (args, result.output)
        assert (
            str(profile.accounts_file) in result.output
            and "add the accounts again" in result.output
        )


def test_damaged_sandbox_state_is_a_clear_error():
    from optout.sandbox import state_file

    path = state_file("default")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json", encoding="utf-8")
    result = invoke("--sandbox", "sandbox", "set", "linkedin")
    assert result.exit_code == 1 and str(path) in result.output, result.output
