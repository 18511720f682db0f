"""X replica: the sign-in single-page app (its page: optout.sandbox.xsignin) and the Grok
settings screen.

Sign-in is one page at /i/flow/login that swaps its step in place after each answer from the
server, as X's does: username → sometimes the "unusual activity" identifier question → password →
sometimes a 2FA code, the identifier and the code typed into the same input; or an Arkose check.
Each step renders a moment after the server answers, so a flow that looks for an optional step
only once, at once, misses it.

The Grok screen holds three checkboxes inside labelled rows (training, personalization, memory);
each change is sent at once, with the switch flipped on screen before the server answers.
Endpoint and mutation names other than XaiDataSharingSettingsMutation are the replica's own."""

from __future__ import annotations

import html
import json
import secrets
from urllib.parse import quote, urlsplit

from optout.sandbox.kit import challenge
from optout.sandbox.replica import Replica, Request, Response, digest, page, redirect
from optout.sandbox.xsignin import (
    CATCHER,
    CATCHER_PATH,
    CATCHER_SCRIPT,
    LOGIN_PATH,
    LOOKALIKE_HOST,
    STEAL_PATH,
    TASK_PATH,
    echo,
    signin_page,
)

SETTINGS_PATH = "/settings/grok_settings"

LABELS = {
    "training": "Allow your public data as well as your interactions, inputs, and results with Grok "
    "and xAI to be used for training and fine-tuning.",
    "personalization": "Allow X to personalize your experience with Grok",
    "memory": "Allow Grok to remember your conversation history",
}
#: What X might one day call the training switch instead (the label_gone misbehaviour).
CHANGED_LABEL = "Share your X activity with xAI to improve its models"
JAPANESE = {
    "training": "ポストおよびGrokとのやり取り、入力内容、結果をトレーニングと微調整に使用することを許可する",
    "personalization": "XがGrokでの体験をパーソナライズすることを許可する",
    "memory": "Grokが会話履歴を記憶することを許可する",
}
#: The german, french, spanish, danish and finnish misbehaviours: X's own strings (its web bundle,
#: docs/research/languages-2026-12.md, H).
LOCALIZED = {
    "de": (
        {
            "training": "Erlauben, dass deine öffentlichen Daten sowie deine Interaktionen, Eingaben und Ergebnisse "
            "bei Grok und xAI für Training und Feinabstimmung herangezogen werden",
            "personalization": "X erlauben, deine Nutzung von Grok zu personalisieren",
            "memory": "Grok erlauben, sich an deinen Konversationsverlauf zu erinnern",
        },
        "Grok und unabhängige Kooperationspartner",
    ),
    "fr": (
        {
            "training": "Autoriser l’utilisation de mes données publiques ainsi que de mes interactions, saisies et "
            "résultats obtenus avec Grok et xAI à des fins d’entraînement et d’ajustement",
            "personalization": "Autoriser X à personnaliser votre expérience avec Grok",
            "memory": "Autoriser Grok à se souvenir de votre historique de conversations",
        },
        "Grok et collaborateurs tiers",
    ),
    "es": (
        {
            "training": "Permite que tus datos públicos, así como tus interacciones, entradas y resultados con Grok y "
            "xAI, se utilicen para entrenamiento y perfeccionamiento",
            "personalization": "Permite que X personalice tu experiencia con Grok",
            "memory": "Permite que Grok recuerde tu historial de conversaciones",
        },
        "Grok y colaboradores externos",
    ),
    # danish, finnish: DzikStar/X-SCRAPER client-web/i18n/{da,fi}.js at 9cd43d52 (H as strings).
    "da": (
        {
            "training": "Giv tilladelse til, at dine offentlige data samt dine interaktioner, input og resultater "
            "med Grok og xAI må bruges til træning og finjustering",
            "personalization": "Tillad X at personliggøre din oplevelse med Grok",
            "memory": "Lad Grok huske din samtalehistorik",
        },
        "Grok og eksterne samarbejdspartnere",
    ),
    "fi": (
        {
            "training": "Salli julkisten tietojesi sekä Grokin ja xAI:n kanssa käytyjen keskustelujen, syötteiden ja "
            "tulosten käyttö koulutukseen ja hienosäätöön",
            "personalization": "Anna X:n yksilöidä Grok-käyttökokemuksesi",
            "memory": "Anna Grokille lupa muistaa keskusteluhistorianne",
        },
        "Grok ja ulkopuoliset yhteistyökumppanit",
    ),
}
#: setting → (mutation name, variable): the first is X's (docs/research/platforms.md §2), the others the replica's.
MUTATIONS = {
    "training": ("XaiDataSharingSettingsMutation", "allowXaiDataSharing"),
    "personalization": ("XaiPersonalizationSettingsMutation", "allowXaiPersonalization"),
    "memory": ("GrokMemorySettingsMutation", "allowGrokMemory"),
}


