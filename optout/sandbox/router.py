"""The sandbox: every replica, its state (in memory or in a JSON file shared across processes), the
misbehaviours it can be told to show, and the routing of a Playwright context's requests to the
replicas. Anything no replica serves is aborted, so no request ever leaves the machine."""

from __future__ import annotations

import asyncio
import html as _html
import importlib
import json
import os
import pkgutil
import re as _re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from optout.errors import OptoutError, ReplicaMix
from optout.paths import RUN_PROFILE, home, is_sandbox_profile, private_dir
from optout.sandbox.kit import challenge, weight
from optout.sandbox.kit.consent import CONSENT_PATH
from optout.sandbox.replica import (
    BUSY_DELAY_S,
    BUSY_PATH,
    Replica,
    Request,
    Response,
    digest,
)

#: Every misbehaviour of DESIGN.md, by name, with what it does.
MISBEHAVIOURS: dict[str, str] = {
    "already_off": "the setting starts switched off",
    "save_fails": "saving answers HTTP 500 (the switch still flips on screen)",
    "reverts": "saving answers 200 but the setting is back on after a reload",
    "slow_render": "the setting appears 2 s after the page loads",
    "real_weight": "pages pull 6 MB of images, fonts and video, 1.2 MB of scripts and analytics requests; "
    "every response 100 ms late, all sharing one 20 Mbit/s connection",
    "slow_fetch": "a spinner fetches for 6 s (requests less than 1 s apart) before the setting appears",
    "session_expired": "saved sessions are no longer accepted",
    "wrong_password": "the password is rejected",
    "two_factor": "a verification code is asked for after the password",
    "checkpoint": "a security check (CAPTCHA) page appears after the password",
    "absent": "the setting is not offered (region)",
    "label_gone": "the page changed: the setting's label is different",
    "language": "the page is in a language the flow does not know",
    "german": "the page is in German (lang=de), with the platform's German labels as sourced",
    "french": "the page is in French (lang=fr), with the platform's French labels as sourced",
    "spanish": "X in Spanish (lang=es): bundle labels, sourced sign-in question; an objection form in Spanish "
    "(lang=es) with the replica's own words (none is sourced)",
    "danish": "X in Danish (lang=da): its web bundle's labels and sign-in words",
    "finnish": "X in Finnish (lang=fi): its web bundle's labels and sign-in words",
    "portuguese": "LinkedIn in Portuguese (lang=pt-BR), with the switch label as the press quotes it; an "
    "objection form in Portuguese (lang=pt) with Meta's sourced title and button",
    "state_word_lies": "the word shown beside a switch (On/Off, Sì/No) says the opposite of the switch",
    "italian": "an objection form is in Italian (lang=it), with Meta's sourced button and confirmation",
    "lookalike_login": "the sign-in page redirects to a look-alike origin",
    "server_error": "every request answers HTTP 500",
    "identifier_step": "sign-in asks 'Enter your phone number or username' (unusual activity) before the password",
    "under_18": "the account is under 18: the settings show greyed out",
    "memory_hidden": "an optional setting the platform hides for some accounts is not shown",
    "no_items": "the account owns none of the things a per-item setting exists for (publications, blogs, sites)",
    "list_changed": "the page listing the account's publications, blogs or sites changed (its links are different)",
    "admin_managed": "an administrator manages the setting (work or school account): it shows greyed out",
    "choice_unknown": "a dropdown or radio group shows a choice the flow does not know (none of on/off is selected)",
    "identity_bound": "a session ends when another browser (another User-Agent, brands or language) uses it",
    "slow_login_step": "X shows each sign-in step after 6 s of fetching (no busy role)",
    "slow_verify": "the server takes 0.5 s to answer a verification code (the code page stays meanwhile)",
    "focus_thief": "when the password field gets focus, a script moves focus into a cross-origin frame that records keys",
    "echo_password": "after a failed sign-in the page prints the typed password back (text, attribute, JSON)",
    "identifier_email": "the unusual-activity step asks for the 'Email address' (the same input as the code)",
    "identifier_phone_email": "the unusual-activity step asks for the 'Phone or email' (the same input as the code)",
    "captcha_early": "a security check (CAPTCHA) appears right after the username, before the password",
    "huge_page": "the settings page is about 5 MB of text without the control (too big to photograph whole)",
    "hostile_text": "the page's switches read aria-checked as markup and terminal escape sequences",
    "dialog_stuck": "the dialog holding the setting does not close with its button, and the change is not kept",
    "row_button": "the setting's row opens its dialog only through its own button ('On ›'); the label is inert",
    "row_ambiguous": "like row_button, with a second button in the row: which one opens the dialog is unclear",
    "locked_on": "the setting shows on, greyed out: this account may not change it",
    "locked_off": "the setting shows off (opted out), greyed out: this account may not change it",
    "label_elsewhere": "the switch is hidden inside a <label for=…> that names a different checkbox",
    "not_public": "the site is not Public (Private or Coming soon): the setting is not shown",
    "help_mentions_objection": "an objection form's help text speaks of an earlier objection and of requests "
    "applied going forward, while the form is offered",
    "confirm_dialog": "an objection form is sent in the background and confirmed in a dialog",
    "no_confirmation": "an objection form is accepted (HTTP 200) with a page that confirms nothing; the form shows again later",
    "error_with_confirmation": "an objection form answers HTTP 400 with a page holding confirmation-like words",
    "required_country": "an objection form requires a country of residence and an explanation (2024 form)",
    "required_explanation": "an objection form requires an explanation",
    "choice_gone": "an objection form's first choice offers no option for the objection the flow sends",
    "older_wording": "an objection form shows its older button and confirmation wording",
    "email_pin": "after the password, a checkpoint asks for a code sent by e-mail (an undeclared field)",
    "late_captcha": "a CAPTCHA covers the settings page 1 s after it loads (the setting shows at 2 s)",
    "captcha_on_reload": "once a change is saved, the settings page leads to a CAPTCHA checkpoint",
    "blocked_attempt": "the first sign-in is refused: 'We blocked an attempt to access your account…'",
    "sms_checkpoint": "after the password, 'Checkpoint required' asks for a code sent by text message",
    "approve_login": "after the password, the sign-in waits for approval on another device",
    "cloudflare": "Cloudflare's 'Just a moment…' check (a Turnstile frame) stands before every page",
    "cookie_consent": "a cookie-consent dialog shaped like the platform's covers every page until a choice is made",
    "cookie_consent_late": "the cookie-consent dialog appears 1 s after each page loads",
    "cookie_consent_accept_only": "the cookie-consent dialog offers only a button that accepts all cookies",
    "cookie_consent_reworded": "the cookie-consent dialog's buttons use other words (e.g. 'Only allow essential cookies')",
}

