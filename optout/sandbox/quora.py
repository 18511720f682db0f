"""Quora replica: the privacy settings page with the toggle "Allow large language models to be
trained on your content" (docs/research/platforms.md §5), a checkbox input with role switch. Signed-out visits
land on quora.com's front page, which is also where the sandbox's e-mail-link sign-in is. URL,
markup and save endpoint are the replica's own guesses, as the flow's are (L)."""

from __future__ import annotations

from optout.sandbox.kit.onesetting import OneSettingReplica


class Quora(OneSettingReplica):
    platform = "quora"
    hosts = ("www.quora.com",)
    settings = ("llm-training",)
    setting = "llm-training"
    session_cookie = ("m-b", ".quora.com")
    setting_url = "https://www.quora.com/settings/privacy"
    signin_url = "https://www.quora.com/"
    title = "Quora"
    page_heading = "Privacy"
    heading = "Large language models"
    input_switch = True
    label = "Allow large language models to be trained on your content"
