"""What the objection-form replicas share (Facebook, Instagram, LinkedIn's objection form): a
help-centre contact form, sent once, that shows a confirmation; a page saying an objection was
already sent; a page saying the form is not offered in this region; and the variants the public
evidence reports (a choice before the fields, required country and explanation, a confirmation in a
dialog, help text speaking of earlier objections), as misbehaviours (see router.MISBEHAVIOURS).

No platform lives in this module (it defines no Replica with a `platform`). The replicas call these
functions with themselves; a setting's state is True while no objection was received ("on") and
False once one was. Every submission the replica receives is recorded as a `submission` event, so
tests count exactly how many objections went out."""

from __future__ import annotations

import html
from dataclasses import dataclass

from optout.sandbox.replica import Replica, Request, Response, late_page, page, redirect

#: Help text Meta's form carries (help_mentions_objection): it speaks of an earlier objection and
#: uses confirmation-like words, while the form is offered all the same.
HELP_TEXT = (
    "If you've already submitted an objection, you don't need to submit it again: an objection "
    "we received will be applied going forward."
)
#: The german, french, italian, portuguese and spanish misbehaviours: heading, intro, button, e-mail label,
#: reason label.
#: Only the buttons are sourced (Meta's "Senden", "Envoyer", "Invia", M: press, docs/research/languages-2026-12.md
#: §3.1), the German form title "Einspruch gegen die Verwendung deiner Informationen für KI bei Meta"
#: (L: mkln.org) and the Italian intro (M); the other texts are the replica's own.
#: Meta's German and French confirmations are not sourced (searched again 2026-12-02, §6 of the
#: research note): the replica answers with a page no flow can recognise (a tick and the address),
#: so a flow must report it sent unconfirmed.
LOCALIZED = {
    "de": (
        "Einspruch gegen die Verwendung deiner Informationen für KI bei Meta",
        "Ich widerspreche der Nutzung meiner Daten.",
        "Senden",
        "E-Mail-Adresse",
        "Begründung (optional)",
    ),
    "fr": (
        "Droit d’opposition",
        "Je m’oppose à l’utilisation de mes données.",
        "Envoyer",
        "Adresse e-mail",
        "Motif (facultatif)",
    ),
    "it": (
        "Diritto di opposizione",
        "Hai diritto di opporti all’uso delle tue informazioni per tali finalità.",
        "Invia",
        "Indirizzo email",
        "Motivo (facoltativo)",
    ),
    # pt (Portugal): the title (M: 24.sapo.pt 2025-04) and "Enviar" (M: pcguia.pt 2025-05) are sourced.
    "pt": (
        "Opõe-te à utilização das tuas informações pela IA na Meta",
        "Opõe-te à utilização das tuas informações.",
        "Enviar",
        "Endereço de e-mail",
        "Motivo (opcional)",
    ),
    # es: nothing is sourced. The replica's own Spanish form sends with "Enviar", the word the flows
    # know as Portuguese: a flow must still refuse it, the page's language being one it lacks.
    "es": (
        "Derecho a oponerte",
        "Me opongo al uso de mi información.",
        "Enviar",
        "Correo electrónico",
        "Motivo (opcional)",
    ),
}
#: The italian misbehaviour's confirmation, the only one sourced outside English (M: tg24.sky.it
#: 2025-05-27, docs/research/languages-2026-12.md §3.1).
ITALIAN_RECEIVED = (
    "Ciò significa che la tua richiesta verrà applicata d’ora in avanti allo sviluppo e al "
    "miglioramento dell’IA in Meta. Riceverai una e-mail con i dettagli"
)
#: The language misbehaviour: a language no flow knows (the texts stay English: none is sourced
#: in it, and nothing may be read or sent on such a page).
FOREIGN_LANG = "fi"
COUNTRIES = (
    "Austria",
    "Belgium",
    "France",
    "Germany",
    "Ireland",
    "Italy",
    "Spain",
    "United Kingdom",
)


@dataclass(frozen=True)
class ObjectionForm:
    """One form of a replica. The texts follow the public evidence (see the flow files)."""

    setting: str
    path: str
    title: str
    heading: str
    intro: str
    email_label: str = "Email address"
    reason_label: str = "Tell us more about your objection (optional)"
    submit: str = "Submit"
    #: label_gone: the page changed and the button no longer reads like the flow expects.
    changed_submit: str = "Continue"
    received: str = "We've received your objection."
    #: older_wording: the button and confirmation of an earlier version of the form.
    older_submit: str = "Submit"
    older_received: str = "We've received your objection."
    already: str = "You've already submitted an objection."
    unavailable: str = "This form isn't available in your country or region."
    #: Whether the platform shows that an objection was already sent (else the form shows again).
    remembers: bool = True
    #: A required choice before the fields: (legend, radio|select, the right option, the others;
    #: choice_gone: the others only). The fields show once the right option is chosen (radio).
    choice: tuple[str, str, str, tuple[str, ...]] | None = None
    #: A required name field, pre-filled with the account's name (LinkedIn).
    name_label: str = ""

    @property
    def submit_path(self) -> str:
        return self.path.rstrip("/") + "/submit"


