"""`optout ui` (issue 27) driven as a person would, in a real Chromium, against the sandbox
replicas: a check with live progress, a switch-off whose objection form is shown word for word
and confirmed on the page, a challenge handed to the visible window, volunteer mode to the
handout, an account added with a sentinel password found nowhere afterwards, and the token, Host
and Origin checks refusing a foreign page. Every page is checked with axe-core and for horizontal
overflow at 390 and 1280 pixels."""

from __future__ import annotations

import html
import json
from urllib.parse import quote, quote_plus, urlsplit

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import expect

from optout.credentials import AccountStore, Credential, totp
from optout.history import History
from optout.paths import Profile
from optout.results import Result
from optout.sandbox import SANDBOX_USERNAME
from optout.states import State

SENTINEL_PASSWORD = "S3nt&<>\"' %/inel-ui27"
TOTP = "JBSWY3DPEHPK3PXP"
WIDTHS = (390, 1280)


def forms_of(secret: str) -> set[str]:
    """The ways a secret could be written down: raw, HTML-, URL- and JSON-escaped."""
    return {
        secret,
        html.escape(secret),
        html.escape(secret, quote=False),
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
    }


async def open_ui(chromium, url: str, width: int = 1280):
    context = await chromium.new_context(viewport={"width": width, "height": 900})
    page = await context.new_page()
    await page.goto(url)
    assert "token" not in page.url  # traded for the cookie at once
    return page


async def nav(page, name: str) -> None:
    await page.get_by_role("navigation", name="Pages").get_by_role("link", name=name).click()


async def accessible_at_both_widths(page, shots=None, name: str = "") -> None:
    """axe-core finds nothing and nothing scrolls sideways, at a phone's width and a laptop's."""
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        report = await Axe().run(page)
        assert report.violations_count == 0, report.generate_report()
        overflow = await page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{page.url} overflows by {overflow}px at {width}px"
        if shots is not None:
            await page.screenshot(path=shots / f"ui-{name}-{width}.png", full_page=True)


