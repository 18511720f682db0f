"""`optout login`: a person signs in themselves; the saved session then serves later runs."""

from __future__ import annotations

from cryptography.fernet import Fernet

from optout import api
from optout.paths import Profile
from optout.sandbox import SANDBOX_USERNAME, Sandbox
from optout.sessions import SessionStore

SENTINEL_PASSWORD = "sentinel-pw-Login5Vb"


async def test_person_signs_in_and_the_session_is_reused(browser_path):
    sandbox = Sandbox()
    replica = sandbox.configure(
        "linkedin", "two_factor", password=SENTINEL_PASSWORD, totp_secret="JBSWY3DPEHPK3PXP"
    )
    store = SessionStore(Profile("sandbox-default"), key=Fernet.generate_key())

    async def person(page):
        """Plays the person at the visible browser: password, then the code from their phone."""
        from optout.credentials import totp

        await page.fill("#username", SANDBOX_USERNAME)
        await page.fill("#password", SENTINEL_PASSWORD)
        await page.click("button[type=submit]")
        await page.fill("#input__phone_verification_pin", totp("JBSWY3DPEHPK3PXP").now())
        await page.click("#two-step-submit-button")

    path = await api.login(
        "linkedin",
        account="me",
        headless=True,
        browser_path=browser_path,
        setup_context=sandbox.install,
        sessions=store,
        on_ready=person,
        wait_s=30,
    )
    assert path.exists() and oct(path.stat().st_mode)[-3:] == "600"
    assert SENTINEL_PASSWORD.encode() not in path.read_bytes()
    assert store.accounts("linkedin") == ["me"]

    # No stored password at all: the saved session alone reads and switches the setting.
    results = await api.switch_off(
        ["linkedin"],
        credentials={},
        setup_context=sandbox.install,
        browser_path=browser_path,
        sessions=store,
    )
    [result] = [r for r in results if r.setting == "generative-ai"]
    assert result.state == "off" and result.changed and result.account == "me", result.detail
    assert len(replica.events("login")) == 1  # only the person's own sign-in


async def test_expired_session_without_password_needs_login(browser_path):
    sandbox = Sandbox()
    sandbox.configure("linkedin", password=SENTINEL_PASSWORD)
    store = SessionStore(Profile("sandbox-default"), key=Fernet.generate_key())
    store.save("linkedin", "me", {"cookies": [], "origins": []})
    results = await api.check(
        ["linkedin"],
        credentials={},
        setup_context=sandbox.install,
        browser_path=browser_path,
        sessions=store,
    )
    assert {r.state for r in results} == {"needs_login"}
    assert all("optout login linkedin" in r.detail for r in results)
