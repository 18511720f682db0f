"""WordPress.com replica: each site's visibility settings at /sites/<site>/settings/site-visibility
(the older /settings/general/<site> still leads there), shaped like Calypso's privacy form
(Automattic/wp-calypso client/dashboard/sites/settings-site-visibility/privacy-form.tsx): the
site's visibility (Coming soon / Public / Private), and for Public sites only the checkboxes
"Discourage search engines from indexing this site" and "Prevent third-party sharing for this site"
(`name=wpcom_data_sharing_opt_out`, checked = shared with no one), sent by a separate Save button
that is enabled only once something changed. With "Discourage search engines" set, the third-party
box shows checked and greyed out (`locked_off`). `not_public` makes the site Private (no boxes);
`label_elsewhere` hides the third-party box inside the label of the search-engine box.

A sign-in form serves a person (`optout --sandbox login wordpress`): the flow itself never signs
in. The page listing the account's sites (/sites, linking each to /home/<site>) and the save
endpoint's path on wordpress.com (the real one is on public-api.wordpress.com) are the replica's own."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import quote

from optout.sandbox.kit.peritem import PerItemReplica
from optout.sandbox.replica import Request, Response, late_page, page, redirect

OLD_SETTINGS = re.compile(r"^/settings/general/([A-Za-z0-9.-]+)/?$")
VISIBILITY = re.compile(r"^/sites/([A-Za-z0-9.-]+)/settings/site-visibility/?$")
SAVE = re.compile(r"^/rest/v1\.4/sites/([A-Za-z0-9.-]+)/settings/?$")
HELP = (
    "This will prevent this site’s content from being shared with our licensed network of content and "
    "research partners, including those that train AI models."
)


class WordPress(PerItemReplica):
    platform = "wordpress"
    hosts = ("wordpress.com",)
    setting = "third-party-sharing"
    items_default = ("demo-notes.wordpress.com", "family-recipes.blog")
    settings = tuple(f"third-party-sharing/{s}" for s in items_default)
    session_cookie = ("wordpress_logged_in", ".wordpress.com")
    login_path = "https://wordpress.com/log-in"
    title = "WordPress.com"

    def label(self, item: str) -> str:
        return "Prevent third-party sharing for this site"

    def list_page(self, items: list[str]) -> Response:
        if not items:
            rows = (
                '<p>You don\'t have any sites yet.</p><a href="/start">Create your first site</a>'
            )
        elif self.misbehaves("list_changed"):
            rows = "".join(f'<li><a href="/site-overview?site={s}">{s}</a></li>' for s in items)
        else:
            rows = "".join(f'<li><a href="/home/{s}">{s}</a></li>' for s in items)
        return page(f"<h1>Sites</h1><ul>{rows}</ul>", title="Sites — WordPress.com")

    def handle(self, req: Request) -> Response:
        if (m := SAVE.match(req.path)) and req.method == "POST":
            return self.save_site(req, m.group(1))
        if req.path == "/log-in":
            if self.user(req) is not None:
                return redirect("/sites")
            return self.login_form(req, action="/log-in/submit")
        if req.path == "/log-in/submit" and req.method == "POST":
            return self.login_submit(
                req, home="/sites", allowed_prefixes=("https://wordpress.com/",)
            )
        if req.path == "/sites":
            return self.serve_list(req)
        if m := OLD_SETTINGS.match(req.path):
            return redirect(f"/sites/{quote(m.group(1))}/settings/site-visibility")
        if m := VISIBILITY.match(req.path):
            if self.user(req) is None:
                return self.signed_out(req)
            if m.group(1) not in self.owned():
                return Response(status=404, body="<h1>Not found</h1>")
            return self.visibility_page(req, m.group(1))
        if req.path.startswith("/home/"):
            if self.user(req) is None:
                return self.signed_out(req)
            return page("<h1>My Home</h1>", title="WordPress.com")
        return Response(status=404, body="<h1>Page not found</h1>")

    # --- the site-visibility page ------------------------------------------------------------------

    def visibility_page(self, req: Request, item: str) -> Response:
        discourage = self.misbehaves("locked_off")
        opted_out = discourage or not self.training_on(req, item)
        visibility = "private" if self.misbehaves("not_public") else "public"
        lang, label = "en", self.label(item)
        if self.misbehaves("label_gone"):
            label = self.changed_label(item)
        if self.misbehaves("language"):
            lang, label = self.foreign
        radios = "".join(
            f'<label style="display:block"><input type="radio" name="wpcom_site_visibility" value="{v}"'
            f"{' checked' if v == visibility else ''}> {t}</label>"
            for v, t in (
                ("coming-soon", "Coming soon"),
                ("public", "Public"),
                ("private", "Private"),
            )
        )
        third = f"""<input type="checkbox" id="third-party" name="wpcom_data_sharing_opt_out" value="true"
  {"checked" if opted_out else ""} {"disabled" if discourage else ""}"""
        if self.misbehaves("label_elsewhere"):  # a visually hidden box inside the other box's label
            boxes = f'''
<div><input type="checkbox" id="discourage" name="wpcom_discourage_search_engines"
  aria-label="Discourage search engines from indexing this site"></div>
<label for="discourage" style="display:flex;gap:8px;padding:8px 0;cursor:pointer">{third} class="sr"
  aria-label="{html.escape(label)}"><span>Discourage search engines from indexing this site</span>
  <span aria-hidden="true">{html.escape(label)}</span></label>'''
        else:
            boxes = f"""
