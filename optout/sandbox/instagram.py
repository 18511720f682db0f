"""Instagram replica: sign-in on www.instagram.com (username, password, 2FA verificationCode, the
"Save your login info?" interstitial, a notifications dialog), and Meta's "right to object" form for
AI at Meta on help.instagram.com, a different origin of the same platform: the session cookie is
shared across instagram.com, credentials are only ever asked for on www.instagram.com."""

from __future__ import annotations

import html
from urllib.parse import quote, urlsplit

from optout.sandbox.facebook import META_FORM
from optout.sandbox.kit import challenge
from optout.sandbox.kit.objection import ObjectionForm, route
from optout.sandbox.replica import Replica, Request, Response, page, redirect

WWW, HELP = "www.instagram.com", "help.instagram.com"
LOGIN = f"https://{WWW}/accounts/login/"
FORMS = (
    ObjectionForm(
        setting="ai-objection",
        path="/contact/233964459562201",
        title="Right to object | Instagram Help Center",
        heading="Right to object: AI at Meta",
        intro="I want to object to the use of my information for Meta AI",
        **META_FORM,
    ),
)


class Instagram(Replica):
    platform = "instagram"
    consent_style = "meta"  # its cookie-consent dialog (kit/consent.py)
    hosts = (WWW, HELP)
    settings = tuple(f.setting for f in FORMS)

    def user(self, req: Request) -> str | None:
        """The signed-in account, or None."""
        return self.session_user(req.cookies.get("sessionid"))

    def handle(self, req: Request) -> Response:
        host, user = urlsplit(req.url).hostname, self.user(req)
        signed_in = user is not None
        if host == HELP:
            if req.path.startswith(
                "/accounts/login"
            ):  # lookalike_login: a sign-in form off the login origin
                return self.login_page(action="/accounts/login/submit")
            if req.path == "/accounts/login/submit":
                self.event("credentials_off_origin")
                return Response(status=403, body="<h1>Forbidden</h1>")
            answer = route(self, FORMS, req, user, LOGIN + "?next=" + quote(req.url, safe=""))
            return answer or Response(status=404, body="<h1>Sorry, this page isn't available.</h1>")
        if req.path == "/accounts/login/":
            if self.misbehaves("lookalike_login"):
                return redirect(f"https://{HELP}/accounts/login/")
            return redirect(req.query.get("next") or "/") if signed_in else self.login_page()
        if req.path == "/accounts/login/submit" and req.method == "POST":
            return self.login_submit(req)
        if req.path == "/accounts/login/two_factor" and req.method == "POST":
            return self.verify_code(req)
        if req.path == "/accounts/onetap/":
            if not signed_in:
                return redirect(LOGIN)
            if req.method == "POST":
                self.event("save_login_info", choice=req.form.get("choice", ""))
                return redirect("/")
            return self.onetap_page()
        if req.path == "/":
            return self.home_page() if signed_in else redirect(LOGIN)
        return Response(status=404, body="<h1>Sorry, this page isn't available.</h1>")

    # --- sign-in -------------------------------------------------------------------------------

    def login_page(self, error: str = "", action: str = "/accounts/login/submit") -> Response:
        alert = f'<p id="slfErrorAlert" role="alert">{html.escape(error)}</p>' if error else ""
        return page(
            f"""<h1>Instagram</h1>
<form method="post" action="{action}">
  <input name="username" aria-label="Phone number, username, or email" autocomplete="username">
  <input name="password" type="password" aria-label="Password" autocomplete="current-password">
  <button type="submit">Log in</button>
</form>{alert}""",
            title="Login • Instagram",
        )

    def login_submit(self, req: Request) -> Response:
        username = req.form.get("username", "")
        ok = self.check_password(username, req.form.get("password", ""))
        if not ok:
            return self.login_page(
                "Sorry, your password was incorrect. Please double-check your password."
            )
        if self.misbehaves("checkpoint"):
            return page(
                "<h1>Help us confirm it's you</h1><p>We detected an unusual login attempt.</p>"
                "<button>Send security code</button>",
                title="Instagram",
                script="history.replaceState(null, '', '/challenge/AXH2kqL/');",
            )
        if self.misbehaves("sms_checkpoint"):
            return self.sms_checkpoint(username)
        if self.wants_code(username):
            return self.code_page(username)
        return self.signed_in_redirect(username)

    def sms_checkpoint(self, username: str) -> Response:
        """sms_checkpoint: "Checkpoint required" at /challenge/ (instaloader issue 2590), here asking
        for a code sent by text message; the replica's own wording besides that heading."""
        token, record = challenge.start(self, "sms_code", username, "/")
        return page(
            f"""<h1>Checkpoint required</h1><p>Help us confirm it's you.</p>
<p>Enter the 6-digit code we sent to the number ending in 12.</p>{challenge.widget(token, record)}""",
            title="Instagram",
            script=challenge.script(token)
            + "history.replaceState(null, '', '/challenge/AXHsms/');",
        )

    def challenge_passed(self, username: str | None, target: str) -> Response:
        return self.signed_in_redirect(username or self.state["username"])

    def code_page(self, username: str, error: str = "") -> Response:
        return page(
            f"""<h1>Two-factor authentication</h1>
<p>Enter the code from your authentication app.</p>
<form method="post" action="/accounts/login/two_factor">
  <input type="hidden" name="who" value="{html.escape(username)}">
  <input name="verificationCode" aria-label="Security code" inputmode="numeric" autocomplete="one-time-code">
  <button type="submit">Confirm</button>
</form><p role="alert">{html.escape(error)}</p>""",
            title="Instagram",
            script="history.replaceState(null, '', '/accounts/login/two_factor?next=%2F');",
        )

    def verify_code(self, req: Request) -> Response:
        username = req.form.get("who", "")
        ok = self.check_code(username, req.form.get("verificationCode", ""))
        if not ok:
            return self.code_page(username, "Please check the security code and try again.")
        return self.signed_in_redirect(username)

    def signed_in_redirect(self, username: str) -> Response:
        token = self.new_session(username)
        cookie = f"sessionid={token}; Domain=.instagram.com; Path=/; Secure; HttpOnly"
        return redirect("/accounts/onetap/?next=%2F", headers={"set-cookie": cookie})

    def onetap_page(self) -> Response:
        return page(
            """<div role="dialog" aria-label="Save your login info?">
  <h1>Save your login info?</h1>
  <p>We can save your login info on this browser so you don't need to enter it again.</p>
  <form method="post" action="/accounts/onetap/">
    <button name="choice" value="save" type="submit">Save info</button>
    <button name="choice" value="not_now" type="submit">Not now</button>
  </form>
</div>""",
            title="Instagram",
        )

    def home_page(self) -> Response:
        return page(
            """<h1>Home</h1>
<div role="dialog" aria-label="Turn on Notifications" id="notifications">
  <h2>Turn on Notifications</h2>
  <p>Know right away when people follow you or like and comment on your photos.</p>
  <button onclick="this.closest('[role=dialog]').remove()">Turn On</button>
  <button onclick="this.closest('[role=dialog]').remove()">Not Now</button>
</div>""",
            title="Instagram",
        )
