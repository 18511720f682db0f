"""Pinterest replica: Settings → Privacy and data, whose "Manage GenAI settings" part holds the
toggle "Use your data to train Pinterest Canvas" (docs/research/platforms.md §6). Where Pinterest does not offer
it (UK/EU, by the research's inference: `absent`), the page shows its other privacy settings and no
GenAI part at all. Sign-in is the sandbox's e-mail link; the flow only rides on a saved session.
Markup, the personalisation text and the save endpoint are the replica's own."""

from __future__ import annotations

import html

from optout.sandbox.kit.onesetting import OneSettingReplica

PERSONALISATION = """
<section aria-labelledby="personalisation-heading">
  <h2 id="personalisation-heading">Personalisation</h2>
  <p>Choose how Pinterest personalises what you see.</p>
</section>"""


class Pinterest(OneSettingReplica):
    platform = "pinterest"
    hosts = ("www.pinterest.com",)
    settings = ("canvas-training",)
    setting = "canvas-training"
    session_cookie = ("_pinterest_sess", ".pinterest.com")
    setting_url = "https://www.pinterest.com/settings/privacy"
    signin_url = "https://www.pinterest.com/login/"
    title = "Pinterest"
    page_heading = "Privacy and data"
    heading = "Manage GenAI settings"
    description = (
        "When you save or upload content to Pinterest, we may use it to improve the accuracy, "
        "safety and overall performance of Pinterest Canvas."
    )
    label = "Use your data to train Pinterest Canvas"
    changed_label = "Use your Pins to improve generative AI features"

    def frame(self, section: str) -> str:
        return f"<h1>{html.escape(self.page_heading)}</h1>{PERSONALISATION}{section}"