async def test_add_an_account_check_it_and_see_where_you_stand(
    ui, chromium, configure, optout_home, memory_keyring, tmp_path, capfd, shots
):
    _, url = ui
    configure("linkedin")
    page = await open_ui(chromium, url)
    seen_html, requests = [], []
    page.on("request", lambda r: requests.append((r.url, r.post_data or "")))

    # Accounts: the password goes to the keyring, through the POST body only.
    await nav(page, "Accounts")
    await accessible_at_both_widths(page)
    await page.get_by_label("Platform").select_option(label="LinkedIn")
    await page.get_by_label("Username (e-mail or phone)").fill(SANDBOX_USERNAME)
    await page.get_by_label("Password").fill(SENTINEL_PASSWORD)
    answers = []

    async def keep_answer(
        route,
    ):  # what the server answered the POST, read before the page moves on
        response = await route.fetch()
        answers.append(await response.text())
        await route.fulfill(response=response)

    await page.route(
        "**/accounts",
        lambda route: keep_answer(route) if route.request.method == "POST" else route.continue_(),
    )
    await page.get_by_label("Password").press("Enter")  # the keyboard alone
    await expect(
        page.get_by_role("button", name=f"Remove LinkedIn account {SANDBOX_USERNAME}")
    ).to_be_visible()
    assert await page.get_by_label("Password").input_value() == ""
    assert AccountStore(Profile("sandbox-default")).get("linkedin").password == SENTINEL_PASSWORD
    [answer] = answers
    assert "Stored your LinkedIn account" in answer
    assert not any(secret in answer for secret in forms_of(SENTINEL_PASSWORD))
    seen_html.append(await page.content())

    # Act: the stored platform is ticked; a check shows each result as it arrives.
    await nav(page, "Check or switch off")
    await accessible_at_both_widths(page)
    assert await page.get_by_role("checkbox", name="LinkedIn", exact=True).is_checked()
    assert not await page.get_by_role("checkbox", name="X", exact=True).is_checked()
    await page.get_by_role("button", name="Check (read only)").click()
    await expect(page.get_by_role("heading", name="Checking")).to_be_visible()
    results = page.get_by_role("list", name="Results")
    await expect(results).to_contain_text("On — LinkedIn uses your data to train AI", timeout=60000)
    await expect(page.get_by_role("status").filter(has_text="Finished.")).to_be_visible(
        timeout=60000
    )
    await expect(results).to_contain_text("Use my data for training content creation AI models")
    await accessible_at_both_widths(page)
    seen_html.append(await page.content())

    # Where you stand: by the platform's name, in words, when, and the next step as one button.
    await page.get_by_role("link", name="See where you stand now").click()
    main = page.get_by_role("main")
    await expect(main).to_contain_text("On — LinkedIn uses your data to train AI")
    await expect(main).to_contain_text("Read just now")
    await expect(
        page.get_by_role("button", name="Switch off AI training on LinkedIn")
    ).to_be_visible()
    await accessible_at_both_widths(page, shots, "stand")
    seen_html.append(await page.content())

    # The sentinel is nowhere but the keyring: not a file of the profile, the history, the logs,
    # a page, a URL, another request, or the server's output.
    written = [p for p in tmp_path.rglob("*") if p.is_file() and "shots" not in p.parts]
    assert any(p.name.endswith(".db") or "history" in p.name for p in written), (
        written
    )  # history was read
    for secret in forms_of(SENTINEL_PASSWORD):
        for path in written:
            assert secret.encode() not in path.read_bytes(), path
        for text in seen_html:
            assert secret not in text
        for request_url, body in requests:
            assert secret not in request_url
            assert secret not in body or urlsplit(request_url).path == "/accounts", request_url
        out, err = capfd.readouterr()
        assert secret not in out + err
    assert sum(1 for u, body in requests if json.dumps(SENTINEL_PASSWORD)[1:-1] in body) == 1

    # Removed from the page: gone from the keyring too.
    await nav(page, "Accounts")
    await page.get_by_role("button", name=f"Remove LinkedIn account {SANDBOX_USERNAME}").click()
    await expect(page.get_by_role("main")).to_contain_text("None yet.")
    assert AccountStore(Profile("sandbox-default")).list() == []
    assert not any(SENTINEL_PASSWORD in value for value in memory_keyring.data.values())


async def test_switch_off_shows_the_objection_word_for_word_and_sends_it_once_confirmed(
    ui, chromium, configure, shots
):
    _, url = ui
    replica = configure("linkedin")
    AccountStore(Profile("sandbox-default")).add(
        "linkedin", Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD)
    )
    page = await open_ui(chromium, url, 390)
    await nav(page, "Check or switch off")
    await page.get_by_label("Reason for objection forms (optional)").fill(
        "No AI training on my posts & <data>."
    )
    await page.get_by_role("button", name="Switch off").click()

    question = page.get_by_role("region", name="Your answer is needed")
    await expect(question).to_be_visible(timeout=60000)
    await expect(question).to_contain_text("Send this objection to LinkedIn in your name?")
    shown = dict(
        zip(
            await question.locator("dt").all_inner_texts(),
            await question.locator("dd").all_inner_texts(),
            strict=True,
        )
    )
    assert shown["Type of objection"] == "Use of my data for AI training", shown
    assert (
        SANDBOX_USERNAME in shown.values()
        and "No AI training on my posts & <data>." in shown.values()
    ), shown
    assert replica.events("submission") == []  # nothing goes out before the person says so
    await expect(page.get_by_role("heading", name="Your answer is needed")).to_be_focused()
    await accessible_at_both_widths(page, shots, "objection")
    await page.keyboard.press("Tab")  # from the question's heading, the keyboard alone
    await expect(page.get_by_role("button", name="Send this objection")).to_be_focused()
    await page.keyboard.press("Enter")

    results = page.get_by_role("list", name="Results")
    await expect(results).to_contain_text(
        "Objection sent — LinkedIn received your objection", timeout=60000
    )
    await expect(results).to_contain_text("Off — checked: LinkedIn does not use your data for this")
    [sent] = replica.events("submission")
    assert sent["status"] == 200 and sent["email"] == SANDBOX_USERNAME
    assert (
        sent["reason"] == "No AI training on my posts & <data>."
    )  # the words shown are the words sent


