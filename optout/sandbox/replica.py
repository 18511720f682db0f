"""What a replica is made of: the requests it receives, the responses and pages it answers with,
and the Replica base class holding one platform's state (its accounts, sessions and settings) and
its misbehaviours. `router` routes a browser's requests to the replicas; `kit` holds the shapes
several platforms share."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from optout.credentials import totp
from optout.sandbox.kit.consent import CONSENT_COOKIE, consent_script

#: The replicas' built-in demo account (public, shown in the README; it opens nothing real).
SANDBOX_USERNAME = "demo@example.org"
SANDBOX_PASSWORD = "sandbox-demo-password"


@dataclass
class Response:
    status: int = 200
    body: str | bytes = ""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    method: str
    url: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    json: Any
    cookies: dict[str, str]
    #: What the browser says of itself: User-Agent, client-hint brands, languages (identity_bound).
    identity: str = ""


def page(body: str, *, title: str, lang: str = "en", script: str = "") -> Response:
    html = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font-family:system-ui,sans-serif;margin:0;background:#f4f2ee;color:#1d1d1d}"
        "main{max-width:720px;margin:24px auto;background:#fff;border-radius:8px;padding:24px}"
        ".sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);opacity:0}"
        "</style></head>"
        f"<body><main>{body}</main>{f'<script>{script}</script>' if script else ''}</body></html>"
    )
    return Response(body=html)


#: What a replica page's spinner fetches (the `slow_fetch` misbehaviour); the router answers it on
#: every replica host after BUSY_DELAY_S.
BUSY_PATH = "/__sandbox/busy"
BUSY_DELAY_S = 0.3


def late_page(
    body: str,
    *,
    title: str,
    lang: str = "en",
    script: str = "",
    keep: str = "",
    delay_ms: int = 2000,
    fetching: bool = False,
) -> Response:
    """A page whose content, and the script that works it, appear `delay_ms` after load, the way
    slow single-page apps render (the `slow_render` misbehaviour). `keep` is shown from the start.
    `fetching`: for 6 s a spinner fetches in turn, requests less than 1 s apart, counting them on
    screen, and only then does the content appear (the `slow_fetch` misbehaviour)."""
    show = f"document.getElementById('late').outerHTML = {json.dumps(body)};\n  {script}"
    if fetching:
        return page(
            keep + '<div id="late" role="status">Loading…</div>',
            title=title,
            lang=lang,
            script=f"""
(async () => {{
  const started = performance.now();
  for (let n = 1; performance.now() - started < 6000; n++) {{
    await fetch({json.dumps(BUSY_PATH)} + '?n=' + n, {{cache: 'no-store'}}).catch(() => null);
    document.getElementById('late').textContent = 'Loading… (' + n + ')';
    await new Promise(done => setTimeout(done, 200));
  }}
  {show}
}})();""",
        )
    return page(
        keep + '<div id="late">Loading…</div>',
        title=title,
        lang=lang,
        script=f"""
