"""The shape shared by replicas of platforms with one AI-training control on one settings page
(GitHub, Grammarly, Adobe, Quora, Pinterest, Medium): the page, its control (a switch, a dropdown or
a pair of radio buttons), an endpoint that saves each change at once (the control changes on screen
before the server answers, as single-page apps do), and a sign-in for signed-out visits.

Most of these platforms sign in by e-mail link or single sign-on, so their flows type nothing: the
replica offers the sandbox's own e-mail-link sign-in, which a person completes in the browser at
`optout --sandbox login PLATFORM` (the "link" is shown on the page instead of being e-mailed), and
`storage_state()` hands tests and the demo the session such a sign-in leaves behind. A replica of a
platform with password sign-in overrides `signin`.

State: `settings[SETTING]` is True while training is on, like every replica's. Markup, endpoint and
cookie names are the replica's own unless a platform's module says otherwise."""

from __future__ import annotations

import html
import json
import secrets
from urllib.parse import quote, urlsplit

from optout.sandbox.replica import Replica, Request, Response, late_page, page, redirect


def host_and_path(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.path or "/"


class OneSettingReplica(Replica):
    #: The flow's setting id.
    setting = ""
    #: The settings page, at the URL the flow opens.
    setting_url = ""
    #: Where a signed-out visit is sent (with ?return_to=).
    signin_url = ""
    #: Where the replica saves a change (on the settings page's host).
    save_path = "/_replica/api/ai-training"
    title = ""
    #: The page's own heading and the heading of the section the control sits in.
    page_heading = ""
    heading = ""
    description = ""
    #: switch | select | radio (the flow's control kind).
    kind = "switch"
    #: switch: <button role=switch> unless this is set (then <input type=checkbox role=switch>).
    input_switch = False
    #: switch and select: the control's accessible name; what the label_gone misbehaviour shows.
    label = ""
    changed_label = "Allow use of your content to improve AI features"
    #: select and radio: the (off, on) choices; what label_gone shows; the choice_unknown option.
    choices: tuple[str, str] = ("", "")
    changed_choices: tuple[str, str] = ("Limit AI use", "Allow AI use")
    unknown_choice = "Not set"
    #: The `language` misbehaviour: a language the flows do not know, with its label and choices.
    foreign = ("de", "Nutzung deiner Inhalte für KI-Training erlauben", ("Aus", "An"))

    # --- what a platform's replica may change ------------------------------------------------

    def frame(self, section: str) -> str:
        """The page around the setting's section."""
        return f"<h1>{html.escape(self.page_heading)}</h1>{section}"

    def absent_section(self) -> str:
        """What the page shows instead of the section when the setting is not offered (`absent`).
        By default nothing at all: a platform with no known sign of that reads `broken`."""
        return ""

    def signin(self, req: Request, host: str, path: str) -> Response | None:
        """The sign-in pages (None: not a sign-in request)."""
        if (host, path) != host_and_path(self.signin_url):
            return None
        return self.email_link_signin(req)

    def other(self, req: Request, host: str, path: str) -> Response | None:
        return None

    # --- routing and state ---------------------------------------------------------------------

    def user(self, req: Request) -> str | None:
        return self.session_user(req.cookies.get(self.session_cookie[0]))

    def training_on(self, req: Request) -> bool:
        return self.settings_of(self.user(req))[self.setting]

    def handle(self, req: Request) -> Response:
        host, path = urlsplit(req.url).hostname or "", req.path
        setting_host, setting_path = host_and_path(self.setting_url)
        if (host, path) == (setting_host, setting_path) and req.method == "GET":
            if self.user(req) is None:
                return redirect(f"{self.signin_url}?return_to={quote(req.url, safe='')}")
            return self.setting_page(req)
        if (host, path) == (setting_host, self.save_path) and req.method == "POST":
            return self.save(req)
        found = self.signin(req, host, path) or self.other(req, host, path)
        return found or Response(status=404, body="<h1>Page not found</h1>")

    def safe_target(self, target: str) -> str:
        """Only ever send the browser back to the platform's own pages."""
        if any(target.startswith(f"https://{h}/") for h in self.hosts if "evil" not in h):
            return target
        return self.setting_url

    def signed_in_redirect(self, target: str, username: str | None) -> Response:
        name, domain = self.session_cookie
        token = self.new_session(username)
        return redirect(
            self.safe_target(target),
            headers={"set-cookie": f"{name}={token}; Domain={domain}; Path=/; Secure; HttpOnly"},
        )

    # --- the settings page -------------------------------------------------------------------------

    def setting_page(self, req: Request) -> Response:
        lang, label, choices = "en", self.label, self.choices
        if self.misbehaves("label_gone"):
            label, choices = self.changed_label, self.changed_choices
        if self.misbehaves("language"):
            lang, label, choices = self.foreign
        if self.misbehaves("absent"):
            body, script = self.frame(self.absent_section()), ""
        else:
            body, script = self.control(label, choices, self.training_on(req))
            body = self.frame(body)
        if self.misbehaves("slow_render"):
            return late_page(body, title=self.title, lang=lang, script=script)
        return page(body, title=self.title, lang=lang, script=script)

    def control(self, label: str, choices: tuple[str, str], on: bool) -> tuple[str, str]:
        """The section's HTML and the script that saves each change."""
        post = f"""
async function save(payload) {{
  const r = await fetch({json.dumps(self.save_path)}, {{method: 'POST',
    headers: {{'content-type': 'application/json'}}, body: JSON.stringify(payload)}});
  document.getElementById('toast').textContent = r.ok ? 'Saved' : 'Something went wrong. Try again later.';
}}"""
        description = f"<p>{html.escape(self.description)}</p>" if self.description else ""
        unknown = self.misbehaves("choice_unknown")
        if self.kind == "switch" and self.input_switch:
            inner = f"""
  <div class="row">
    <input id="ai-control" type="checkbox" role="switch" aria-checked="{str(on).lower()}" {"checked" if on else ""}>
    <label for="ai-control">{html.escape(label)}</label>
  </div>"""
            script = (
                post
                + """
const input = document.getElementById('ai-control');
input.addEventListener('change', () => {
  input.setAttribute('aria-checked', String(input.checked));
  save({on: input.checked});
});"""
            )
        elif self.kind == "switch":
            inner = f"""
  <div class="row" style="display:flex;gap:12px;align-items:center">
    <span id="ai-label">{html.escape(label)}</span>
    <button type="button" role="switch" id="ai-control" aria-labelledby="ai-label"
      aria-checked="{str(on).lower()}">{"On" if on else "Off"}</button>
  </div>"""
            script = (
                post
                + """
const button = document.getElementById('ai-control');
button.addEventListener('click', () => {
  const on = button.getAttribute('aria-checked') !== 'true';
  button.setAttribute('aria-checked', String(on));
  button.textContent = on ? 'On' : 'Off';
  save({on});
});"""
            )
        elif self.kind == "select":
            off_choice, on_choice = choices
            options = (
                [off_choice, on_choice]
                if not unknown
                else [self.unknown_choice, off_choice, on_choice]
            )
            chosen = self.unknown_choice if unknown else (on_choice if on else off_choice)
            rendered = "".join(
                f'<option value="{html.escape(o)}"{" selected" if o == chosen else ""}>{html.escape(o)}</option>'
                for o in options
            )
            inner = f"""
  <div class="row">
    <label for="ai-control">{html.escape(label)}</label>
    <select id="ai-control">{rendered}</select>
  </div>"""
            script = (
                post
                + """
const select = document.getElementById('ai-control');
select.addEventListener('change', () => save({choice: select.value}));"""
            )
        elif self.kind == "radio":
            rows = []
            for key, text in zip(("off", "on"), choices, strict=False):
                checked = not unknown and ((key == "on") == on)
                rows.append(
                    f'<div class="row"><input type="radio" name="ai-choice" id="ai-{key}" value="{html.escape(text)}"'
                    f'{" checked" if checked else ""}><label for="ai-{key}">{html.escape(text)}</label></div>'
                )
            inner = "\n".join(rows)
            script = (
                post
                + """
document.querySelectorAll('input[name=ai-choice]').forEach(radio =>
  radio.addEventListener('change', () => { if (radio.checked) save({choice: radio.value}); }));"""
            )
        else:  # pragma: no cover
            raise ValueError(self.kind)
        section = f"""
<section aria-labelledby="ai-heading">
  <h2 id="ai-heading">{html.escape(self.heading)}</h2>
  {inner}
  {description}
  <div id="toast" role="status"></div>
</section>"""
        return section, script

    def save(self, req: Request) -> Response:
        user = self.user(req)
        if user is None:
            return Response(status=401, body="{}", content_type="application/json")
        payload = req.json or {}
        if self.kind == "switch":
            on, detail = bool(payload.get("on")), {}
        else:
            choice = str(payload.get("choice", ""))
            if choice not in self.choices:
                self.event("save", choice=choice, status=400)
                return Response(
                    status=400, body='{"error":"bad choice"}', content_type="application/json"
                )
            on, detail = choice == self.choices[1], {"choice": choice}
        if not self.saved(self.settings_of(user), self.setting, on, on=on, **detail):
            return Response(
                status=500, body='{"error":"internal"}', content_type="application/json"
            )
        return Response(body='{"ok":true}', content_type="application/json")

    # --- the sandbox's e-mail-link sign-in --------------------------------------------------------

    def email_link_signin(self, req: Request) -> Response:
        target = req.query.get("return_to") or req.form.get("return_to") or self.setting_url
        if req.method == "POST":
            email = req.form.get("email", "").strip()
            self.event("link_requested", user=email)
            link = ""
            if self.account(email) is not None:
                token = secrets.token_urlsafe(16)
                self.state.setdefault("links", {})[token] = email
                self.sandbox.save()
                href = f"{self.signin_url}?token={token}&return_to={quote(target, safe='')}"
                link = (
                    f'<p><a href="{html.escape(href)}">Open the sign-in link</a> '
                    "(the sandbox shows it here; the platform e-mails it)</p>"
                )
            return page(
                f"<h1>Check your inbox</h1><p>If {html.escape(email)} has an account, a sign-in "
                f"link is on its way.</p>{link}",
                title=f"Sign in | {self.title}",
            )
        token = req.query.get("token")
        if token:
            email = self.state.get("links", {}).pop(token, None)
            self.sandbox.save()
            if email is None:
                return page("<h1>This link has expired</h1>", title=f"Sign in | {self.title}")
            self.event("link_used", user=email)
            return self.signed_in_redirect(target, email)
        if self.user(req) is not None:
            return redirect(self.safe_target(target))
        return page(
            f"""
<h1>Sign in to {html.escape(self.title)}</h1>
<form method="post">
  <input type="hidden" name="return_to" value="{html.escape(target)}">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="username">
  <button type="submit">Email me a sign-in link</button>
</form>""",
            title=f"Sign in | {self.title}",
        )
