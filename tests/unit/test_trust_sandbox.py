"""Issue 23, item 14: Chromium runs inside its own sandbox wherever the system allows it, and
`optout doctor` says when it does not, why, and what would fix it."""

from __future__ import annotations

import pytest
from playwright.async_api import Error as PlaywrightError

from optout import browser, chromesandbox
from optout.browser import BrowserChoice
from optout.doctor import doctor_report
from optout.paths import Profile


def proc(values: dict[str, str]):
    return lambda path: values.get(path)


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_windows_and_macos_always_sandbox(platform):
    assert chromesandbox.decide(platform, euid=0, read=proc({})).on


def test_linux_user_with_user_namespaces_sandboxes():
    assert chromesandbox.decide("linux", euid=1000, read=proc({})).on
    assert chromesandbox.decide(
        "linux",
        euid=1000,
        read=proc(
            {
                "/proc/sys/kernel/unprivileged_userns_clone": "1",
                "/proc/sys/user/max_user_namespaces": "15000",
                "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "0",
            }
        ),
    ).on


def test_linux_root_does_not_and_says_why():
    decision = chromesandbox.decide("linux", euid=0, read=proc({}))
    assert not decision.on and "root" in decision.why and "ordinary user" in decision.fix


@pytest.mark.parametrize(
    "switch, value, fix",
    [
        ("/proc/sys/kernel/unprivileged_userns_clone", "0", "unprivileged_userns_clone=1"),
        ("/proc/sys/user/max_user_namespaces", "0", "max_user_namespaces"),
        ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1", "AppArmor"),
    ],
)
def test_linux_without_user_namespaces_does_not_and_names_the_switch(switch, value, fix):
    decision = chromesandbox.decide("linux", euid=1000, read=proc({switch: value}))
    assert not decision.on and switch in decision.why and fix in decision.fix


class FakeChromium:
    """Records each launch's arguments; refuses the sandbox when told to, as Chromium does."""

    def __init__(self, refuse_sandbox: bool):
        self.calls: list[dict] = []
        self.refuse_sandbox = refuse_sandbox

    async def launch(self, **kwargs):
        self.calls.append(kwargs)
        if kwargs["chromium_sandbox"] and self.refuse_sandbox:
            raise PlaywrightError(
                "[pid=1][err] FATAL:zygote_host_impl_linux.cc(128)] No usable sandbox!"
            )
        return "browser"


class FakePlaywright:
    def __init__(self, refuse_sandbox: bool = False):
        self.chromium = FakeChromium(refuse_sandbox)


@pytest.mark.parametrize("on", [True, False])
async def test_launch_asks_playwright_for_the_sandbox_as_decided(monkeypatch, on):
    monkeypatch.setattr(chromesandbox, "decide", lambda: chromesandbox.Decision(on, "why", "fix"))
    playwright = FakePlaywright()
    assert (
        await browser.launch(playwright, BrowserChoice("/usr/bin/chromium", "test", None))
        == "browser"
    )
    [call] = playwright.chromium.calls
    assert call["chromium_sandbox"] is on
    assert "--no-sandbox" not in call["args"]


async def test_a_sandbox_that_cannot_start_falls_back_once_and_doctor_says_so(monkeypatch):
    monkeypatch.setattr(chromesandbox, "decide", lambda: chromesandbox.Decision(True))
    monkeypatch.setattr(chromesandbox, "_fallback", {"why": ""})
    playwright = FakePlaywright(refuse_sandbox=True)
    assert (
        await browser.launch(playwright, BrowserChoice("/usr/bin/chromium", "test", None))
        == "browser"
    )
    assert [c["chromium_sandbox"] for c in playwright.chromium.calls] == [True, False]
    ok, value, fix = chromesandbox.doctor_line()
    assert not ok and "No usable sandbox" in value and "unshare --user true" in fix


def test_doctor_names_the_sandbox_and_as_root_says_why_and_the_fix(monkeypatch, browser_path):
    """As root (CI, containers) the sandbox is off: doctor says so; the browser still starts."""
    monkeypatch.setattr(chromesandbox, "_fallback", {"why": ""})
    monkeypatch.setattr(chromesandbox.os, "geteuid", lambda: 0)
    monkeypatch.setattr(chromesandbox.sys, "platform", "linux")
    lines = {line.name: line for line in doctor_report(Profile(), browser_path)}
    assert lines["browser"].ok, lines["browser"]
    sandbox = lines["browser sandbox"]
    # stated, not failed: as root is how the person runs optout, as with the file store
    assert sandbox.ok and sandbox.value.startswith("off") and "root" in sandbox.value
    assert "ordinary user" in sandbox.fix
    monkeypatch.setattr(chromesandbox, "decide", lambda: chromesandbox.Decision(True))
    sandbox = {line.name: line for line in doctor_report(Profile(), "/nonexistent")}[
        "browser sandbox"
    ]
    assert sandbox.ok and sandbox.value.startswith("on")


CHECK_AS_USER = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from playwright.async_api import async_playwright
from optout.browser import BrowserChoice, launch

async def main():
    async with async_playwright() as p:
        browser = await launch(p, BrowserChoice(sys.argv[2], "test", None))
        page = await browser.new_page()
        await page.goto("chrome://sandbox")
        print(await page.inner_text("body"))
        await browser.close()

asyncio.run(main())
"""


def test_as_an_ordinary_user_chromium_reports_itself_sandboxed(tmp_path, browser_path):
    """Through optout's own launch, as user `nobody`: Chromium's chrome://sandbox page says so."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    if os.geteuid() != 0 or not shutil.which("setpriv") or not sys.platform.startswith("linux"):
        pytest.skip("needs root (to become nobody) and setpriv, on Linux")
    if chromesandbox.userns_blocked() is not None:
        pytest.skip("this system forbids unprivileged user namespaces")
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="optout-nobody-"))  # tmp_path's parents are root's alone
    home.chmod(0o777)

    def request_cleanup() -> None:
        shutil.rmtree(home, ignore_errors=True)

    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
    reach = subprocess.run(
        [*as_nobody, "-c", "import playwright"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=home,
    )
    if (
        reach.returncode != 0
    ):  # a checkout in a private folder (mktemp -d is 0700): nobody sees its venv
        request_cleanup()
        pytest.skip(
            f"user nobody cannot reach this checkout's Python packages: {reach.stderr[-200:]}"
        )
    script = home / "check.py"
    script.write_text(CHECK_AS_USER)
    script.chmod(0o644)
    repo = str(Path(browser.__file__).resolve().parent.parent)
    done = subprocess.run(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            str(script),
            repo,
            browser_path,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        cwd=home,
        env={**os.environ, "HOME": str(home), "OPTOUT_HOME": str(home / "o")},
    )
    request_cleanup()
    if "Permission denied" in done.stderr:
        pytest.skip(f"user nobody cannot read the checkout here: {done.stderr[-200:]}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "adequately sandboxed" in done.stdout, done.stdout