#: What `hostile_text` puts where a switch's state belongs: HTML, rich markup, a colour, an OSC title.
HOSTILE_TEXT = "<script>alert(1)</script>[bold]pwned[/bold]\x1b[31mred\x1b]0;owned\x07"


def state_file(profile: str = "default", root: Path | None = None) -> Path:
    """Where `optout --sandbox` keeps one profile's replica state across processes.

    The replicas play the platforms' servers, so their state holds what a server holds (a TOTP
    secret, for one). It lives beside optout's data folder, never inside it, so nothing of the
    replicas' side is ever among optout's own files: $OPTOUT_SANDBOX_HOME, else the data folder's
    path with "-sandbox" appended (OPTOUT_HOME=/x/home → /x/home-sandbox); `root` stands for the
    data folder when it is not OPTOUT_HOME's."""

    env = os.environ.get("OPTOUT_SANDBOX_HOME")
    data = root or home()
    folder = Path(env).expanduser() if env else data.with_name(data.name + "-sandbox")
    return folder / f"{profile.removeprefix('sandbox-')}.json"


def replica_classes() -> list[type[Replica]]:
    """Every module of optout.sandbox besides `replica`, `router` and the `kit` package holds one
    platform's replica: a Replica subclass."""

    package = importlib.import_module(__package__)
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.ispkg or info.name in ("replica", "router"):
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        found += [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, Replica)
            and obj.platform
            and obj.__module__ == module.__name__
        ]
    return found