class X(Replica):
    platform = "x"
    consent_style = "x"  # its cookie-consent dialog (kit/consent.py)
    hosts = ("x.com", LOOKALIKE_HOST)
    settings = ("training", "personalization", "memory")

    def user(self, req: Request) -> str | None:
        return self.session_user(req.cookies.get("auth_token"))

    def handle(self, req: Request) -> Response:
        if urlsplit(req.url).hostname == LOOKALIKE_HOST:
            if req.path == CATCHER_PATH:
                return page(CATCHER, title="", script=CATCHER_SCRIPT)
            if req.path == STEAL_PATH and req.method == "POST":
                value = str((req.json or {}).get("value", "")) if isinstance(req.json, dict) else ""
                self.event("stolen", sha256=digest(value), length=len(value))
                return answer({})
            return self.login_app(lookalike=True)
        if req.path == LOGIN_PATH:
            if self.misbehaves("lookalike_login") and "redirect_after_login" not in req.query:
                return redirect(f"https://{LOOKALIKE_HOST}{LOGIN_PATH}")
            if self.user(req):
                return redirect(req.query.get("redirect_after_login") or "/home")
            return self.login_app()
        if req.path == TASK_PATH and req.method == "POST":
            return self.task(req)
        if req.path == "/home":
            if not self.user(req):
                return redirect(LOGIN_PATH + "?redirect_after_login=" + quote("/home", safe=""))
            return page("<h1>Home</h1><p>For you</p>", title="Home / X")
        if req.path == SETTINGS_PATH:
            if not self.user(req):
                return redirect(
                    LOGIN_PATH + "?redirect_after_login=" + quote(SETTINGS_PATH, safe="")
                )
            return self.settings_page(req)
        if req.path.startswith("/i/api/graphql/") and req.method == "POST":
            return self.mutation(req)
        return Response(status=404, body="<h1>Hmm...this page doesn’t exist.</h1>")

    # --- sign-in -------------------------------------------------------------------------------

    def page_lang(self) -> str:
        """The pages' language: German, French, Spanish, Danish or Finnish under those misbehaviours,
        else English."""
        for misbehaviour, lang in (
            ("german", "de"),
            ("french", "fr"),
            ("spanish", "es"),
            ("danish", "da"),
            ("finnish", "fi"),
        ):
            if self.misbehaves(misbehaviour):
                return lang
        return "en"

    def login_app(self, *, lookalike: bool = False) -> Response:
        return signin_page(self, lookalike=lookalike)

    def task(self, req: Request) -> Response:
        body = req.json if isinstance(req.json, dict) else {}
        subtask, value = str(body.get("subtask", "")), str(body.get("value", ""))
        flows = self.state.setdefault("login_flows", {})
        if subtask == "username":
            if self.account(value) is None or not value:
                self.event("username", ok=False)
                return answer(
                    {"subtask": "username", "error": "Sorry, we could not find your account."}
                )
            token = secrets.token_urlsafe(12)
            stage = "identifier" if self.asks_identifier() else "password"
            flows[token] = {
                "user": value,
                "stage": "arkose" if self.misbehaves("captcha_early") else stage,
            }
            self.sandbox.save()
            step = {"flow_token": token, "subtask": flows[token]["stage"]}
            if self.misbehaves(
                "captcha_early"
            ):  # the "ArkoseLogin" subtask (twitter-scraper issue 114)
                step["challenge"] = challenge.start(self, "captcha", value, "/home")[0]
            return answer(step)
        flow = flows.get(str(body.get("flow_token")))
        if flow is None or flow["stage"] != subtask:
            return answer(
                {"subtask": "username", "error": "Something went wrong. Let’s try again."}
            )
        user = flow["user"]
        if subtask == "identifier":
            ok = value == user  # the replica knows one name per account: the one signed in with
            self.event("identifier", ok=ok)
            if not ok:
                return answer(
                    {
                        "subtask": "identifier",
                        "error": "Please enter your phone number or username.",
                    }
                )
            return self.advance(flows, body, "password")
        if subtask == "password":
            ok = self.check_password(user, value)
            if not ok and self.misbehaves("echo_password"):
                return answer({"subtask": "password", "echo": echo(value)})
            if not ok:
                return answer({"subtask": "password", "error": "Wrong password!"})
            if self.misbehaves("blocked_attempt") and not self.state.get("blocked_once"):
                self.state["blocked_once"] = True
                flows.pop(str(body["flow_token"]), None)
                self.event("blocked")
                return answer({"subtask": "blocked"})
            if self.misbehaves("checkpoint"):
                return self.advance(flows, body, "arkose")
            if self.wants_code(user):
                return self.advance(flows, body, "2fa")
            return self.done(flows, body, user)
        if subtask == "2fa":
            ok = self.check_code(user, value)
            if not ok:
                return answer(
                    {"subtask": "2fa", "error": "Your code was incorrect. Please try again."}
                )
            return self.done(flows, body, user)
        return answer({"subtask": "username", "error": "Something went wrong. Let’s try again."})

    def asks_identifier(self) -> bool:
        return any(
            self.misbehaves(m)
            for m in ("identifier_step", "identifier_email", "identifier_phone_email")
        )

    def advance(self, flows: dict, body: dict, stage: str) -> Response:
        flows[str(body["flow_token"])]["stage"] = stage
        self.sandbox.save()
        return answer({"flow_token": body["flow_token"], "subtask": stage})

    def challenge_passed(self, username: str | None, target: str) -> Response:
        self.state.get("login_flows", {}).clear()
        token = self.new_session(username)
        return redirect(
            target, headers={"set-cookie": f"auth_token={token}; Path=/; Secure; HttpOnly"}
        )

    def done(self, flows: dict, body: dict, user: str) -> Response:
        flows.pop(str(body["flow_token"]), None)
        token = self.new_session(user)
        return answer(
            {"subtask": "done"},
            headers={"set-cookie": f"auth_token={token}; Path=/; Secure; HttpOnly"},
        )

    # --- the Grok settings screen --------------------------------------------------------------

    def settings_page(self, req: Request) -> Response:
        lang = "ja" if self.misbehaves("language") else self.page_lang()
        labels, heading = LOCALIZED.get(
            lang, (JAPANESE if lang == "ja" else LABELS, "Grok &amp; Third-party Collaborators")
        )
        if self.misbehaves("absent"):
            body = """<h1>Data sharing and personalization</h1>
<p>Manage what information you allow X to use and share.</p>
<ul><li><a href="/settings/off_twitter_activity">Inferred identity</a></li>
<li><a href="/settings/data_sharing_with_business_partners">Data sharing with business partners</a></li></ul>"""
            return page(body, title="Data sharing and personalization / X", lang=lang)
        values = self.settings_of(self.user(req))
        rows = []
        for setting in self.settings:
            if setting == "memory" and self.misbehaves("memory_hidden"):
                continue
            label = labels[setting]
            if setting == "training" and self.misbehaves("label_gone"):
                label = CHANGED_LABEL
            mutation, variable = MUTATIONS[setting]
            rows.append(f"""
<label class="row">
  <span>{html.escape(label)}</span>
  <span class="track"><input type="checkbox" name="{variable}" data-mutation="{mutation}" data-variable="{variable}"
    {"checked" if values[setting] else ""} {"disabled" if self.misbehaves("under_18") else ""}></span>
</label>""")
        screen = f"""
<div data-testid="xaiDataSharingSettings">
<section aria-labelledby="grok-heading">
  <h1 id="grok-heading">{heading}</h1>
  <h2>Data Sharing</h2>
  <p>X may share with xAI your X public data as well as your user interactions, inputs and results
  with Grok on X to train and fine-tune Grok and other AI models developed by xAI.</p>
  {"".join(rows)}
  <button type="button">Delete conversation history</button>
  <div id="toast" role="status"></div>
</section>
</div>
<style>.row{{display:flex;justify-content:space-between;gap:16px;padding:12px 0;cursor:pointer}}
.track{{position:relative;width:40px;height:22px;border-radius:11px;background:#cfd9de;flex:none}}
.track input{{position:absolute;inset:0;margin:0;opacity:0;cursor:pointer}}</style>"""
        # Optimistic UI: the box flips before the server answers, as X's does.
        script = """
document.querySelectorAll('input[data-mutation]').forEach((input) => input.addEventListener('change', async () => {
  const r = await fetch('/i/api/graphql/rPl1caQ/' + input.dataset.mutation, {
    method: 'POST', headers: {'content-type': 'application/json'},
    body: JSON.stringify({variables: {[input.dataset.variable]: input.checked}})});
  document.getElementById('toast').textContent = r.ok ? 'Your settings were saved' : 'Something went wrong. Try reloading.';
}));"""
        if self.misbehaves("slow_render"):
            script = f"""
setTimeout(() => {{
  document.querySelector('main').innerHTML = {json.dumps(screen)};
  {script}
}}, 2000);"""
            return page(
                '<div role="progressbar" aria-label="Loading"></div>',
                title="Grok / X",
                lang=lang,
                script=script,
            )
        return page(screen, title="Grok / X", lang=lang, script=script)

    def mutation(self, req: Request) -> Response:
        user = self.user(req)
        if not user:
            return Response(
                status=403,
                body='{"errors":[{"message":"Forbidden"}]}',
                content_type="application/json",
            )
        name = req.path.rsplit("/", 1)[-1]
        setting = next((s for s, (m, _) in MUTATIONS.items() if m == name), None)
        variables = (req.json or {}).get("variables", {}) if isinstance(req.json, dict) else {}
        if setting is None or MUTATIONS[setting][1] not in variables:
            return Response(
                status=400,
                body='{"errors":[{"message":"Bad request"}]}',
                content_type="application/json",
            )
        value = bool(variables[MUTATIONS[setting][1]])
        if self.misbehaves("under_18"):
            self.event("save", setting=setting, on=value, status=403)
            return Response(
                status=403,
                body='{"errors":[{"message":"Forbidden"}]}',
                content_type="application/json",
            )
        if not self.saved(self.settings_of(user), setting, value, setting=setting, on=value):
            return Response(
                status=500,
                body='{"errors":[{"message":"Internal"}]}',
                content_type="application/json",
            )
        return Response(
            body='{"data":{"user_preferences_put":{"__typename":"UserPreferences"}}}',
            content_type="application/json",
        )


def answer(data: dict, headers: dict[str, str] | None = None) -> Response:
    return Response(body=json.dumps(data), content_type="application/json", headers=headers or {})