async def test_the_next_step_button_switches_off_and_a_declined_objection_sends_nothing(
    ui, chromium, configure
):
    _, url = ui
    replica = configure("linkedin")
    AccountStore(Profile("sandbox-default")).add(
        "linkedin", Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD)
    )
    with History(Profile("sandbox-default")) as history:  # an earlier check read it on
        run = history.start_run("check")
        history.record(run, Result("linkedin", "generative-ai", State.ON, account=SANDBOX_USERNAME))
        history.finish_run(run)
    page = await open_ui(chromium, url)
    await page.get_by_role("button", name="Switch off AI training on LinkedIn").click()
    await expect(page.get_by_role("heading", name="Switching off")).to_be_visible()
    await page.get_by_role("button", name="Do not send it").click(timeout=60000)
    results = page.get_by_role("list", name="Results")
    await expect(results).to_contain_text(
        "not sent: you chose not to send this objection", timeout=60000
    )
    await expect(results).to_contain_text(
        "Not sent yet — no objection sent; LinkedIn may use your data"
    )
    await expect(results).to_contain_text("Off — checked: LinkedIn does not use your data for this")
    assert replica.events("submission") == []


async def test_a_challenge_goes_to_the_visible_window_and_the_page_says_what_to_do(
    ui, chromium, configure, display
):
    server, url = ui
    configure("linkedin", "two_factor", totp_secret=TOTP)
    AccountStore(Profile("sandbox-default")).add(
        "linkedin", Credential(SANDBOX_USERNAME, SENTINEL_PASSWORD)
    )
    windows = []

    async def person(window):  # at the window optout opened, the person types the code
        windows.append(await window.evaluate("() => navigator.userAgent"))
        await window.locator("#input__phone_verification_pin").fill(totp(TOTP).now())
        await window.locator("#two-step-submit-button").click()

    server.ctx.attended, server.ctx.on_window = True, person
    page = await open_ui(chromium, url)
    await nav(page, "Check or switch off")
    await page.get_by_role("button", name="Check (read only)").click()
    progress = page.get_by_role("main")
    await expect(progress).to_contain_text("window", timeout=60000)
    await expect(page.get_by_role("list", name="Results")).to_contain_text(
        "On — LinkedIn uses your data to train AI", timeout=60000
    )
    said = await page.locator("#said").inner_text()
    assert "verification code" in said and "window" in said, said
    assert (
        len(windows) == 1 and "HeadlessChrome" not in windows[0]
    )  # a visible window, not headless


async def test_volunteer_mode_ends_with_the_handout(
    ui, chromium, sandbox, display, optout_home, memory_keyring
):
    server, url = ui
    sandbox.configure("linkedin", password=SENTINEL_PASSWORD)

    async def signs_in(window):  # the person signs in themselves; optout never holds the password
        await window.wait_for_selector("#username")
        await window.get_by_label("Email or phone").fill(SANDBOX_USERNAME)
        await window.get_by_label("Password").fill(SENTINEL_PASSWORD)
        await window.get_by_role("button", name="Sign in").click()

    server.ctx.on_ready = signs_in
    page = await open_ui(chromium, url)
    await nav(page, "Help someone")
    await accessible_at_both_widths(page)
    await page.get_by_role("checkbox", name="LinkedIn", exact=True).check()
    await page.get_by_label("Their name, printed on the handout (optional)").fill("Ann")
    await page.get_by_role("button", name="Start").click()
    await page.get_by_role("button", name="Yes, switch off").click(timeout=60000)
    await page.get_by_role("button", name="Send this objection").click(timeout=60000)
    await expect(page.get_by_role("status").filter(has_text="Finished.")).to_be_visible(
        timeout=60000
    )
    await expect(page.locator("#said")).to_contain_text("Nothing of the person was kept")
    async with page.context.expect_page() as opened:
        await page.get_by_role("link", name="Open the handout to print").click()
    handout = await opened.value
    await handout.wait_for_load_state()
    text = await handout.locator("body").inner_text()
    assert "Ann" in text and "What we switched off" in text, text
    assert SENTINEL_PASSWORD not in await handout.content()
    assert memory_keyring.data == {}
    kept = [p for p in optout_home.rglob("*") if p.is_file()]
    assert not [p for p in kept if "history" in p.name or "session" in str(p)], kept