def choice_html(replica: Replica, form: ObjectionForm) -> str:
    legend, kind, right, others = form.choice
    options = others if replica.misbehaves("choice_gone") else (right, *others)

    def value(option: str) -> str:
        return "object" if option == right else html.escape(option.lower()[:20])

    if kind == "select":
        items = "".join(f'<option value="{value(o)}">{html.escape(o)}</option>' for o in options)
        return (
            f'<p><label for="objection-type">{html.escape(legend)}</label><br><select id="objection-type" '
            f'name="choice" required><option value="">Select an option</option>{items}</select></p>'
        )
    items = "".join(
        f'<label><input type="radio" name="choice" value="{value(o)}" required> {html.escape(o)}</label><br>'
        for o in options
    )
    return f"<fieldset><legend>{html.escape(legend)}</legend>{items}</fieldset>"


REVEAL_JS = """document.querySelectorAll('input[name=choice]').forEach(r => r.addEventListener('change', () => {
  document.getElementById('fields').hidden = !document.querySelector('input[name=choice][value=object]:checked');
}));"""

DIALOG_JS = """document.querySelector('form').addEventListener('submit', async ev => {
  ev.preventDefault();
  const f = ev.target;
  const r = await fetch(f.action + '?ajax=1', {method: 'POST', body: new URLSearchParams(new FormData(f))});
  const d = document.createElement('div');
  d.setAttribute('role', r.ok ? 'dialog' : 'alert');
  d.setAttribute('aria-label', r.ok ? 'Request submitted' : 'Error');
  d.innerHTML = await r.text();
  document.body.appendChild(d);
});"""


def form_page(replica: Replica, form: ObjectionForm, user: str) -> Response:
    """The form as the signed-in account sees it, given its state and the misbehaviours."""
    title = form.title
    if replica.misbehaves("absent"):
        return page(
            f"<h1>{html.escape(form.heading)}</h1><p>{html.escape(form.unavailable)}</p>",
            title=title,
        )
    if form.remembers and not replica.settings_of(user)[form.setting]:
        return page(
            f'<h1>{html.escape(form.heading)}</h1><div role="status">{html.escape(form.already)}</div>',
            title=title,
        )
    lang, heading, intro, submit = "en", form.heading, form.intro, form.submit
    email_label, reason_label = form.email_label, form.reason_label
    if replica.misbehaves("older_wording"):
        submit = form.older_submit
    if replica.misbehaves("label_gone"):
        submit = form.changed_submit
    localized = page_lang(replica)
    if localized in LOCALIZED:
        lang = localized
        heading, intro, submit, email_label, reason_label = LOCALIZED[lang]
    if replica.misbehaves("language"):
        lang = FOREIGN_LANG
    help_text = (
        f"<p>{html.escape(HELP_TEXT)}</p>" if replica.misbehaves("help_mentions_objection") else ""
    )
    explain_required = replica.misbehaves("required_country") or replica.misbehaves(
        "required_explanation"
    )
    if explain_required:
        reason_label = "Please explain how this processing impacts you"
    country = ""
    if replica.misbehaves("required_country"):
        options = "".join(f"<option>{c}</option>" for c in COUNTRIES)
        country = (
            '<p><label for="objection-country">Country of residence</label><br><select id="objection-country" '
            f'name="country" required><option value="">Select your country</option>{options}</select></p>'
        )
    name = ""
    if form.name_label:
        name = (
            f'<p><label for="objection-name">{html.escape(form.name_label)}</label><br>'
            '<input id="objection-name" name="name" required value="Demo Member"></p>'
        )
    choice = choice_html(replica, form) if form.choice else ""
    hidden = " hidden" if form.choice and form.choice[1] == "radio" else ""
    body = f"""
<h1>{html.escape(heading)}</h1>
<p>{html.escape(intro)}</p>{help_text}
<form method="post" action="{html.escape(form.submit_path)}" novalidate>
  {choice}
  <div id="fields"{hidden}>
  {name}
  <p><label for="objection-email">{html.escape(email_label)}</label><br>
  <input id="objection-email" name="email" type="email" value="{html.escape(user)}"></p>
  {country}
  <p><label for="objection-reason">{html.escape(reason_label)}</label><br>
  <textarea id="objection-reason" name="reason" rows="4" cols="60"{" required" if explain_required else ""}></textarea></p>
  </div>
  <button type="submit">{html.escape(submit)}</button>
</form>"""
    script = (REVEAL_JS if hidden else "") + (
        DIALOG_JS if replica.misbehaves("confirm_dialog") else ""
    )
    if replica.misbehaves("slow_render") or replica.misbehaves("slow_fetch"):
        return late_page(
            body, title=title, lang=lang, script=script, fetching=replica.misbehaves("slow_fetch")
        )
    return page(body, title=title, lang=lang, script=script)


