"""Atlassian replica: Atlassian Administration (admin.atlassian.com) → Security → Data contribution,
with the organisation's "In-app data contribution" switch, which saves by itself. The path is the
one Atlassian's support page gives (Atlassian Administration, then Security, then Data
contribution); the organisation's id in the URLs, the markup, the save endpoint and the page a
member without admin access sees (`absent`) are the replica's own. Sign-in (id.atlassian.com) is
the sandbox's e-mail link; the flow only rides on a saved session."""

from __future__ import annotations

from optout.sandbox.kit.onesetting import OneSettingReplica
from optout.sandbox.replica import Request, Response, page, redirect

ORG = "/o/5b1c0d2e-sandbox"
NO_ACCESS = (
    "<h1>You don't have admin access</h1><p>Only organization admins can open Atlassian "
    "Administration. Ask an admin of your organization for access.</p>"
)


class Atlassian(OneSettingReplica):
    platform = "atlassian"
    hosts = ("admin.atlassian.com", "id.atlassian.com")
    settings = ("in-app-data-contribution",)
    setting = "in-app-data-contribution"
    session_cookie = ("cloud.session.token", ".atlassian.com")
    setting_url = f"https://admin.atlassian.com{ORG}/security/data-contribution"
    signin_url = "https://id.atlassian.com/login"
    title = "Atlassian Administration"
    page_heading = "Data contribution"
    heading = "In-app data contribution"
    description = (
        "Allow Atlassian to use in-app data from this organization to improve Atlassian apps "
        "and AI experiences for all customers. Metadata is always contributed on your plan."
    )
    label = "In-app data contribution"
    changed_label = "Contribute app data to improve AI for everyone"
    foreign = ("de", "Beitrag von In-App-Daten", ("Aus", "An"))

    def frame(self, section: str) -> str:
        return (
            f'<nav><a href="{ORG}/overview">Overview</a> <a href="{ORG}/security">Security</a></nav>'
            f"<h1>Data contribution</h1>{section}"
        )

    def absent_section(self) -> str:
        return NO_ACCESS

    def other(self, req: Request, host: str, path: str) -> Response | None:
        if host != "admin.atlassian.com" or req.method != "GET":
            return None
        if path not in ("/", f"{ORG}/overview", f"{ORG}/security"):
            return None
        if self.user(req) is None:
            return redirect(f"{self.signin_url}?return_to=https%3A%2F%2Fadmin.atlassian.com%2F")
        if self.misbehaves("absent"):  # a member of the organisation, not one of its admins
            return page(NO_ACCESS, title=self.title)
        if path == "/":
            return redirect(f"{ORG}/overview")
        nav = f'<nav><a href="{ORG}/overview">Overview</a> <a href="{ORG}/security">Security</a></nav>'
        if path.endswith("/overview"):
            return page(f"{nav}<h1>Overview</h1><p>Sandbox Org · Free plan</p>", title=self.title)
        return page(
            f"""{nav}<h1>Security</h1><ul>
<li><a href="{ORG}/security/authentication-policies">Authentication policies</a></li>
<li><a href="{ORG}/security/data-contribution">Data contribution</a></li>
<li><a href="{ORG}/security/data-security-policies">Data security policies</a></li></ul>""",
            title=self.title,
        )
