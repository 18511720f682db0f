"""Medium replica: Settings → Account with "Third-party AI and your stories", a choice between
"Minimize third-party training" and "Prioritize maximum reach (Default)" as two radio buttons
(docs/research/platforms.md §20). Medium signs in by e-mail link, Google or Apple; the sandbox's e-mail link
stands for all of them, and the flow only rides on a saved session. Markup and save endpoint are
the replica's own."""

from __future__ import annotations

from optout.sandbox.kit.onesetting import OneSettingReplica


class Medium(OneSettingReplica):
    platform = "medium"
    hosts = ("medium.com",)
    settings = ("third-party-ai",)
    setting = "third-party-ai"
    session_cookie = ("sid", "medium.com")
    setting_url = "https://medium.com/me/settings/account"
    signin_url = "https://medium.com/m/signin"
    title = "Settings – Medium"
    page_heading = "Account"
    heading = "Third-party AI and your stories"
    description = "Choose how your stories are signalled to AI companies."
    kind = "radio"
    choices = ("Minimize third-party training", "Prioritize maximum reach (Default)")
    changed_choices = ("Limit AI crawlers", "Allow AI crawlers (Default)")
    foreign = (
        "de",
        "",
        ("Training durch Dritte minimieren", "Maximale Reichweite priorisieren (Standard)"),
    )
