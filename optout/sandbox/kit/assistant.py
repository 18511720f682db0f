"""What the AI-assistant replicas share (ChatGPT, Claude, Perplexity, Copilot): rows of training
toggles built the way Radix-style React apps build them, a `<button role="switch" aria-checked>`
named by its label, flipped on screen before the server answers; the save endpoint behind them; and
the page-level misbehaviours (slow_render, label_gone, language).

No platform lives in this module (it defines no Replica with a `platform`). Every save the replicas
receive is recorded as a `save` event (setting, on, status), so tests can assert that nothing was
clicked. Texts other than the platforms' labels are the replicas' own."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

from optout.sandbox.replica import Replica, Request, Response, late_page, page, redirect

CSS = """
.row{display:flex;justify-content:space-between;align-items:center;gap:16px;padding:12px 0;
  border-bottom:1px solid #eee}
.row p{margin:4px 0 0;color:#666;font-size:14px}
button[role=switch]{width:40px;height:24px;border-radius:12px;border:0;background:#ccc;position:relative}
button[role=switch][aria-checked=true]{background:#10a37f}
button[role=switch] span{position:absolute;top:3px;left:3px;width:18px;height:18px;border-radius:9px;
  background:#fff;transition:left .1s}
button[role=switch][aria-checked=true] span{left:19px}
"""


@dataclass(frozen=True)
class Toggle:
    setting: str
    #: The label the flow knows (docs/research/platforms.md).
    label: str
    #: label_gone: what the platform might call it one day.
    changed: str
    #: language: the label in the replica's other language.
    foreign: str
    hint: str = ""


#: The other UI language of the replicas (none of these flows knows it).
FOREIGN_LANG = "fr"


def rows(
    toggles: list[Toggle], values: dict[str, bool], replica: Replica, *, disabled: bool = False
) -> str:
    """One row per toggle: the label, its hint, and the switch named by the label (aria-labelledby).
    locked_on / locked_off show every switch greyed out, on or off whatever the account chose."""
    out = []
    for t in toggles:
        label = t.label
        if replica.misbehaves("label_gone"):
            label = t.changed
        if replica.misbehaves("language"):
            label = t.foreign
        on = values[t.setting]
        locked = disabled or replica.misbehaves("locked_on") or replica.misbehaves("locked_off")
        if replica.misbehaves("locked_on") or replica.misbehaves("locked_off"):
            on = replica.misbehaves("locked_on")
        out.append(f"""
<div class="row"><div><div id="label-{t.setting}">{html.escape(label)}</div><p>{html.escape(t.hint)}</p></div>
<button type="button" role="switch" aria-checked="{str(on).lower()}" data-state="{"checked" if on else "unchecked"}"
  aria-labelledby="label-{t.setting}" data-setting="{t.setting}"{" disabled" if locked else ""}><span></span></button></div>""")
    return "".join(out) + '<div id="toast" role="status"></div>'


def switch_script(save_path: str) -> str:
    """Optimistic toggles: the switch flips at once, then the change is sent."""
    return f"""
function bindSwitches() {{
  document.querySelectorAll('button[role=switch][data-setting]').forEach(sw => {{
    if (sw.dataset.bound) return;
    sw.dataset.bound = '1';
    sw.addEventListener('click', async () => {{
      const on = sw.getAttribute('aria-checked') !== 'true';
      sw.setAttribute('aria-checked', String(on));
      sw.dataset.state = on ? 'checked' : 'unchecked';
      const r = await fetch({json.dumps(save_path)}, {{method: 'POST',
        headers: {{'content-type': 'application/json'}},
        body: JSON.stringify({{setting: sw.dataset.setting, on}})}});
      document.getElementById('toast').textContent = r.ok ? 'Saved' : 'Something went wrong. Try again.';
    }});
  }});
}}
bindSwitches();"""


def huge_body(megabytes: int = 5) -> str:
    """About `megabytes` MB of plain paragraphs and no control (the `huge_page` misbehaviour)."""
    paragraph = "<p>" + "A long page of text with no setting on it. " * 23 + "</p>\n"
    return "<main>" + paragraph * (megabytes * 1024 * 1024 // len(paragraph)) + "</main>"


def settings_page(
    replica: Replica, body: str, *, title: str, save_path: str, extra_script: str = ""
) -> Response:
    """A settings page around `body` (which holds the rows): slow_render inserts it 2 s late;
    language serves it in the replica's other language."""
    lang = FOREIGN_LANG if replica.misbehaves("language") else "en"
    script = switch_script(save_path) + extra_script
    styled = f"<style>{CSS}</style>"
    if replica.misbehaves("huge_page"):
        return page(styled + huge_body(), title=title, lang=lang)
    if replica.misbehaves("slow_render") or replica.misbehaves("slow_fetch"):
        return late_page(
            body,
            title=title,
            lang=lang,
            script=script,
            keep=styled,
            fetching=replica.misbehaves("slow_fetch"),
        )
    return page(styled + body, title=title, lang=lang, script=script)


def save(replica: Replica, req: Request, user: str | None) -> Response:
    """The save endpoint: records every attempt; save_fails answers 500, reverts forgets it."""
    if user is None:
        return Response(
            status=401, body='{"error":"unauthorized"}', content_type="application/json"
        )
    payload = req.json or {}
    setting, on = str(payload.get("setting", "")), bool(payload.get("on"))
    settings = replica.settings_of(user)
    if setting not in settings:
        return Response(
            status=400, body='{"error":"unknown setting"}', content_type="application/json"
        )
    if not replica.saved(settings, setting, on, setting=setting, on=on):
        return Response(status=500, body='{"error":"internal"}', content_type="application/json")
    return Response(body='{"ok":true}', content_type="application/json")


def session_cookie_header(name: str, token: str, domain: str | None = None) -> dict[str, str]:
    scope = f"; Domain={domain}" if domain else ""
    return {"set-cookie": f"{name}={token}; Path=/{scope}; Secure; HttpOnly; SameSite=Lax"}


def session_callback(replica: Replica, req: Request, cookie: str, *, signed_out: str) -> Response:
    """Where the sign-in host sends the browser with a new session (?token=): set its cookie and go
    home; a token that is no live session goes to `signed_out` instead."""
    token = req.query.get("token", "")
    if token not in replica.state["sessions"]:
        return redirect(signed_out)
    return redirect("/", headers=session_cookie_header(cookie, token))
