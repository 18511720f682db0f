"""What the objection-form replicas share (Facebook, Instagram, LinkedIn's objection form): a
help-centre contact form, sent once, that shows a confirmation; a page saying an objection was
already sent; a page saying the form is not offered in this region.

No platform lives in this module (it defines no Replica with a `platform`). The replicas call these
functions with themselves; a setting's state is True while no objection was received ("on") and
False once one was. Every submission the replica receives is recorded as a `submission` event, so
tests count exactly how many objections went out."""

from __future__ import annotations

import html
from dataclasses import dataclass

from optout.sandbox.replica import Replica, Request, Response, late_page, page, redirect


@dataclass(frozen=True)
class ObjectionForm:
    """One form of a replica. The texts follow the flow's hypotheses (see the flow files)."""

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
    already: str = "You've already submitted an objection."
    unavailable: str = "This form isn't available in your country or region."
    #: Whether the platform shows that an objection was already sent (else the form shows again).
    remembers: bool = True

    @property
    def submit_path(self) -> str:
        return self.path.rstrip("/") + "/submit"


def form_page(replica: Replica, form: ObjectionForm, user: str) -> Response:
    """The form as the signed-in account sees it, given its state and the misbehaviours."""
    title = form.title
    if replica.misbehaves("absent"):
        return page(f"<h1>{html.escape(form.heading)}</h1><p>{html.escape(form.unavailable)}</p>", title=title)
    if form.remembers and not replica.settings_of(user)[form.setting]:
        return page(f"<h1>{html.escape(form.heading)}</h1><p>{html.escape(form.already)}</p>", title=title)
    lang, heading, intro, submit = "en", form.heading, form.intro, form.submit
    email_label, reason_label = form.email_label, form.reason_label
    if replica.misbehaves("label_gone"):
        submit = form.changed_submit
    if replica.misbehaves("language"):
        lang, heading, intro, submit = "de", "Widerspruchsrecht", "Ich widerspreche der Nutzung meiner Daten.", "Senden"
        email_label, reason_label = "E-Mail-Adresse", "Begründung (optional)"
    email = html.escape(user)
    body = f"""
<h1>{html.escape(heading)}</h1>
<p>{html.escape(intro)}</p>
<form method="post" action="{html.escape(form.submit_path)}">
  <p><label for="objection-email">{html.escape(email_label)}</label><br>
  <input id="objection-email" name="email" type="email" value="{email}"></p>
  <p><label for="objection-reason">{html.escape(reason_label)}</label><br>
  <textarea id="objection-reason" name="reason" rows="4" cols="60"></textarea></p>
  <button type="submit">{html.escape(submit)}</button>
</form>"""
    if replica.misbehaves("slow_render") or replica.misbehaves("slow_fetch"):
        return late_page(body, title=title, lang=lang, fetching=replica.misbehaves("slow_fetch"))
    return page(body, title=title, lang=lang)


def form_submit(replica: Replica, form: ObjectionForm, req: Request, user: str) -> Response:
    """Receive one objection: recorded as an event; save_fails answers HTTP 500 and keeps nothing."""
    email, reason = req.form.get("email", ""), req.form.get("reason", "")
    seen = dict(setting=form.setting, user=user, email=email, reason=reason)
    if replica.misbehaves("save_fails"):
        replica.event("submission", status=500, **seen)
        return Response(status=500, body="<!doctype html><html><body><h1>Sorry, something went wrong.</h1>"
                        "<p>We're working on getting this fixed as soon as we can.</p></body></html>")
    replica.event("submission", status=200, **seen)
    replica.settings_of(user)[form.setting] = False
    replica.sandbox.save()
    return page(
        f"<h1>{html.escape(form.heading)}</h1><p role=\"status\">{html.escape(form.received)}</p>"
        f"<p>We'll send a confirmation to {html.escape(email)}.</p>",
        title=form.title,
    )


def route(replica: Replica, forms: tuple[ObjectionForm, ...], req: Request, user: str | None,
          login_redirect: str) -> Response | None:
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
