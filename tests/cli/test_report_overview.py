"""The HTML report in a real Chromium: its overview is visible without scrolling in a 1280x800
window, no script runs, each setting has its strip of states and the last change side by side."""

from __future__ import annotations

from click.testing import CliRunner
from playwright.sync_api import sync_playwright

from optout.cli import cli
from optout.sandbox import SANDBOX_USERNAME, Sandbox

SENTINEL_PASSWORD = "sentinel-pw-Overview8Qm"


def test_report_overview_in_chromium(browser_path, tmp_path):
    def invoke(*args, input=None):
        return CliRunner().invoke(
            cli,
            ["--browser-path", browser_path, "--sandbox", *args],
            input=input,
            catch_exceptions=False,
        )

    Sandbox.for_profile("default").configure("linkedin", password=SENTINEL_PASSWORD)
    invoke("account", "add", "linkedin", input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n")
    assert invoke("off", "linkedin").exit_code == 0
    invoke("sandbox", "flip", "linkedin", "generative-ai", "on")
    assert (
        invoke("off", "linkedin").exit_code == 6
    )  # switched back on, and off again: drift put right
    assert invoke("check", "linkedin").exit_code == 0
    out = tmp_path / "report.html"
    assert invoke("report", "-o", str(out)).exit_code == 0
    page_text = out.read_text()
    assert "<script" not in page_text.lower() and SENTINEL_PASSWORD not in page_text

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            console_errors = []
            page.on("console", lambda m: console_errors.append(m.text))
            page.goto(out.as_uri())
            csp = page.locator("meta[http-equiv=Content-Security-Policy]").get_attribute("content")
            assert (
                "default-src 'none'" in csp and "script-src" not in csp
            )  # no script source allowed
            overview = page.locator("#overview").bounding_box()
            assert overview and overview["y"] + overview["height"] <= 800, overview
            rows = page.locator("#overview table tr")
            assert rows.count() >= 3  # header + the linkedin settings
            assert page.locator(".counts li.off").count() == 1
            # Every overview link leads to its setting's section.
            for href in page.locator("#overview a").evaluate_all(
                "links => links.map(a => a.getAttribute('href'))"
            ):
                assert page.locator(href).count() == 1
            section = page.locator(
                "section.setting", has_text="Use my data for training content creation"
            )
            assert (
                section.locator(".strip span").count() == 3
            )  # switched off, switched off again, read off
            assert section.locator(".strip span.changed").count() == 2  # switched off twice
            pair = section.locator(".pair img")
            assert pair.count() == 2  # before and after, side by side
            first, second = (pair.nth(i).bounding_box() for i in range(2))
            assert abs(first["y"] - second["y"]) < 2 and second["x"] > first["x"]
            older = section.locator("details")
            assert older.count() == 1 and older.locator("img").first.is_visible() is False
        finally:
            browser.close()
