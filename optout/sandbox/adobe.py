"""Adobe replica: Account → Privacy and personal data, with the "Content analysis" toggle, which
saves by itself (docs/research/platforms.md §19). Sign-in is the sandbox's e-mail link; the flow only rides on a
saved session. The sign-in host's page, markup and save endpoint are the replica's own."""

from __future__ import annotations

from optout.sandbox.kit.onesetting import OneSettingReplica


class Adobe(OneSettingReplica):
    platform = "adobe"
    hosts = ("account.adobe.com", "auth.services.adobe.com")
    settings = ("content-analysis",)
    setting = "content-analysis"
    session_cookie = ("adobe_session", ".adobe.com")
    setting_url = "https://account.adobe.com/privacy"
    signin_url = "https://auth.services.adobe.com/en_US/index.html"
    title = "Adobe Account"
    page_heading = "Privacy and personal data"
    heading = "Content analysis"
    description = "Adobe may analyze your content using machine learning to improve its products and services."
    label = "Content analysis for product improvement"
