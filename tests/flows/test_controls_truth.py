"""Controls as the public evidence shows them (issue 11, items 5, 7, 8, 9), through a real Chromium
against the replicas: ChatGPT's switch inside the dialog its row opens, closed with "Done";
WordPress.com's checkbox with its separate Save, shown only for Public sites and greyed out when
search engines are discouraged; Copilot's 2026 app read only for what its page says; locked
controls reported as they read, never clicked; and a click that lands only on the control read."""

from __future__ import annotations

import pytest

SENTINEL_PASSWORD = "sentinel-pw-Ctl7Truth"
SITE = "demo-notes.wordpress.com"


@pytest.fixture
def run(run_flow, only_flows):
    flows = only_flows("chatgpt", "wordpress", "copilot")

    async def _run(platform, mode="check", **opts):
        if platform == "wordpress":
            opts.setdefault("credentials", {"wordpress": []})
        return await run_flow(platform, mode, flows_dir=flows, **opts)

    return _run


def wordpress(configure, *misbehaviours, blocked=()):
    return configure("wordpress", *misbehaviours, session=True, items=[SITE], blocked=blocked)


# --- ChatGPT: a row that opens a dialog ---------------------------------------------------------


async def test_chatgpt_switch_is_reached_through_the_rows_dialog_and_verified_through_it(
    configure, run
):
    replica = configure("chatgpt")
    [result] = [r for r in await run("chatgpt", "off") if r.setting == "improve-model"]
    assert (result.state, result.changed) == ("off", True), result.detail
    assert "reload" in result.detail
    assert [
        (e["setting"], e["on"]) for e in replica.events("save") if e["setting"] == "improve-model"
    ] == [("improve-model", False)]
    assert replica.state["settings"]["improve-model"] is False


async def test_chatgpt_check_reads_inside_the_dialog_and_clicks_nothing(configure, run):
    replica = configure("chatgpt")
    [result] = [r for r in await run("chatgpt", "check") if r.setting == "improve-model"]
    assert result.state == "on" and result.evidence, result.detail
    assert replica.events("save") == []


async def test_chatgpt_dialog_that_does_not_close_is_never_off(configure, run):
    replica = configure("chatgpt", "dialog_stuck")
    [result] = [r for r in await run("chatgpt", "off") if r.setting == "improve-model"]
    assert (result.state, result.changed) == ("on", False), result.detail
    assert "did not close with 'Done'" in result.detail and "did not stick" in result.detail
    assert [
        e for e in replica.events("save") if e["setting"] == "improve-model"
    ] == [] and replica.state["settings"]["improve-model"] is True


async def test_chatgpt_row_opened_only_by_its_own_button_is_switched_off(configure, run):
    """The label's text is inert; the button at the row's right ("On ›") opens the dialog."""
    replica = configure("chatgpt", "row_button")
    [result] = [r for r in await run("chatgpt", "off") if r.setting == "improve-model"]
    assert (result.state, result.changed) == ("off", True), result.detail
    assert replica.state["settings"]["improve-model"] is False


async def test_chatgpt_row_with_two_buttons_clicks_neither(configure, run):
    replica = configure("chatgpt", "row_ambiguous")
    [result] = [r for r in await run("chatgpt", "off") if r.setting == "improve-model"]
    assert result.state == "broken", result.detail
    assert "2 elements" in result.detail, result.detail
    assert replica.events("stray_click") == []
    assert [e for e in replica.events("save") if e["setting"] == "improve-model"] == []
    assert replica.state["settings"]["improve-model"] is True


# --- locked controls report what they read ------------------------------------------------------


@pytest.mark.parametrize(("misbehaviour", "state"), [("locked_on", "on"), ("locked_off", "off")])
async def test_chatgpt_locked_switch_reports_what_it_reads_and_is_never_clicked(
    configure, run, misbehaviour, state
):
    replica = configure("chatgpt", misbehaviour)
    [result] = [r for r in await run("chatgpt", "off") if r.setting == "improve-model"]
    assert (result.state, result.changed) == (state, False), result.detail
    assert f"shows it {state} and does not let this account change it" in result.detail
    assert [e for e in replica.events("save") if e["setting"] == "improve-model"] == []


@pytest.mark.parametrize(("misbehaviour", "state"), [("locked_on", "on"), ("locked_off", "off")])
async def test_copilot_locked_toggles_report_what_they_read(configure, run, misbehaviour, state):
    replica = configure("copilot", misbehaviour)
    results = await run("copilot", "off")
    assert [(r.state, r.changed) for r in results] == [(state, False)] * 2, [
        r.detail for r in results
    ]
    assert replica.events("save") == []