setTimeout(() => {{
  {show}
}}, {delay_ms});""",
    )


#: How `redirect` pages begin (they stand for HTTP redirects: no cookie dialog on them).
REDIRECT_HEAD = "<!doctype html><html><body>Redirecting…"


def redirect(location: str, *, headers: dict[str, str] | None = None) -> Response:
    """Routed responses cannot use HTTP redirects here, so redirect the way client apps do."""
    safe = json.dumps(location)
    return Response(
        body=f"{REDIRECT_HEAD}<script>location.replace({safe})</script></body></html>",
        headers=headers or {},
    )


def digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


class Replica:
    """One platform's replica: its hosts, its state, its misbehaviours."""

    platform = ""
    hosts: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()

    def __init__(self, sandbox):
        """`sandbox`: the optout.sandbox.router.Sandbox holding every replica's state (not
        imported here: the router imports the replicas)."""
        self.sandbox = sandbox

    @property
    def state(self) -> dict:
        return self.sandbox.data[self.platform]

    def fresh_state(self) -> dict:
        return {
            "settings": {s: True for s in self.settings},
            "misbehaviours": [],
            "username": SANDBOX_USERNAME,
            "password_sha256": digest(SANDBOX_PASSWORD),
            "totp_secret": None,
            "sessions": [],
            "events": [],
            # More accounts besides the one above: username → {password_sha256, totp_secret, settings}.
            "accounts": {},
            # Which account each session token belongs to.
            "session_users": {},
        }

    def misbehaves(self, name: str) -> bool:
        return name in self.state["misbehaviours"]

    def event(self, kind: str, **data) -> None:
        self.state["events"].append({"kind": kind, **data})
        self.sandbox.save()

    def events(self, kind: str) -> list[dict]:
        return [e for e in self.state["events"] if e["kind"] == kind]

    #: (cookie name, cookie domain) a session travels in, for `storage_state`.
    session_cookie: tuple[str, str] | None = None

    def storage_state(self, username: str | None = None) -> dict:
        """A browser state signed in to this replica: what `optout login` saves once a person has
        signed in (for platforms whose flow has no password sign-in steps)."""
        if self.session_cookie is None:
            raise NotImplementedError(f"the {self.platform} replica declares no session_cookie")
        name, domain = self.session_cookie
        cookie = {
            "name": name,
            "value": self.new_session(username),
            "domain": domain,
            "path": "/",
            "expires": -1,
            "httpOnly": True,
            "secure": True,
            "sameSite": "Lax",
        }
        return {"cookies": [cookie], "origins": []}

    def new_session(self, username: str | None = None) -> str:
        token = secrets.token_urlsafe(16)
        self.state["sessions"].append(token)
        self.state.setdefault("session_users", {})[token] = username or self.state["username"]
        self.sandbox.save()
        return token

    def check_identity(self, req: Request) -> None:
        """Under `identity_bound`: a session belongs to the browser that first used it, as the
        platforms tell devices apart (docs/research/evidence-2026-12.md, "Sign-in on real sites"); any session
        cookie this request carries from another browser (a headless one announcing itself, another
        language) ends that session, recorded as a `session_revoked` event."""
        if not self.misbehaves("identity_bound"):
            return
        bound = self.state.setdefault("session_identity", {})
        for token in set(req.cookies.values()) & set(self.state["sessions"]):
            if bound.setdefault(token, req.identity) != req.identity:
                self.state["sessions"].remove(token)
                self.event("session_revoked", was=bound[token], now=req.identity)
        self.sandbox.save()

    # --- several accounts (one is the default; `Sandbox.configure(accounts=...)` adds more) ----

    def account(self, username: str | None) -> dict | None:
        """The replica's record of one account (password digest, TOTP secret, settings), or None."""
        if username is None or username == self.state["username"]:
            return self.state
        return self.state.get("accounts", {}).get(username)

    def password_ok(self, username: str, password: str) -> bool:
        record = self.account(username)
        return record is not None and digest(password) == record["password_sha256"]

    def session_user(self, token: str | None) -> str | None:
        """The account a session token was issued to; None when it is not a live session."""
        if token not in self.state["sessions"]:
            return None
        return self.state.get("session_users", {}).get(token, self.state["username"])

    def settings_of(self, username: str | None) -> dict:
        """The settings of the signed-in account (each account has its own)."""
        record = self.account(username)
        return (record or self.state)["settings"]

    def saved(self, settings: dict, key: str, value: bool, **seen) -> bool:
        """A change reaching the platform's server, recorded as a `save` event with `seen`: under
        `save_fails` it fails (False: answer HTTP 500); under `reverts` it is acknowledged, not kept."""
        failed = self.misbehaves("save_fails")
        self.event("save", **seen, status=500 if failed else 200)
        if not failed and not self.misbehaves("reverts"):
            settings[key] = value
            self.sandbox.save()
        return not failed

    # --- password and code sign-in: what every replica's sign-in pages check, whatever they look like

    def check_password(self, username: str, password: str) -> bool:
        """The password step: `wrong_password` rejects every password; each try is a `login` event."""
        ok = not self.misbehaves("wrong_password") and self.password_ok(username, password)
        self.event("login", ok=ok, user=username)
        return ok

    def wants_code(self, username: str) -> bool:
        """After a right password: a code is asked for under `two_factor` or when the account has TOTP."""
        return self.misbehaves("two_factor") or bool(
            (self.account(username) or {}).get("totp_secret")
        )

    def check_code(self, username: str | None, code: str, *, event: str = "code") -> bool:
        """The code step: the code must be the account's current TOTP code; each try is an event."""

        secret = (self.account(username) or {}).get("totp_secret") if username is not None else None
        ok = bool(secret) and totp(secret).verify(code, valid_window=1)
        self.event(event, ok=ok)
        return ok

    # --- challenges a person solves (kit/challenge.py) -----------------------------------------

    def challenge_passed(self, username: str | None, target: str) -> Response:
        """A person answered a sign-in challenge: sign the browser in and go to `target`."""
        if self.session_cookie is None:
            raise NotImplementedError(f"the {self.platform} replica declares no session_cookie")
        name, domain = self.session_cookie
        token = self.new_session(username)
        return redirect(
            target,
            headers={"set-cookie": f"{name}={token}; Domain={domain}; Path=/; Secure; HttpOnly"},
        )

    def approve(self) -> None:
        """The person approves the sign-in on their other device: every pending `app_approval`
        challenge (kit/challenge.py) goes on."""
        for record in self.state.get("challenges", {}).values():
            if record["kind"] == "app_approval":
                record["solved"] = True
        self.event("approved")

    def challenge_code(self) -> str:
        """The last code the replica sent by e-mail or text message (what the person reads)."""
        sent = self.events("mailed_code") + self.events("texted_code")
        return sent[-1]["code"] if sent else ""

    # --- the cookie-consent dialog a fresh browser meets (`cookie_consent*` misbehaviours) -------

    #: The dialog's shape (kit/consent.py WORDS: meta, linkedin, x, generic) and the brand it names.
    consent_style = "generic"
    consent_brand = ""

    def consent_shown(self, request: Request) -> bool:
        """Whether this request's page shows the dialog: under a `cookie_consent*` misbehaviour,
        until the browser has made a choice (the cookie the dialog sets)."""

        wanted = any(m.startswith("cookie_consent") for m in self.state["misbehaviours"])
        return wanted and request.cookies.get(CONSENT_COOKIE) not in ("decline", "accept")

    def with_consent(self, request: Request, response: Response) -> Response:
        """The response with the dialog added to its page when it shows (HTML pages only)."""

        body = response.body
        if (
            not self.consent_shown(request)
            or not isinstance(body, str)
            or "</body>" not in body
            or not response.content_type.startswith("text/html")
            or body.startswith(REDIRECT_HEAD)
        ):
            return response
        script = consent_script(
            self.consent_style,
            self.consent_brand or self.platform.capitalize(),
            late=self.misbehaves("cookie_consent_late"),
            reworded=self.misbehaves("cookie_consent_reworded"),
            accept_only=self.misbehaves("cookie_consent_accept_only"),
        )
        response.body = body.replace("</body>", f"<script>{script}</script></body>", 1)
        return response

    def consent_answer(self, request: Request) -> Response:
        """The dialog's report: `consent_accept`, `consent_decline` or `consent_typed` (something
        was typed while the dialog covered the page) events."""
        choice = request.form.get("choice", "")
        if choice in ("accept", "decline", "typed"):
            self.event(f"consent_{choice}", path=request.path)
        return Response(status=204, body="", content_type="text/plain")

    def handle(self, request: Request) -> Response:  # pragma: no cover - each replica overrides
        raise NotImplementedError