async def test_a_foreign_page_is_refused(ui, chromium):
    """Without the token, from another site, through a rebound name, or without the page's own
    Origin, CSRF token and JSON, nothing is shown and nothing is done."""
    server, url = ui
    port = server.guard.port
    base = f"http://127.0.0.1:{port}"
    page = await open_ui(chromium, url)
    request = page.context.request  # the person's own cookie
    csrf = server.guard.csrf
    ok_headers = {"Origin": base, "X-CSRF-Token": csrf, "Content-Type": "application/json"}

    async def refused(response, why: str, code=403):
        text = await response.text()
        assert response.status == code and text.startswith("Refused") and why in text, (
            response.status,
            text,
        )

    # The token: a wrong one and none at all.
    stranger = await chromium.new_context()
    other = await stranger.new_page()
    await refused(await other.goto(f"{base}/?token=not-the-token"), "token is not this page's")
    await refused(await other.goto(f"{base}/accounts"), "one-time token")
    # DNS rebinding: a foreign name that resolves to 127.0.0.1 (Host rebind.test:PORT).
    await refused(
        await page.goto(f"http://rebind.test:{port}/?token={server.guard.token}"), "answers only at"
    )
    await refused(
        await request.get(f"{base}/", headers={"Host": f"evil.example:{port}"}), "answers only at"
    )
    # Origin, CSRF token and JSON, each missing alone, with the person's own cookie.
    body = json.dumps({"mode": "check", "platforms": ["linkedin"]})
    await refused(
        await request.post(
            f"{base}/runs", data=body, headers={**ok_headers, "Origin": "http://evil.example"}
        ),
        "came from another page",
    )
    await refused(
        await request.post(
            f"{base}/runs", data=body, headers={**ok_headers, "X-CSRF-Token": "guess"}
        ),
        "page's own token",
    )
    await refused(
        await request.post(
            f"{base}/runs", data=body, headers={**ok_headers, "Content-Type": "text/plain"}
        ),
        "as JSON",
        415,
    )
    # A foreign page's own attempt, as a browser makes it: its form post carries no cookie
    # (SameSite=Strict), no JSON and a foreign Origin.
    foreign = await page.context.new_page()
    await foreign.route(
        "http://foreign.test/",
        lambda route: route.fulfill(
            content_type="text/html",
            body=(
                f'<form method="post" action="{base}/close" id="f"><input name="x" value="1"></form>'
                '<script>document.getElementById("f").submit()</script>'
            ),
        ),
    )
    async with foreign.expect_response(f"{base}/close") as answered:
        await foreign.goto("http://foreign.test/")
    await refused(await answered.value, "one-time token")
    assert server.jobs == {} and not server.closed_by_page
    # Keeping a helped person's data needs a profile of their own, as `optout assist --keep` does.
    kept = await request.post(
        f"{base}/runs",
        headers=ok_headers,
        data=json.dumps({"mode": "assist", "platforms": ["linkedin"], "keep": True}),
    )
    assert kept.status == 400 and "profile of their own" in (await kept.json())["error"]
    assert server.jobs == {}
    # The page's own action still works: Close stops the server.
    page = await open_ui(chromium, url)
    await page.get_by_role("button", name="Close optout").click()
    await expect(page.get_by_role("heading", name="optout has stopped")).to_be_visible()
    assert server.closed_by_page