# --- WordPress.com: a checkbox and a separate Save ----------------------------------------------


async def test_wordpress_checkbox_is_saved_with_save_and_verified_after_a_reload(configure, run):
    replica = wordpress(configure)
    [result] = await run("wordpress", "off")
    assert (result.setting, result.state, result.changed) == (
        f"third-party-sharing/{SITE}",
        "off",
        True,
    ), result.detail
    assert [(e["item"], e["blocked"], e["status"]) for e in replica.events("save")] == [
        (SITE, True, 200)
    ]
    assert replica.events("discourage") == []


async def test_wordpress_failed_save_is_never_off(configure, run):
    replica = wordpress(configure, "save_fails")
    [result] = await run("wordpress", "off")
    assert (result.state, result.changed) == ("on", False), result.detail
    assert "HTTP 500" in result.detail
    assert [e["status"] for e in replica.events("save")] == [500]


async def test_a_failure_the_page_shows_before_the_answer_still_names_the_status(browser_path):
    """The page's script may show its failure before Playwright reports the save's answer (seen
    under load): the reason must still name the HTTP status, not only the page's words."""
    import asyncio

    from playwright.async_api import async_playwright

    from optout.browser import find_browser, launch
    from optout.engine import controls
    from optout.flowfile.load import load_flow
    from optout.paths import flows_dir

    [setting] = load_flow(flows_dir() / "wordpress.yaml").settings
    page_html = """<button onclick="document.getElementById('n').textContent='Failed to save settings.';
      fetch('/rest/v1.4/sites/1/settings', {method: 'POST'})">Save</button><p id="n"></p>"""

    async def answer(route):
        if route.request.method == "POST":
            await asyncio.sleep(0.5)  # the page has said "Failed" long before this answer
            await route.fulfill(status=500, body="{}")
        else:
            await route.fulfill(body=page_html, content_type="text/html")

    async with async_playwright() as p:
        browser = await launch(p, find_browser(browser_path))
        try:
            page = await browser.new_page()
            await page.route("https://wordpress.com/**", answer)
            await page.goto("https://wordpress.com/settings")
            why = await controls.save_change(page, setting, 5)
        finally:
            await browser.close()
    assert why == "the page said the save failed (HTTP 500)"


async def test_wordpress_discouraged_site_reads_locked_off_and_is_never_clicked(configure, run):
    replica = wordpress(configure, "locked_off")
    [result] = await run("wordpress", "off")
    assert (result.state, result.changed) == ("off", False), result.detail
    assert "does not let this account change it" in result.detail
    assert replica.events("save") == [] and replica.events("discourage") == []


async def test_wordpress_site_that_is_not_public_is_unavailable(configure, run):
    replica = wordpress(configure, "not_public")
    [result] = await run("wordpress", "off")
    assert result.state == "unavailable", result.detail
    assert replica.events("save") == []


# --- only the control that was read is ever clicked --------------------------------------------


async def test_a_label_naming_another_checkbox_is_never_clicked(configure, run):
    """The hidden box sits inside `<label for=discourage>`: clicking that label would tick
    "Discourage search engines" and Save would take the site out of search engines."""
    replica = wordpress(configure, "label_elsewhere")
    [result] = await run("wordpress", "off")
    assert result.state == "broken", result.detail
    assert "nothing was clicked" in result.detail
    assert replica.events("save") == [] and replica.events("discourage") == []


# --- Copilot's 2026 app: what the page says -----------------------------------------------------


async def test_copilot_privacy_page_without_toggles_or_statement_is_broken(configure, run):
    replica = configure("copilot", "absent")
    results = await run("copilot", "off", find_timeout_s=3)
    assert [r.state for r in results] == ["broken", "broken"], [r.detail for r in results]
    assert all(sorted(p.suffix for p in r.evidence) == [".html", ".png"] for r in results)
    assert replica.events("save") == []


async def test_copilot_page_saying_prompts_are_not_trained_on_is_unavailable(configure, run):
    replica = configure("copilot", "absent")
    replica.state["says_not_trained"] = True
    results = await run("copilot", "off")
    assert [r.state for r in results] == ["unavailable", "unavailable"], [r.detail for r in results]
    assert replica.events("save") == []
