"""Challenges a replica shows and a person can solve (the "a person solves it in a visible window"
path), each recording what was done to it, so a test asserts optout typed and clicked nothing.

- A code sent by e-mail or text message: the code is generated and recorded (`mailed_code` or
  `texted_code` event with `code`); the form posts to PATH/code; the right code signs in.
- A CAPTCHA or Cloudflare frame: served by the router for the captcha hosts (FRAME_HOSTS), with one
  button a person clicks ("Verify"); the page then goes on (`challenge_solved`).
- Approval on another device (`approval_asked`): the page polls PATH/status until a test calls
  `Replica.approve()` (`approved`), then goes on.
- A refused attempt needs nothing here: the replica refuses once and takes the next attempt.

Anything typed into a challenge's input or frame is a `challenge_typed` event; a code sent is a
`challenge_code` event (ok or not); the end of each is `challenge_passed`. Where a challenge signs
the browser in or only clears a page (`then`: "sign_in" or "clear") the replica decides in
`challenge_passed`."""

from __future__ import annotations

import html
import json
import secrets

from optout.sandbox.replica import Request, Response, page, redirect

PATH = "/__challenge"
#: Hosts whose frames the router serves as a solvable fake (never a real one).
FRAME_HOSTS = {
    "client-api.arkoselabs.com": "Verify",
    "iframe.arkoselabs.com": "Verify",
    "challenges.cloudflare.com": "Verify you are human",
    "newassets.hcaptcha.com": "I am human",
}

FRAME_SCRIPT = """
document.getElementById('solve').addEventListener('click', () => parent.postMessage({challenge: 'solved'}, '*'));
document.addEventListener('keydown', () => parent.postMessage({challenge: 'typed'}, '*'));"""

#: On the challenge's own page: report typing, follow a solved frame, poll for an approval.
PAGE_SCRIPT = """
if (%s) window.CHALLENGE_TOKEN = %s;
const POLL = %s;
const tell = (what) => fetch('%s/' + what, {method: 'POST', headers: {'content-type': 'application/json'},
  body: JSON.stringify({token: window.CHALLENGE_TOKEN})});
const go = () => location.replace('%s/pass?token=' + encodeURIComponent(window.CHALLENGE_TOKEN) + '&next=' +
  encodeURIComponent(new URLSearchParams(location.search).get('redirect_after_login') || ''));
document.querySelectorAll('[data-challenge-input]').forEach((i) => i.addEventListener('input', () => tell('typed')));
window.addEventListener('message', async (e) => {
  if (!e.data || !e.data.challenge) return;
  if (e.data.challenge === 'typed') { tell('typed'); return; }
  if (e.data.challenge === 'solved' && (await tell('solved')).ok) go();
});
if (POLL) setInterval(async () => {
  const r = await fetch('%s/status?token=' + window.CHALLENGE_TOKEN); if ((await r.json()).ok) go(); }, 300);"""


def frame(host: str) -> Response:
    """The fake frame of a CAPTCHA or Cloudflare host: one button a person clicks."""
    label = FRAME_HOSTS.get(host, "Verify")
    return page(
        f'<p>Security check</p><button type="button" id="solve">{html.escape(label)}</button>',
        title="challenge",
        script=FRAME_SCRIPT,
    )


def start(
    replica, kind: str, user: str | None, target: str, *, then: str = "sign_in"
) -> tuple[str, dict]:
    """A new pending challenge: its token and record (a code is generated and "sent" now)."""
    token = secrets.token_urlsafe(12)
    record = {"kind": kind, "user": user, "target": target, "then": then, "solved": False}
    if kind in ("email_code", "sms_code"):
        record["code"] = f"{secrets.randbelow(10**6):06d}"
        replica.event("mailed_code" if kind == "email_code" else "texted_code", code=record["code"])
    if kind == "app_approval":
        replica.event("approval_asked")
    replica.state.setdefault("challenges", {})[token] = record
    replica.event("challenge", asks=kind)
    return token, record


