"""Finding, launching and checking a browser."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from optout import browser
from optout.browser import BrowserChoice, browser_version, find_browser, launch
from optout.credentials import AccountStore, Credential
from optout.doctor import doctor_report
from optout.errors import BrowserNotFound, OptoutError
from optout.paths import Profile

SENTINEL_PASSWORD = "sentinel-pw-b7e21d04"


def fake_exe(path: Path, body: str = "exit 1") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def no_browsers(monkeypatch, tmp_path):
    """A machine with nothing installed, unless a test adds it."""
    monkeypatch.delenv("OPTOUT_BROWSER", raising=False)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "ms-playwright"))
    monkeypatch.setattr(browser, "system_candidates", lambda: [])


def install_bundled(registry: Path, shell: bool = True) -> Path:
    revisions = browser._playwright_revisions()
    key = browser._os_key()
    full = fake_exe(registry / f"chromium-{revisions['chromium']}" / browser._BUNDLED_EXES[key][0])
    if shell:
        rev = revisions["chromium-headless-shell"]
        fake_exe(registry / f"chromium_headless_shell-{rev}" / browser._SHELL_EXES[key][0])
    return full


def test_precedence(no_browsers, monkeypatch, tmp_path):
    given = fake_exe(tmp_path / "given" / "chrome")
    env = fake_exe(tmp_path / "env" / "chrome")
    system = fake_exe(tmp_path / "usr" / "bin" / "chromium")
    monkeypatch.setattr(
        browser, "system_candidates", lambda: [str(tmp_path / "missing"), str(system)]
    )
    monkeypatch.setenv("OPTOUT_BROWSER", str(env))
    install_bundled(tmp_path / "ms-playwright")

    assert find_browser(str(given)) == BrowserChoice(str(given), "--browser-path", None)
    assert find_browser() == BrowserChoice(str(env), "OPTOUT_BROWSER", None)
    monkeypatch.delenv("OPTOUT_BROWSER")
    assert find_browser() == BrowserChoice(None, "playwright-bundled", None)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "empty"))
    assert find_browser() == BrowserChoice(str(system), "system", None)


def test_bundled_without_headless_shell_points_at_the_full_browser(no_browsers, tmp_path):
    full = install_bundled(tmp_path / "ms-playwright", shell=False)
    assert find_browser() == BrowserChoice(str(full), "playwright-bundled", None)


def test_bundled_of_another_revision_is_not_used(no_browsers, tmp_path):
    fake_exe(
        tmp_path / "ms-playwright" / "chromium-1" / browser._BUNDLED_EXES[browser._os_key()][0]
    )
    with pytest.raises(BrowserNotFound):
        find_browser()


def test_registry_follows_playwright_rules(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    assert browser.playwright_registry() == tmp_path
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", "0")
    assert browser.playwright_registry().parts[-3:] == ("driver", "package", ".local-browsers")
    monkeypatch.delenv("PLAYWRIGHT_BROWSERS_PATH")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    if sys.platform.startswith("linux"):
        assert browser.playwright_registry() == tmp_path / "cache" / "ms-playwright"


def test_system_browser_symlink_is_resolved_and_snap_warned(no_browsers, monkeypatch, tmp_path):
    real = fake_exe(tmp_path / "opt" / "chromium" / "chrome")
    link = tmp_path / "bin" / "chromium"
    link.parent.mkdir()
    link.symlink_to(real)
    monkeypatch.setattr(browser, "system_candidates", lambda: [str(link)])
    assert find_browser() == BrowserChoice(str(real), "system", None)

    snap = fake_exe(tmp_path / "snap" / "bin" / "chromium")
    monkeypatch.setattr(browser, "system_candidates", lambda: [str(snap)])
    choice = find_browser()
    assert choice.path == str(snap) and "snap" in choice.warning


def test_nothing_found(no_browsers, monkeypatch, tmp_path):
    monkeypatch.setattr(browser, "OS_RELEASE", tmp_path / "os-release")
    (tmp_path / "os-release").write_text('PRETTY_NAME="Debian GNU/Linux 13"\nID=debian\n')
    monkeypatch.setattr(browser, "_os_key", lambda: "linux")
    with pytest.raises(BrowserNotFound) as info:
        find_browser()
    assert "No Chromium" in info.value.message
    for fix in (
        "apt-get install chromium",
        "optout install-browser",
        "--browser-path",
        "OPTOUT_BROWSER",
    ):
        assert fix in info.value.hint


@pytest.mark.parametrize(
    "os_key, release, fix, not_said",
    [
        (
            "linux",
            "ID=debian",
            "apt-get install chromium`, or run `optout install-browser`",
            "brew",
        ),
        (
            "linux",
            "ID=ubuntu\nID_LIKE=debian",
            "Run `optout install-browser`, or install Google Chrome's",
            "apt-get",
        ),
        (
            "linux",
            'ID="linuxmint"\nID_LIKE="ubuntu debian"',
            "Run `optout install-browser`",
            "apt-get",
        ),
        (
            "linux",
            "ID=fedora",
            "distribution's Chromium package, or run `optout install-browser`",
            "apt-get",
        ),
        ("linux", None, "distribution's Chromium package", "apt-get"),
        ("darwin", "ID=debian", "brew install --cask google-chrome", "apt-get"),
        ("win32", None, "winget install --id Google.Chrome", "brew"),
    ],
)
def test_the_fix_for_no_browser_is_this_systems_own(
    monkeypatch, tmp_path, os_key, release, fix, not_said
):
    """The doctor's fix names one way per OS, and never another OS's package manager."""
    monkeypatch.setattr(browser, "_os_key", lambda: os_key)
    monkeypatch.setattr(browser, "OS_RELEASE", tmp_path / "os-release")
    if release is not None:
        (tmp_path / "os-release").write_text(release + "\n")
    hint = browser.install_hint()
    assert fix in hint and not_said not in hint and "OPTOUT_BROWSER" in hint
    if os_key == "linux" and "debian" in (release or "") and "ubuntu" not in release:
        assert ("sudo apt-get" in hint) == (os.geteuid() != 0)


def test_a_given_path_that_is_wrong_says_where_it_came_from(no_browsers, monkeypatch, tmp_path):
    with pytest.raises(BrowserNotFound) as info:
        find_browser(str(tmp_path / "nope"))
    assert str(tmp_path / "nope") in info.value.message and "--browser-path" in info.value.message
    assert "does not exist" in info.value.message

    monkeypatch.setenv("OPTOUT_BROWSER", str(tmp_path))
    with pytest.raises(BrowserNotFound) as info:
        find_browser()
    assert "OPTOUT_BROWSER" in info.value.message and "is a folder" in info.value.message

    plain = tmp_path / "not-executable"
    plain.write_text("")
    with pytest.raises(BrowserNotFound) as info:
        find_browser(str(plain))
    assert "is not executable" in info.value.message


def test_bare_name_is_looked_up_on_path(no_browsers, monkeypatch, tmp_path):
    exe = fake_exe(tmp_path / "bin" / "my-chromium")
    monkeypatch.setenv("PATH", str(exe.parent))
    assert find_browser("my-chromium").path == str(exe)


def test_importing_browser_does_not_import_playwright():
    code = (
        "import sys, optout.browser; assert 'playwright' not in sys.modules, 'playwright imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


async def test_real_launch_opens_a_page(browser_path):
    from playwright.async_api import async_playwright

    choice = find_browser(browser_path)
    assert choice.source == "--browser-path"
    async with async_playwright() as p:
        b = await launch(p, choice)
        try:
            page = await b.new_page()
            await page.goto("about:blank")
            assert await page.evaluate("1 + 1") == 2
            assert re.match(r"^\d+\.\d+", b.version)
        finally:
            await b.close()
    assert re.match(r"^\d+\.\d+\.\d+", await browser_version(choice))


async def test_launch_failures_say_which_browser(tmp_path):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        with pytest.raises(BrowserNotFound) as info:
            await launch(p, BrowserChoice(str(tmp_path / "gone"), "--browser-path", None))
        assert str(tmp_path / "gone") in info.value.message and "Traceback" not in str(info.value)

        broken = fake_exe(tmp_path / "broken-chrome", "echo 'cannot start' >&2; exit 3")
        with pytest.raises(OptoutError) as info:
            await launch(p, BrowserChoice(str(broken), "OPTOUT_BROWSER", None))
        assert str(broken) in info.value.message and "OPTOUT_BROWSER" in info.value.message
        assert "cannot start" in info.value.message and "optout doctor" in info.value.hint


async def test_headed_launch_without_a_display_says_so(browser_path, monkeypatch):
    from playwright.async_api import async_playwright

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    async with async_playwright() as p:
        with pytest.raises(OptoutError) as info:
            await launch(p, find_browser(browser_path), headless=False)
    assert "could not open a window" in info.value.message and "xvfb-run" in info.value.hint


def lines_by_name(lines):
    return {line.name: line for line in lines}


def test_doctor_flags_an_open_data_dir(optout_home, browser_path):
    AccountStore(Profile()).add("linkedin", Credential("alice", SENTINEL_PASSWORD))
    optout_home.chmod(0o755)
    lines = doctor_report(Profile(), browser_path)
    got = lines_by_name(lines)
    assert (
        got["browser"].ok
        and browser_path in got["browser"].value
        and "version" in got["browser"].value
    )
    assert got["keyring"].ok and "MemoryKeyring" in got["keyring"].value
    assert str(optout_home) in got["data dir"].value and "OPTOUT_HOME" in got["data dir"].value
    perms = got["data dir permissions"]
    assert not perms.ok and "0755" in perms.value and perms.fix == f"chmod 700 {optout_home}"
    assert got["python"].value.count(".") == 2 and got["playwright"].ok
    assert SENTINEL_PASSWORD not in repr(lines)

    optout_home.chmod(0o700)
    assert lines_by_name(doctor_report(Profile(), browser_path))["data dir permissions"].ok


def test_doctor_without_a_keyring_or_browser(optout_home, monkeypatch, tmp_path):
    keyring.set_keyring(fail.Keyring())
    got = lines_by_name(doctor_report(Profile(), str(tmp_path / "no-such-browser")))
    assert not got["browser"].ok and "does not exist" in got["browser"].value
    assert "apt-get install chromium" in got["browser"].fix
    assert not got["keyring"].ok and "fail Keyring" in got["keyring"].value
    assert "gnome-keyring-daemon --unlock" in got["keyring"].fix
    assert got["data dir permissions"].ok and "not created yet" in got["data dir permissions"].value
    assert not os.path.exists(optout_home)  # the doctor looks, it does not create
