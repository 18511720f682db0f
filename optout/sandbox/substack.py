"""Substack replica: publications at <pub>.substack.com, each with its settings page at
/publish/settings holding the "Opt out of AI training" switch (checked = blocked), and the sign-in
at substack.com/sign-in (e-mail and password). The page listing the account's publications
(substack.com/settings) is the replica's own guess, as in the flow: the research does not show it."""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from optout.sandbox.kit.peritem import PerItemReplica
from optout.sandbox.replica import Request, Response, page, redirect

#: Publications the replica can serve (tests pick which the account owns).
PUBLICATIONS = ("demo-notes", "field-journal", "weekend-kitchen", "night-shift")
LOOKALIKE = "substack.com.evil.test"


class Substack(PerItemReplica):
    platform = "substack"
    hosts = ("substack.com", LOOKALIKE) + tuple(f"{p}.substack.com" for p in PUBLICATIONS)
    setting = "ai-training"
    items_default = ("demo-notes", "field-journal")
    settings = tuple(f"ai-training/{p}" for p in items_default)
    session_cookie = ("substack.sid", ".substack.com")
    login_path = "https://substack.com/sign-in"
    title = "Substack"
    save_path = "/api/v1/publication/ai-training"

    def label(self, item: str) -> str:
        return "Opt out of AI training"

    def setting_page_frame(self, item: str, control: str) -> str:
        return f"""<h1>Settings</h1><p>{html.escape(item)}.substack.com</p>
<h2>Publication details</h2><p>Name, description and logo.</p>
{control}
<p>Tells third-party AI-tools like ChatGPT and Google Gemini that their models should not be trained
on your content. Note this may limit your discoverability.</p>"""

    def list_page(self, items: list[str]) -> Response:
        if not items:
            body = (
                "<h1>Settings</h1><h2>Publications</h2><p>You don't have a publication yet.</p>"
                '<a href="https://substack.com/create">Start a publication</a>'
            )
        elif self.misbehaves("list_changed"):
            rows = "".join(f'<li><a href="https://{p}.substack.com/">{p}</a></li>' for p in items)
            body = f"<h1>Settings</h1><h2>Your Substacks</h2><ul>{rows}</ul>"
        else:
            rows = "".join(
                f'<li>{p} <a href="https://{p}.substack.com/publish/home">Dashboard</a></li>'
                for p in items
            )
            body = f"<h1>Settings</h1><h2>Publications</h2><ul>{rows}</ul>"
        return page(body, title="Settings - Substack")

    def handle(self, req: Request) -> Response:
        host = urlsplit(req.url).hostname or ""
        if host == LOOKALIKE:
            if req.method == "POST":
                self.event("stolen", fields=sorted(req.form))
            return self.login_form(req, action=f"https://{LOOKALIKE}/steal")
        if req.path == self.save_path and req.method == "POST":
            return self.save(req)
        if host != "substack.com":
            pub = host.removesuffix(".substack.com")
            if req.path.rstrip("/") == "/publish/settings":
                return self.serve_setting(req, pub)
            return Response(status=404, body="<h1>Not found</h1>")
        if req.path == "/sign-in":
            if self.misbehaves("lookalike_login"):
                return redirect(f"https://{LOOKALIKE}/sign-in")
            if self.user(req) is not None:
                return redirect(req.query.get("redirect") or "/home")
            return self.login_form(req, action="/sign-in/submit")
        if req.path == "/sign-in/submit" and req.method == "POST":
            if self.misbehaves("checkpoint") and not self.misbehaves("wrong_password"):
                self.event("login", ok=True, user=req.form.get("email", ""), checkpoint=True)
                return page(
                    '<h1>Confirm you are human</h1><iframe title="reCAPTCHA" '
                    'src="https://www.google.com/recaptcha/api2/anchor"></iframe>',
                    title="Substack",
                    script="history.replaceState(null, '', '/sign-in/verify');",
                )
            return self.login_submit(
                req,
                home="https://substack.com/home",
                allowed_prefixes=("https://substack.com/", "/")
                + tuple(f"https://{p}.substack.com/" for p in PUBLICATIONS),
            )
        if req.path == "/settings":
            return self.serve_list(req)
        if req.path == "/home":
            if self.user(req) is None:
                return self.signed_out(req)
            return page("<h1>Home</h1><p>Your reads</p>", title="Substack")
        return Response(status=404, body="<h1>Not found</h1>")
