"""ChatGPT Codex's settings page (chatgpt.com/codex/cloud/settings/general), served by the ChatGPT
replica: the "Include environments" toggle, which decides whether Codex environments go into model
training independently of ChatGPT's "Improve the model for everyone" (docs/research/evidence-2026-12.md). The
toggle is built like the other assistant toggles (role=switch named by its label, flipped before
the server answers); the markup, the hint and the page around it are the replica's own. This module
defines no replica: the ChatGPT replica routes CODEX_PATH here."""

from __future__ import annotations

from optout.sandbox.kit.assistant import Toggle, rows, settings_page
from optout.sandbox.replica import Replica, Request, Response, redirect

CODEX_PATH = "/codex/cloud/settings/general"
TOGGLES = [
    Toggle(
        "include-environments",
        "Include environments",
        changed="Share environment data to improve Codex",
        foreign="Inclure les environnements",
        hint="Allow your Codex environments, including their code, to be used to train our models.",
    )
]
CODEX_SETTINGS = tuple(t.setting for t in TOGGLES)


def codex_settings(replica: Replica, req: Request, user: str | None, *, save_path: str) -> Response:
    """Codex → Settings → General; a signed-out visit goes to ChatGPT's sign-in."""
    if user is None:
        return redirect("/auth/login")
    inner = (
        "" if replica.misbehaves("absent") else rows(TOGGLES, replica.settings_of(user), replica)
    )
    body = f"""<nav><a href="/codex">Codex</a> › Settings</nav>
<div role="tablist"><button role="tab" aria-selected="true">General</button>
<button role="tab" aria-selected="false">Environments</button></div>
<section><h2>General</h2>
<div class="row"><span>Branch format</span><input aria-label="Branch format" value="codex/{{feature}}"></div>
<h3>Data controls</h3>{inner}</section>"""
    return settings_page(replica, body, title="Codex", save_path=save_path)
