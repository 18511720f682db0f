"""WordPress.com replica: one General settings page per site at /settings/general/<site> with the
Privacy switch "Prevent third-party data sharing" (checked = shared with no one), and a sign-in
form for a person (`optout --sandbox login wordpress`): the flow itself never signs in. The page
listing the account's sites (/sites, linking each to /home/<site>) is the replica's own guess, as in
the flow: the research does not show it."""

from __future__ import annotations

import html
import re

from optout.sandbox import Request, Response, page, redirect
from optout.sandbox.kit.peritem import PerItemReplica

SITE_SETTINGS = re.compile(r"^/settings/general/([A-Za-z0-9.-]+)/?$")


class WordPress(PerItemReplica):
    platform = "wordpress"
    hosts = ("wordpress.com",)
    setting = "third-party-sharing"
    items_default = ("demo-notes.wordpress.com", "family-recipes.blog")
    settings = tuple(f"third-party-sharing/{s}" for s in items_default)
    session_cookie = ("wordpress_logged_in", ".wordpress.com")
    login_path = "https://wordpress.com/log-in"
    title = "WordPress.com"
    save_path = "/wpcom/v2/sites/settings/third-party-sharing"

    def label(self, item: str) -> str:
        return "Prevent third-party data sharing"

    def setting_page_frame(self, item: str, control: str) -> str:
        return f"""<h1>General Settings</h1><p>{html.escape(item)}</p>
<h2>Site profile</h2><p>Site title, tagline, language.</p>
{control}"""

    def list_page(self, items: list[str]) -> Response:
        if not items:
            rows = "<p>You don't have any sites yet.</p><a href=\"/start\">Create your first site</a>"
        elif self.misbehaves("list_changed"):
            rows = "".join(f'<li><a href="/site-overview?site={s}">{s}</a></li>' for s in items)
        else:
            rows = "".join(f'<li><a href="/home/{s}">{s}</a></li>' for s in items)
        return page(f"<h1>Sites</h1><ul>{rows}</ul>", title="Sites — WordPress.com")

    def handle(self, req: Request) -> Response:
        if req.path == self.save_path and req.method == "POST":
            return self.save(req)
        if req.path == "/log-in":
            if self.user(req) is not None:
                return redirect("/sites")
            return self.login_form(req, action="/log-in/submit")
        if req.path == "/log-in/submit" and req.method == "POST":
            return self.login_submit(req, home="/sites", allowed_prefixes=("https://wordpress.com/",))
        if req.path == "/sites":
            return self.serve_list(req)
        if m := SITE_SETTINGS.match(req.path):
            return self.serve_setting(req, m.group(1))
        if req.path.startswith("/home/"):
            if self.user(req) is None:
                return self.signed_out(req)
            return page("<h1>My Home</h1>", title="WordPress.com")
        return Response(status=404, body="<h1>Page not found</h1>")