def page_lang(replica: Replica) -> str:
    """The form's language for the german, french, italian, portuguese and spanish misbehaviours
    ("en" otherwise)."""
    for misbehaviour, lang in (
        ("german", "de"),
        ("french", "fr"),
        ("italian", "it"),
        ("portuguese", "pt"),
        ("spanish", "es"),
    ):
        if replica.misbehaves(misbehaviour):
            return lang
    return "en"


def refusal(replica: Replica, form: ObjectionForm, req: Request) -> str:
    """Why the platform refuses this submission (a required field left empty), or ""."""
    if form.choice and req.form.get("choice") != "object":
        return "Please choose what your request is about."
    if replica.misbehaves("required_country") and not req.form.get("country"):
        return "Please select your country of residence."
    if (
        replica.misbehaves("required_country") or replica.misbehaves("required_explanation")
    ) and not req.form.get("reason", "").strip():
        return "Please explain how this processing impacts you."
    return ""


def form_submit(replica: Replica, form: ObjectionForm, req: Request, user: str) -> Response:
    """Receive one objection, recorded as an event. save_fails answers HTTP 500 and keeps nothing;
    error_with_confirmation answers HTTP 400 with confirmation-like words; a required field left
    empty answers HTTP 400; no_confirmation accepts with a page that confirms nothing, and shows the
    form again later (nothing on the platform's pages says it was received)."""
    email, reason = req.form.get("email", ""), req.form.get("reason", "")
    seen = {
        "setting": form.setting,
        "user": user,
        "email": email,
        "reason": reason,
        "choice": req.form.get("choice", ""),
        "country": req.form.get("country", ""),
    }
    ajax = req.query.get("ajax") == "1"
    if replica.misbehaves("save_fails"):
        replica.event("submission", status=500, **seen)
        return Response(
            status=500,
            body="<!doctype html><html><body><h1>Sorry, something went wrong.</h1>"
            "<p>We're working on getting this fixed as soon as we can.</p></body></html>",
        )
    refused = refusal(replica, form, req)
    if refused or replica.misbehaves("error_with_confirmation"):
        replica.event("submission", status=400, **seen)
        words = (
            f"<p>{html.escape(form.received)}</p>"
            if replica.misbehaves("error_with_confirmation")
            else ""
        )
        return Response(
            status=400,
            body=f"<!doctype html><html><body><h1>{html.escape(form.heading)}</h1>"
            f'{words}<p role="alert">{html.escape(refused or "Something went wrong.")}</p></body></html>',
        )
    replica.event("submission", status=200, **seen)
    if not replica.misbehaves(
        "no_confirmation"
    ):  # a platform that confirms nothing shows the form again
        replica.settings_of(user)[form.setting] = False
        replica.sandbox.save()
    help_text = (
        f"<p>{html.escape(HELP_TEXT)}</p>" if replica.misbehaves("help_mentions_objection") else ""
    )
    if replica.misbehaves("no_confirmation"):
        return page(
            f"<h1>{html.escape(form.heading)}</h1>{help_text}<p>Thank you for contacting us.</p>",
            title=form.title,
        )
    received = form.older_received if replica.misbehaves("older_wording") else form.received
    if page_lang(replica) != "en":
        received = ITALIAN_RECEIVED if page_lang(replica) == "it" else "✓"
    if ajax:
        return Response(body=f"<h2>{html.escape(received)}</h2><button>Close</button>")
    lang = page_lang(replica)
    sent_to = (
        f"<p>{html.escape(email)}</p>"
        if lang != "en"
        else f"<p>We'll send a confirmation to {html.escape(email)}.</p>"
    )
    return page(
        f'<h1>{html.escape(form.heading)}</h1>{help_text}<p role="status">{html.escape(received)}</p>{sent_to}',
        title=form.title,
        lang=lang,
    )


def route(
    replica: Replica,
    forms: tuple[ObjectionForm, ...],
    req: Request,
    user: str | None,
    login_redirect: str,
) -> Response | None:
    """The form pages and their submissions for the signed-in `user` (None: signed out); None
    when the request is for something else."""
    for form in forms:
        if req.path.rstrip("/") == form.path.rstrip("/") and req.method == "GET":
            return form_page(replica, form, user) if user else redirect(login_redirect)
        if req.path == form.submit_path:
            if req.method != "POST":
                return redirect(form.path)
            if not user:
                return Response(status=403, body="<h1>Please log in to continue.</h1>")
            return form_submit(replica, form, req, user)
    return None