def widget(
    token: str, record: dict, *, input_attrs: str = "", frame_host: str = "", frame_title: str = ""
) -> str:
    """The part a person answers: a code form, a frame, or nothing (approval: the page waits)."""
    if record["kind"] in ("email_code", "sms_code"):
        return f"""<form method="post" action="{PATH}/code">
  <input type="hidden" name="token" value="{token}">
  <label>Enter code <input {input_attrs} name="pin" inputmode="numeric" data-challenge-input></label>
  <button type="submit">Submit</button>
</form>"""
    if frame_host:
        return f'<iframe title="{html.escape(frame_title)}" src="https://{frame_host}/fc/gc/?token=replica"></iframe>'
    return ""


def script(token: str | None, *, poll: bool = False) -> str:
    """The challenge page's script; without a token, a page sets `window.CHALLENGE_TOKEN` itself
    when its challenge shows (single-page sign-ins)."""
    known = json.dumps(token is not None)
    return PAGE_SCRIPT % (known, json.dumps(token), json.dumps(poll), PATH, PATH, PATH)


def answer(replica, req: Request) -> Response:
    """PATH/…: typed, solved, status, code and pass."""
    what = req.path.removeprefix(PATH + "/")
    token = (req.json or {}).get("token") if isinstance(req.json, dict) else None
    token = token or req.form.get("token") or req.query.get("token", "")
    record = replica.state.get("challenges", {}).get(token)
    if record is None:
        return Response(status=404, body="<h1>No such challenge</h1>")
    if what == "typed":
        replica.event("challenge_typed", asks=record["kind"])
        return Response(status=204, body="", content_type="text/plain")
    if what == "solved":
        record["solved"] = True
        replica.event("challenge_solved", asks=record["kind"])
        return Response(body='{"ok":true}', content_type="application/json")
    if what == "status":
        return Response(body=json.dumps({"ok": record["solved"]}), content_type="application/json")
    if what == "code" and req.method == "POST":
        ok = bool(record.get("code")) and req.form.get("pin", "") == record["code"]
        replica.event("challenge_code", ok=ok)
        if not ok:
            return (
                redirect(record["target"])
                if record["then"] == "clear"
                else Response(
                    status=400,
                    body="<h1>That code didn't work.</h1><p role='alert'>That code didn't work.</p>",
                )
            )
        record["solved"] = True
    if what in ("code", "pass") and record["solved"]:
        replica.state["challenges"].pop(token, None)
        replica.event("challenge_passed", asks=record["kind"])
        nxt = req.query.get("next", "")
        target = nxt if nxt.startswith("/") and not nxt.startswith("//") else record["target"]
        if record["then"] == "clear":
            # Clearance belongs to the browser that earned it, as Cloudflare's cf_clearance cookie
            # does: another browser (or one the cookie was not carried to) meets the check again.
            pass_token = secrets.token_urlsafe(12)
            if not isinstance(replica.state.get("cleared"), dict):
                replica.state["cleared"] = {}
            replica.state["cleared"][pass_token] = record["kind"]
            replica.sandbox.save()
            return redirect(
                target, headers={"set-cookie": f"{CLEARANCE_COOKIE}={pass_token}; Path=/; Secure"}
            )
        return replica.challenge_passed(record["user"], target)
    return Response(status=403, body="<h1>Not yet</h1>")


#: The cookie a cleared "clear" challenge leaves in the browser that cleared it.
CLEARANCE_COOKIE = "sandbox_clearance"


def cleared(replica, kind: str, req: Request) -> bool:
    """Whether this browser cleared a challenge of this kind ("clear" challenges)."""
    passes = replica.state.get("cleared")
    return isinstance(passes, dict) and passes.get(req.cookies.get(CLEARANCE_COOKIE, "")) == kind
