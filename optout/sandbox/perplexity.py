"""Perplexity replica: Settings → Preferences with its "Artificial Intelligence" section.

Perplexity has no password: a person signs in by e-mailed code, Google or Apple (docs/research/platforms.md
§11), so the flow has no sign-in steps and relies on the session `optout login perplexity` saved
(`storage_state()` stands in for it). Signed out, the page offers a "Sign In" button, which the
flow takes as signed out (an assumption, see flows/perplexity.yaml). The e-mail form records every
address submitted as a `code_requested` event. The session cookie, the save endpoint and the page
texts other than the labels are the replica's own."""

from __future__ import annotations

from optout.sandbox.kit.assistant import Toggle, rows, save, settings_page
from optout.sandbox.replica import Replica, Request, Response, page

SETTINGS_PATH = "/settings/preferences"
SAVE_PATH = "/rest/user/settings"
COOKIE = "__Secure-next-auth.session-token"
TOGGLES = [
    Toggle(
        "ai-data-retention",
        "AI data retention",
        changed="Help train our models",
        foreign="Conservation des données pour l'IA",
        hint="Allow us to retain your search data to improve our AI models.",
    )
]


class Perplexity(Replica):
    platform = "perplexity"
    hosts = ("www.perplexity.ai",)
    settings = ("ai-data-retention",)
    session_cookie = (COOKIE, "www.perplexity.ai")

    def user(self, req: Request) -> str | None:
        return self.session_user(req.cookies.get(COOKIE))

    def handle(self, req: Request) -> Response:
        if req.path == "/auth/signin/email" and req.method == "POST":
            self.event("code_requested", email=req.form.get("email", ""))
            return page("<h1>Check your email</h1>", title="Perplexity")
        if req.path in ("/", SETTINGS_PATH):
            user = self.user(req)
            if user is None:
                return page(
                    """<h1>Where knowledge begins</h1>
<button type="button" onclick="document.getElementById('signin').hidden=false">Sign In</button>
<div id="signin" role="dialog" aria-label="Sign in" hidden>
<form method="post" action="/auth/signin/email"><label for="email">Email</label><input id="email" name="email" type="email">
<button type="submit">Continue with email</button></form><button type="button">Continue with Google</button>
<button type="button">Continue with Apple</button></div>""",
                    title="Perplexity",
                )
            if req.path == "/":
                return page(
                    "<h1>Where knowledge begins</h1><textarea aria-label='Ask anything'></textarea>",
                    title="Perplexity",
                )
            return self.preferences(user)
        if req.path == SAVE_PATH and req.method == "POST":
            return save(self, req, self.user(req))
        return Response(status=404, body="<h1>Page not found</h1>")

    def preferences(self, user: str) -> Response:
        # absent: enterprise accounts do not have the toggle (no known page says why).
        inner = "" if self.misbehaves("absent") else rows(TOGGLES, self.settings_of(user), self)
        body = f"""<nav><a href="/settings/account">Account</a> <a aria-current="page" href="{SETTINGS_PATH}">Preferences</a>
<a href="/settings/api">API</a></nav><h1>Preferences</h1>
<section aria-labelledby="ai-heading"><h2 id="ai-heading">Artificial Intelligence</h2>{inner}</section>
<section><h2>Appearance</h2><div class="row"><span>Theme</span><button type="button">System</button></div></section>"""
        return settings_page(self, body, title="Preferences | Perplexity", save_path=SAVE_PATH)
