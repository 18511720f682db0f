"""Facebook replica: sign-in (input[name=email], input[name=pass] with generated ids, as in Jan
2026, and button[name=login]), the 2FA code page and a security checkpoint (both under /checkpoint/,
as on Facebook), and Meta's two "right to object" forms for AI at Meta: the Facebook one and the one
for information from third parties, which first asks what the request is about. The button reads
"Send" and the confirmation uses Meta's 2025 wording (docs/research/evidence-2026-12.md); `older_wording` gives
the older "Submit" and "We've received your objection"."""

from __future__ import annotations

import html
from urllib.parse import quote

from optout.sandbox.kit import challenge
from optout.sandbox.kit.objection import ObjectionForm, route
from optout.sandbox.replica import Replica, Request, Response, page, redirect

INTRO = "I want to object to the use of my information for Meta AI"
#: Meta's 2025 confirmation (tg24.sky.it 2025-05-27, translated) and its button.
META_FORM = {
    "submit": "Send",
    "received": "Your request will be applied going forward to AI at Meta. "
    "We'll send you an email with more details.",
}
THIRD_PARTY_CHOICE = (
    "What would you like to do?",
    "radio",
    "I want to object to or restrict the use of my information from third parties for AI at Meta",
    ("I have another concern about how my information from third parties is used",),
)
FORMS = (
    ObjectionForm(
        setting="ai-objection",
        path="/help/contact/6359191084165019",
        title="Right to object | Facebook Help Center",
        heading="Right to object: AI at Meta",
        intro=INTRO,
        **META_FORM,
    ),
    ObjectionForm(
        setting="third-party-objection",
        path="/help/contact/510058597920541",
        title="Information from third parties | Facebook Help Center",
        heading="Right to object: information from third parties used for AI at Meta",
        intro="Use this form to object to or restrict the use of information about you from third parties "
        "for AI at Meta.",
        choice=THIRD_PARTY_CHOICE,
        **META_FORM,
    ),
)


class Facebook(Replica):
    platform = "facebook"
    consent_style = "meta"  # its cookie-consent dialog (kit/consent.py)
    hosts = ("www.facebook.com",)
    settings = tuple(f.setting for f in FORMS)

    def user(self, req: Request) -> str | None:
        """The signed-in account, or None."""
        return self.session_user(req.cookies.get("c_user_session"))

    def handle(self, req: Request) -> Response:
        user = self.user(req)
        signed_in = user is not None
        answer = route(self, FORMS, req, user, "/login/?next=" + quote(req.url, safe=""))
        if answer is not None:
            return answer
        if req.path in ("/login", "/login/", "/login.php"):
            return redirect("/") if signed_in else self.login_page()
        if req.path == "/login/submit" and req.method == "POST":
            return self.login_submit(req)
        if req.path == "/checkpoint/approvals" and req.method == "POST":
            return self.verify_code(req)
        if req.path == "/":
            if not signed_in:
                return self.login_page()
            return page(
                '<h1>Feed</h1><nav aria-label="Facebook"><a href="/">Home</a></nav>',
                title="Facebook",
            )
        return Response(status=404, body="<h1>This page isn't available</h1>")

    # --- sign-in -------------------------------------------------------------------------------

    def login_page(self, error: str = "") -> Response:
        alert = f'<div id="error_box" role="alert">{html.escape(error)}</div>' if error else ""
        return page(
            f"""<h1>Log in to Facebook</h1>{alert}
<form method="post" action="/login/submit">
  <input id="_r_e_" name="email" type="text" placeholder="Email address or phone number" aria-label="Email address or phone number" autocomplete="username">
  <input id="_r_h_" name="pass" type="password" placeholder="Password" aria-label="Password" autocomplete="current-password">
  <button name="login" type="submit">Log in</button>
</form>""",
            title="Log in to Facebook",
        )

    def login_submit(self, req: Request) -> Response:
        username = req.form.get("email", "")
        ok = self.check_password(username, req.form.get("pass", ""))
        if not ok:
            return self.login_page("The password that you've entered is incorrect.")
        if self.misbehaves("checkpoint"):
            return page(
                "<h1>Security check</h1><p>To continue, complete the security check below.</p>"
                '<iframe title="Security check" src="https://www.fbsbx.com/captcha/"></iframe>',
                title="Facebook",
                script="history.replaceState(null, '', '/checkpoint/828281030927956/');",
            )
        if self.misbehaves("approve_login"):
            return self.approval_page(username)
        if self.wants_code(username):
            return self.code_page(username)
        return self.signed_in_redirect(username)

    def approval_page(self, username: str) -> Response:
        """approve_login: the page waits while the person approves elsewhere (mautrix/meta issue 44
        quotes the sentence; the heading is the replica's own); a test approves with approve()."""
        token, _ = challenge.start(self, "app_approval", username, "/")
        return page(
            """<h1>Check your notifications on another device</h1>
<p>We sent a notification to your other device. To continue, approve this login on a phone or computer
you've used before.</p><p role="status">Waiting for approval…</p>""",
            title="Facebook",
            script=challenge.script(token, poll=True)
            + "history.replaceState(null, '', '/checkpoint/?next');",
        )

    def challenge_passed(self, username: str | None, target: str) -> Response:
        return self.signed_in_redirect(username or self.state["username"])

    def code_page(self, username: str, error: str = "") -> Response:
        return page(
            f"""<h1>Two-factor authentication required</h1>
<p>Enter the 6-digit code from your authentication app.</p>
<form method="post" action="/checkpoint/approvals">
  <input type="hidden" name="who" value="{html.escape(username)}">
  <input id="approvals_code" name="approvals_code" aria-label="Login code" autocomplete="one-time-code">
  <p role="alert">{html.escape(error)}</p>
  <button type="submit">Continue</button>
</form>""",
            title="Facebook",
            script="history.replaceState(null, '', '/checkpoint/?next');",
        )

    def verify_code(self, req: Request) -> Response:
        username = req.form.get("who", "")
        ok = self.check_code(username, req.form.get("approvals_code", ""))
        if not ok:
            return self.code_page(
                username, "The login code you entered doesn't match the one sent to your phone."
            )
        return self.signed_in_redirect(username)

    def signed_in_redirect(self, username: str) -> Response:
        token = self.new_session(username)
        return redirect(
            "/", headers={"set-cookie": f"c_user_session={token}; Path=/; Secure; HttpOnly"}
        )
