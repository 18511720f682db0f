"""Claude replica: Settings → Privacy at claude.ai/settings/data-privacy-controls.

Claude has no password: a person signs in by e-mailed code or link, or Google (docs/research/platforms.md §9),
so the flow has no sign-in steps and relies on the session `optout login claude` saved
(`storage_state()` stands in for it). The sign-in page records every e-mail address submitted to
it as a `code_requested` event, so tests can assert optout never asks Claude to mail a code.

The state key `label` picks the toggle's name: "Help improve Claude" (the help article's) or
"relabelled" for "Help improve our AI models" (a 2026-10 live read). The session cookie name, the
save endpoint and the checkpoint page are the replica's own."""

from __future__ import annotations

from urllib.parse import quote

from optout.sandbox.kit.assistant import Toggle, rows, save, settings_page
from optout.sandbox.replica import Replica, Request, Response, page, redirect

SETTINGS_PATH = "/settings/data-privacy-controls"
SAVE_PATH = "/api/account/settings"
COOKIE = "sessionKey"
LABELS = {"original": "Help improve Claude", "relabelled": "Help improve our AI models"}
CLOUDFLARE = (
    '<iframe title="Widget containing a Cloudflare security challenge" '
    'src="https://challenges.cloudflare.com/cdn-cgi/challenge-platform/"></iframe>'
)


def toggle(label: str) -> Toggle:
    return Toggle(
        "help-improve",
        label,
        changed="Use my conversations for research",
        foreign="Aider à améliorer Claude",
        hint="Allow the use of your chats and coding sessions to train and improve Anthropic AI models.",
    )


class Claude(Replica):
    platform = "claude"
    hosts = ("claude.ai",)
    settings = ("help-improve",)
    session_cookie = (COOKIE, "claude.ai")

    def fresh_state(self) -> dict:
        return {**super().fresh_state(), "label": "original"}

    def user(self, req: Request) -> str | None:
        return self.session_user(req.cookies.get(COOKIE))

    def handle(self, req: Request) -> Response:
        if req.path == "/login":
            if req.method == "POST":
                self.event("code_requested", email=req.form.get("email", ""))
                return page("<h1>Check your email</h1><p>We sent you a code.</p>", title="Claude")
            if self.user(req):
                return redirect("/new")
            return page(
                """<h1>Your ideas, amplified</h1>
<button type="button">Continue with Google</button><p>OR</p>
<form method="post" action="/login"><label for="email">Email</label>
<input id="email" name="email" type="email"><button type="submit">Continue with email</button></form>""",
                title="Claude",
            )
        if req.path == "/new":
            if not self.user(req):
                return redirect("/login")
            return page("<h1>How can I help you today?</h1>", title="Claude")
        if req.path == SETTINGS_PATH:
            user = self.user(req)
            if user is None:
                return redirect("/login?returnTo=" + quote(SETTINGS_PATH, safe=""))
            if self.misbehaves("checkpoint"):
                return page(f"<h1>Verify you are human</h1>{CLOUDFLARE}", title="Just a moment...")
            return self.privacy(user)
        if req.path == SAVE_PATH and req.method == "POST":
            return save(self, req, self.user(req))
        return Response(status=404, body="<h1>Not found</h1>")

    def privacy(self, user: str) -> Response:
        # absent: Team and Enterprise plans do not have the toggle (no known page says why).
        inner = (
            ""
            if self.misbehaves("absent")
            else rows([toggle(LABELS[self.state["label"]])], self.settings_of(user), self)
        )
        body = f"""<nav><a href="/settings/profile">Profile</a> <a href="/settings/billing">Billing</a>
<a aria-current="page" href="{SETTINGS_PATH}">Privacy</a></nav>
<h1>Privacy</h1><p>Anthropic believes in transparent data practices.</p>
<section aria-label="Privacy settings">{inner}
<div class="row"><span>Export data</span><button type="button">Export data</button></div></section>"""
        return settings_page(self, body, title="Settings - Claude", save_path=SAVE_PATH)
