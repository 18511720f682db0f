"""The shape shared by replicas of settings that exist once per thing the account owns (Substack
publications, Tumblr blogs, WordPress.com sites): a list page linking to each item, and one
settings page per item holding a switch. The switches of these three are "block" switches: checked
means training is blocked. State: `settings["SETTING/ITEM"]` is True while training is on (not
blocked), like every replica's; `items` lists what the account owns."""

from __future__ import annotations

import html
import json
from urllib.parse import quote

from optout.sandbox.replica import Replica, Request, Response, late_page, page, redirect


class PerItemReplica(Replica):
    #: The flow's setting id; the replica's settings are "SETTING/ITEM".
    setting = ""
    #: What the demo account owns.
    items_default: tuple[str, ...] = ()
    #: Where the sandbox's signed-out pages send the browser.
    login_path = "/login"
    title = ""
    #: The heading of the section the switch sits in.
    section = "Privacy"
    save_path = "/api/settings/block-ai"
    #: The page language and label shown with the `language` misbehaviour (any language the flow
    #: does not know).
    foreign = ("de", "KI-Training blockieren")

    # --- what each platform's replica supplies -----------------------------------------------

    def label(self, item: str) -> str:  # pragma: no cover - each replica overrides
        raise NotImplementedError

    def changed_label(self, item: str) -> str:
        return "Let AI companies know about your content"

    def list_page(self, items: list[str]) -> Response:  # pragma: no cover
        raise NotImplementedError

    def setting_page_frame(self, item: str, control: str) -> str:
        """The page around the switch."""
        return f"<h1>{html.escape(item)}</h1>{control}"

    # --- state --------------------------------------------------------------------------------

    def fresh_state(self) -> dict:
        state = super().fresh_state()
        state["items"] = list(self.items_default)
        return state

    def own(self, items: list[str], *, blocked: tuple[str, ...] = ()) -> None:
        """Make the account own exactly these items; those in `blocked` start opted out."""
        self.state["items"] = list(items)
        self.state["settings"] = {f"{self.setting}/{i}": i not in blocked for i in items}
        self.sandbox.save()

    def owned(self) -> list[str]:
        return [] if self.misbehaves("no_items") else list(self.state["items"])

    def user(self, req: Request) -> str | None:
        return self.session_user(req.cookies.get(self.session_cookie[0]))

    def training_on(self, req: Request, item: str) -> bool:
        return self.settings_of(self.user(req)).get(f"{self.setting}/{item}", True)

    def signed_out(self, req: Request) -> Response:
        return redirect(f"{self.login_path}?redirect={quote(req.url, safe='')}")

    # --- pages ---------------------------------------------------------------------------------

    def serve_list(self, req: Request) -> Response:
        if self.user(req) is None:
            return self.signed_out(req)
        return self.list_page(self.owned())

    def serve_setting(self, req: Request, item: str) -> Response:
        if self.user(req) is None:
            return self.signed_out(req)
        if item not in self.owned():
            return Response(status=404, body="<h1>Not found</h1>")
        on = self.training_on(req, item)
        blocked = not on
        lang, label = "en", self.label(item)
        if self.misbehaves("label_gone"):
            label = self.changed_label(item)
        if self.misbehaves("language"):
            lang, label = self.foreign
        control = f"""
<section aria-labelledby="privacy-heading">
  <h2 id="privacy-heading">{html.escape(self.section)}</h2>
  <div class="toggle">
    <input id="block-ai" class="sr" type="checkbox" role="switch" aria-checked="{str(blocked).lower()}"
      {"checked" if blocked else ""}>
    <label for="block-ai" style="display:flex;gap:12px;cursor:pointer;padding:8px 0">
      <span>{html.escape(label)}</span><span class="state" aria-hidden="true">{"On" if blocked else "Off"}</span>
    </label>
  </div>
  <div id="toast" role="status"></div>
</section>"""
        # Optimistic, as these single-page apps are: the switch flips before the server answers.
        script = f"""
const input = document.getElementById('block-ai');
input.addEventListener('change', async () => {{
  input.setAttribute('aria-checked', String(input.checked));
  document.querySelector('.state').textContent = input.checked ? 'On' : 'Off';
  const r = await fetch({json.dumps(self.save_path)}, {{
    method: 'POST', headers: {{'content-type': 'application/json'}},
    body: JSON.stringify({{item: {json.dumps(item)}, blocked: input.checked}})}});
  document.getElementById('toast').textContent = r.ok ? 'Saved' : 'Something went wrong.';
}});"""
        body = self.setting_page_frame(item, control)
        if self.misbehaves("slow_render"):
            return late_page(body, title=self.title, lang=lang, script=script)
        return page(body, title=self.title, lang=lang, script=script)

    def save(self, req: Request) -> Response:
        user = self.user(req)
        item = str((req.json or {}).get("item", ""))
        if user is None or item not in self.owned():
            return Response(status=403, body="{}", content_type="application/json")
        blocked = bool((req.json or {}).get("blocked"))
        if not self.saved(
            self.settings_of(user),
            f"{self.setting}/{item}",
            not blocked,
            item=item,
            blocked=blocked,
        ):
            return Response(
                status=500, body='{"error":"internal"}', content_type="application/json"
            )
        return Response(body='{"ok":true}', content_type="application/json")

    # --- a sign-in form (for a person at `optout --sandbox login`, or a flow's password steps) --

    def login_form(self, req: Request, *, action: str, error: str = "") -> Response:
        target = html.escape(req.query.get("redirect", req.form.get("redirect", "")))
        body = f"""
<h1>Sign in</h1>
<form method="post" action="{html.escape(action)}">
  <input type="hidden" name="redirect" value="{target}">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="username">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password">
  <p role="alert">{html.escape(error)}</p>
  <button type="submit">Continue</button>
</form>"""
        return page(body, title=f"Sign in | {self.title}")

    def login_submit(
        self,
        req: Request,
        *,
        home: str,
        allowed_prefixes: tuple[str, ...],
        error: str = "Invalid email or password.",
    ) -> Response:
        username, password = req.form.get("email", ""), req.form.get("password", "")
        ok = self.check_password(username, password)
        if not ok:
            return self.login_form(req, action=req.path, error=error)
        target = req.form.get("redirect") or home
        if not target.startswith(allowed_prefixes):
            target = home
        name, domain = self.session_cookie
        token = self.new_session(username)
        return redirect(
            target,
            headers={"set-cookie": f"{name}={token}; Domain={domain}; Path=/; Secure; HttpOnly"},
        )
