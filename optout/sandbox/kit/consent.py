"""Cookie-consent dialogs shaped like the real ones (from DuckDuckGo autoconsent's rules and saved
pages, see flows/*.yaml), shown by any replica under the `cookie_consent*` misbehaviours. The
dialog covers the whole page (a click on the sign-in form hits the overlay), declining sets a
cookie so it does not return, and every choice, and any typing while it shows, is reported to
CONSENT_PATH for the tests to assert on."""

from __future__ import annotations

import html
import json

#: Where the dialog's script reports a choice ("accept", "decline") or typing under it ("typed").
CONSENT_PATH = "/__sandbox/consent"
#: The cookie declining (or accepting) sets, per replica host's registrable domain.
CONSENT_COOKIE = "sandbox_cookie_consent"

#: (accept, decline, reworded decline, reworded accept) per dialog style.
WORDS = {
    "meta": (
        "Allow all cookies",
        "Decline optional cookies",
        "Only allow essential cookies",
        "Allow essential and optional cookies",
    ),
    "linkedin": ("Accept", "Reject", "Ablehnen", "Akzeptieren"),
    "x": ("Accept all cookies", "Refuse non-essential cookies", None, None),
    "generic": ("Accept all", "Reject all", "Only necessary cookies", "Allow all"),
}

SCRIPT = """
(() => {
  const report = (choice) => fetch(%(path)s, {method: 'POST', keepalive: true,
    headers: {'content-type': 'application/x-www-form-urlencoded'}, body: 'choice=' + choice});
  const show = () => {
    if (document.getElementById('sandbox-consent')) return;
    const holder = document.createElement('div');
    holder.innerHTML = %(html)s;
    document.body.appendChild(holder.firstElementChild);
    document.querySelectorAll('#sandbox-consent [data-choice]').forEach((b) => b.addEventListener('click', () => {
      const choice = b.dataset.choice;
      const domain = location.hostname.split('.').slice(-2).join('.');
      document.cookie = %(cookie)s + '=' + choice + '; path=/; domain=' + domain + '; secure; samesite=lax';
      report(choice);
      document.getElementById('sandbox-consent').remove();
    }));
  };
  document.addEventListener('input', () => {
    if (document.getElementById('sandbox-consent')) report('typed');
  }, true);
  if (%(delay)d > 0) setTimeout(show, %(delay)d); else show();
})();
"""


def _button(style: str, label: str, choice: str, extra: str = "") -> str:
    label_e = html.escape(label)
    if style == "meta" and choice == "decline" and "essential" in label:
        return f'<button title="{label_e}" data-choice="{choice}" {extra}>{label_e}</button>'
    if style == "meta":  # Facebook's desktop controls: role=button with the name in aria-label
        return (
            f'<div role="button" tabindex="0" aria-label="{label_e}" data-choice="{choice}" {extra}>'
            f"<span>{label_e}</span></div>"
        )
    if style == "x":
        return f'<button role="button" data-choice="{choice}"><span>{label_e}</span></button>'
    return f'<button data-choice="{choice}" {extra}>{label_e}</button>'


def dialog_html(
    style: str, brand: str, *, reworded: bool = False, accept_only: bool = False
) -> str:
    accept, decline, other_decline, other_accept = WORDS.get(style, WORDS["generic"])
    if reworded and other_decline:
        accept, decline = other_accept, other_decline
    accept_b = _button(
        style,
        accept,
        "accept",
        'action-type="ACCEPT"'
        if style == "linkedin"
        else 'data-testid="cookie-policy-manage-dialog-accept-button"'
        if style == "meta"
        else "",
    )
    decline_b = (
        ""
        if accept_only
        else _button(
            style,
            decline,
            "decline",
            'action-type="DENY"'
            if style == "linkedin"
            else 'data-testid="cookie-policy-manage-dialog-decline-button"'
            if style == "meta"
            else "",
        )
    )
    shield = 'style="position:fixed;inset:0;z-index:1000;background:rgba(0,0,0,.35)"'
    box = "background:#fff;padding:16px;border-radius:8px"
    if style == "meta":
        inner = (
            f'<div role="dialog" aria-labelledby="sandbox-consent-h" data-testid="cookie-policy-manage-dialog" '
            f'style="{box};max-width:480px;margin:80px auto">'
            f'<h2 id="sandbox-consent-h">Allow the use of cookies from {html.escape(brand)} on this browser?</h2>'
            f"<p>We use cookies to help personalise content and provide a safer experience.</p>"
            f"{accept_b}{decline_b}</div>"
        )
    elif style == "linkedin":
        inner = (
            '<div id="artdeco-global-alert-container" role="alert" aria-live="assertive" '
            f'style="{box};position:absolute;top:0;left:0;right:0">'
            '<div class="artdeco-global-alert artdeco-global-alert--COOKIE_CONSENT" type="COOKIE_CONSENT">'
            "<h2>LinkedIn respects your privacy</h2><p>Select Accept to consent or Reject to decline "
            f"non-essential cookies for this use.</p>{accept_b}{decline_b}</div></div>"
        )
    elif style == "x":
        inner = (
            f'<div data-testid="BottomBar" style="{box};position:absolute;bottom:0;left:0;right:0">'
            "<div><div><h2>Did someone say … cookies?</h2><p>X and its partners use cookies to provide "
            f"you with a better, safer and faster service.</p></div><div>{accept_b}{decline_b}</div></div></div>"
        )
    else:
        inner = (
            f'<div role="dialog" aria-label="Cookies" style="{box};max-width:480px;margin:80px auto">'
            f"<h2>Cookies on {html.escape(brand)}</h2>{accept_b}{decline_b}</div>"
        )
    return f'<div id="sandbox-consent" {shield}>{inner}</div>'


def consent_script(style: str, brand: str, *, late: bool, reworded: bool, accept_only: bool) -> str:
    return SCRIPT % {
        "path": json.dumps(CONSENT_PATH),
        "html": json.dumps(dialog_html(style, brand, reworded=reworded, accept_only=accept_only)),
        "cookie": json.dumps(CONSENT_COOKIE),
        "delay": 1000 if late else 0,
    }
