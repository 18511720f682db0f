"""Tumblr replica: one settings page per blog at /settings/blog/<blog> with the Visibility switch
"Prevent third-party sharing for <blog>" (checked = shared with no one), and a sign-in form for a
person (`optout --sandbox login tumblr`): the flow itself never signs in. The page listing the
account's blogs (/settings/account, linking each blog's settings) is the replica's own guess, as in
the flow: the research does not show it."""

from __future__ import annotations

import html
import re

from optout.sandbox.kit.peritem import PerItemReplica
from optout.sandbox.replica import Request, Response, page, redirect

BLOG_SETTINGS = re.compile(r"^/settings/blog/([A-Za-z0-9-]+)/?$")


class Tumblr(PerItemReplica):
    platform = "tumblr"
    hosts = ("www.tumblr.com",)
    setting = "third-party-sharing"
    items_default = ("demo-blog", "sketchbook")
    settings = tuple(f"third-party-sharing/{b}" for b in items_default)
    session_cookie = ("sid", ".tumblr.com")
    login_path = "https://www.tumblr.com/login"
    title = "Tumblr"
    section = "Visibility"
    save_path = "/api/v2/blog/settings/third-party-sharing"

    def label(self, item: str) -> str:
        return f"Prevent third-party sharing for {item}"

    def setting_page_frame(self, item: str, control: str) -> str:
        return f"""<h1>Blog settings: {html.escape(item)}</h1>
<h2>Membership</h2><p>Group blog members.</p>
{control}
<p>This will prevent your blog's content from being shared with licensed third-party partners,
including AI platforms.</p>"""

    def list_page(self, items: list[str]) -> Response:
        if not items:
            nav = "<p>You don't have any blogs.</p>"
        elif self.misbehaves("list_changed"):
            nav = "".join(f'<li><a href="/blog/{b}">{b}</a></li>' for b in items)
        else:
            nav = "".join(f'<li><a href="/settings/blog/{b}">{b}</a></li>' for b in items)
        body = (
            f'<nav aria-label="Settings"><a href="/settings/account">Account</a>'
            f"<h2>Blogs</h2><ul>{nav}</ul></nav><h1>Account</h1><p>Email, password, security.</p>"
        )
        return page(body, title="Settings | Tumblr")

    def handle(self, req: Request) -> Response:
        if req.path == self.save_path and req.method == "POST":
            return self.save(req)
        if req.path == "/login":
            if self.user(req) is not None:
                return redirect("/dashboard")
            return self.login_form(req, action="/login/submit")
        if req.path == "/login/submit" and req.method == "POST":
            return self.login_submit(
                req, home="/dashboard", allowed_prefixes=("https://www.tumblr.com/",)
            )
        if req.path == "/settings/account":
            return self.serve_list(req)
        if m := BLOG_SETTINGS.match(req.path):
            return self.serve_setting(req, m.group(1))
        if req.path == "/dashboard":
            if self.user(req) is None:
                return self.signed_out(req)
            return page("<h1>Dashboard</h1>", title="Tumblr")
        return Response(status=404, body="<h1>There's nothing here.</h1>")