<div><input type="checkbox" id="discourage" name="wpcom_discourage_search_engines" {"checked" if discourage else ""}>
<label for="discourage">Discourage search engines from indexing this site</label>
<p>This does not block access to your site — it is up to search engines to honor your request.</p></div>
<div>{third}><label for="third-party">{html.escape(label)}</label><p>{html.escape(HELP)}</p></div>"""
        body = f"""<h1>Site visibility</h1><p>{html.escape(item)}</p>
<form id="privacy-form"><div role="radiogroup" aria-label="Site visibility">{radios}</div>
{boxes if visibility == "public" else ""}
<button type="submit" id="save" disabled>Save</button></form><div id="toast" role="status"></div>"""
        script = f"""
const form = document.getElementById('privacy-form'), save = document.getElementById('save');
const boxes = () => Array.from(form.querySelectorAll('input[type=checkbox]'));
const initial = boxes().map(b => b.checked);
form.addEventListener('change', () => {{ save.disabled = boxes().every((b, i) => b.checked === initial[i]); }});
form.addEventListener('submit', async (e) => {{
  e.preventDefault();
  save.disabled = true;
  const box = form.querySelector('[name=wpcom_data_sharing_opt_out]');
  const discourage = form.querySelector('[name=wpcom_discourage_search_engines]');
  const r = await fetch({json.dumps(f"/rest/v1.4/sites/{item}/settings")}, {{method: 'POST',
    headers: {{'content-type': 'application/json'}}, body: JSON.stringify({{
      wpcom_data_sharing_opt_out: !!(box && box.checked), wpcom_discourage_search_engines: !!(discourage && discourage.checked)}})}});
  document.getElementById('toast').textContent = r.ok ? 'Settings saved.' : 'Failed to save settings.';
  save.disabled = r.ok;
}});"""
        if self.misbehaves("slow_render"):
            return late_page(body, title=self.title, lang=lang, script=script)
        return page(body, title=self.title, lang=lang, script=script)

    def save_site(self, req: Request, item: str) -> Response:
        user = self.user(req)
        if user is None or item not in self.owned():
            return Response(status=403, body="{}", content_type="application/json")
        payload = req.json or {}
        if payload.get("wpcom_discourage_search_engines"):
            self.event("discourage", item=item)  # a setting optout must never change
        blocked = bool(payload.get("wpcom_data_sharing_opt_out"))
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