class Sandbox:
    """All replicas, with their state kept in memory or in a JSON file (for runs across processes)."""

    def __init__(self, state_file: Path | None = None):
        self.state_file = state_file
        self.replicas: dict[str, Replica] = {cls.platform: cls(self) for cls in replica_classes()}
        self.link = weight.Link()  # the connection pages of real weight share (real_weight)
        self.data: dict[str, dict] = {}
        if state_file and state_file.exists():
            self.data = self._read_state(state_file)
        for name, replica in self.replicas.items():
            self.data.setdefault(name, replica.fresh_state())

    @staticmethod
    def _read_state(path: Path) -> dict:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and all(isinstance(v, dict) for v in data.values()):
                return data
            problem = "not the replicas' state"
        except (OSError, ValueError) as exc:
            problem = str(exc)

        raise OptoutError(
            f"The sandbox state {path} cannot be read ({problem}).",
            f"Delete it (rm '{path}'): the replicas start afresh.",
        )

    @classmethod
    def for_profile(cls, profile: str) -> Sandbox:
        """The replicas `optout --sandbox --profile NAME` runs against (see state_file)."""
        return cls(state_file=state_file(profile))

    def replica(self, platform: str) -> Replica:
        return self.replicas[platform]

    def save(self) -> None:
        if self.state_file:
            private_dir(self.state_file.parent)
            tmp = self.state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data, indent=1))
            tmp.replace(self.state_file)

    def configure(
        self,
        platform: str,
        *misbehaviours: str,
        reset: bool = True,
        accounts: dict[str, str] | None = None,
        **account,
    ) -> Replica:
        """Set a replica up: fresh state, the given misbehaviours, optionally its account, and
        optionally more accounts (username → password), each with its own settings."""
        unknown = set(misbehaviours) - set(MISBEHAVIOURS)
        if unknown:
            raise ValueError(
                f"unknown misbehaviours {sorted(unknown)}; known: {sorted(MISBEHAVIOURS)}"
            )
        replica = self.replica(platform)
        if reset:
            self.data[platform] = replica.fresh_state()
        state = self.data[platform]
        state["misbehaviours"] = sorted(set(misbehaviours))
        if (
            "password" in account
        ):  # kept as a digest: the replica's state file is never a secret store
            state["password_sha256"] = digest(account.pop("password"))
        state.update({k: v for k, v in account.items() if k in ("username", "totp_secret")})
        if "already_off" in misbehaviours:
            state["settings"] = {s: False for s in replica.settings}
        for username, password in (accounts or {}).items():
            state.setdefault("accounts", {})[username] = {
                "password_sha256": digest(password),
                "totp_secret": None,
                "settings": dict(state["settings"]),
            }
        if "session_expired" in misbehaviours:
            state["sessions"] = []
        self.save()
        return replica

    def expire_sessions(self, platform: str) -> None:
        self.data[platform]["sessions"] = []
        self.save()

    def _replica_for(self, host: str) -> Replica | None:
        for replica in self.replicas.values():
            if host in replica.hosts:
                return replica
        return None

    async def install(self, context) -> None:
        """Route every request of a Playwright BrowserContext to the replicas; never for an API run
        that records in a real profile (optout.runs.run_profile), even through a wrapper."""

        name = RUN_PROFILE.get()
        if name is not None and not is_sandbox_profile(name):
            raise ReplicaMix(
                f"The sandbox replicas do not serve a run that records in the real profile '{name}'.",
                f"Give the run profile='sandbox-{name}'.",
            )
        await context.route("**/*", self._route)

    # What optout.api looks for: a run routed here keeps to a sandbox profile (see run_profile).
    install.routes_to_replicas = True  # type: ignore[attr-defined]

    async def _route(self, route) -> None:
        request = route.request
        parts = urlsplit(request.url)
        replica = self._replica_for(parts.hostname or "")
        heavy = weight.asset(parts.hostname or "", parts.path) if parts.scheme == "https" else None
        if heavy is not None:  # what a page of real weight pulls (real_weight)
            await self.link.send(len(heavy.body))
            await route.fulfill(
                status=heavy.status, body=heavy.body, content_type=heavy.content_type
            )
            return
        if replica is None and parts.scheme == "https" and parts.hostname in challenge.FRAME_HOSTS:
            resp = challenge.frame(
                parts.hostname
            )  # a CAPTCHA or Cloudflare frame a person can solve
            await route.fulfill(status=resp.status, body=resp.body, content_type=resp.content_type)
            return
        if replica is None or parts.scheme != "https":
            await route.abort("namenotresolved")
            return
        if (
            parts.path == BUSY_PATH
        ):  # a spinner's request (slow_fetch): busy for a moment, then done
            await asyncio.sleep(BUSY_DELAY_S)
            await route.fulfill(status=200, body='{"ok":true}', content_type="application/json")
            return
        if self.state_file and self.state_file.exists():
            self.data = self._read_state(self.state_file)
        body = request.post_data or ""
        content_type = (await request.all_headers()).get("content-type", "")
        form = (
            {k: v[0] for k, v in parse_qs(body).items()}
            if "form-urlencoded" in content_type
            else {}
        )
        try:
            payload = json.loads(body) if "json" in content_type and body else None
        except ValueError:
            payload = None
        headers = await request.all_headers()
        cookie_header = headers.get("cookie", "")
        cookies = dict(c.strip().split("=", 1) for c in cookie_header.split(";") if "=" in c)
        req = Request(
            method=request.method,
            url=request.url,
            path=parts.path or "/",
            query={k: v[0] for k, v in parse_qs(parts.query).items()},
            form=form,
            json=payload,
            cookies=cookies,
            identity=" | ".join(
                headers.get(h, "") for h in ("user-agent", "sec-ch-ua", "accept-language")
            ),
        )

        if req.path == CONSENT_PATH:
            resp = replica.consent_answer(req)
        elif req.path.startswith(challenge.PATH + "/"):
            resp = challenge.answer(replica, req)
            replica.sandbox.save()
        elif replica.misbehaves("server_error"):
            resp = Response(status=500, body="<h1>500 Internal Server Error</h1>")
        else:
            replica.check_identity(req)
            resp = replica.with_consent(req, replica.handle(req))
        if replica.misbehaves("hostile_text") and isinstance(resp.body, str):
            hostile = _html.escape(HOSTILE_TEXT, quote=True)
            resp.body = _re.sub(
                r'aria-checked="(true|false)"', f'aria-checked="{hostile}"', resp.body
            )
        if replica.misbehaves("real_weight"):
            if isinstance(resp.body, str) and resp.content_type.startswith("text/html"):
                resp.body = weight.decorate(resp.body)
            await self.link.send(len(resp.body))
        await route.fulfill(
            status=resp.status, body=resp.body, content_type=resp.content_type, headers=resp.headers
        )
