"""Grammarly replica: the account's privacy page with the "Product Improvement and Training" toggle
(docs/research/platforms.md §18). Sign-in is the sandbox's e-mail link; the flow only rides on a saved session.
The sign-in URL, markup and save endpoint are the replica's own."""

from __future__ import annotations

from optout.sandbox.kit.onesetting import OneSettingReplica


class Grammarly(OneSettingReplica):
    platform = "grammarly"
    hosts = ("account.grammarly.com", "www.grammarly.com")
    settings = ("product-improvement-training",)
    setting = "product-improvement-training"
    session_cookie = ("grauth", ".grammarly.com")
    setting_url = "https://account.grammarly.com/security/privacy"
    signin_url = "https://www.grammarly.com/signin"
    title = "Grammarly Account"
    page_heading = "Privacy"
    heading = "Product Improvement and Training"
    description = (
        "When this is on, Grammarly may use your content to improve and train its products."
    )
    label = "Product Improvement and Training"
