"""The pages and the actions of `optout ui`. Pages are GET and change nothing; every action is a
JSON POST (GuardMiddleware has checked its Origin and CSRF token before it gets here)."""

from __future__ import annotations

import asyncio
import json
import secrets

import keyring
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from optout import catalog, logs
from optout.credentials import AccountStore, Credential, require_secrets
from optout.errors import OptoutError
from optout.filestore import file_store_path, uses_file_store
from optout.flowfile.layers import Layers, load_flows, resolve
from optout.sessions import SessionStore
from optout.textsafe import inert
from optout.ui import jobs, words
from optout.ui.render import page

MAX_BODY = 64 * 1024


def _ui(request: Request):
    return request.app.state.ui


def _refuse(text: str, hint: str = "", status: int = 400) -> JSONResponse:
    return JSONResponse({"ok": False, "error": text, "hint": hint}, status_code=status)


async def _body(request: Request) -> dict:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ValueError("too long")
    data = json.loads(raw or b"{}")
    if not isinstance(data, dict):
        raise ValueError("not an object")
    return data


def platforms() -> list[dict]:
    """Every platform of the catalogue by its real name, and whether optout acts on it or guides."""

    return [
        {"id": p["platform"], "name": p["name"], "guide": p["guide"] is not None}
        for p in catalog.catalogue()
    ]


async def stand(request: Request) -> HTMLResponse:
    ui = _ui(request)
    rows, step = words.where_you_stand(ui.ctx.profile)
    return page(request, "stand.html", rows=rows, step=step, title="Where you stand")


async def act(request: Request) -> HTMLResponse:
    ui = _ui(request)
    stored = {a.platform for a in AccountStore(ui.ctx.profile).list()}
    return page(
        request, "act.html", platforms=platforms(), stored=stored, title="Check or switch off"
    )


async def volunteer(request: Request) -> HTMLResponse:
    return page(
        request,
        "volunteer.html",
        platforms=[p for p in platforms() if not p["guide"]],
        title="Help someone (volunteer mode)",
    )


async def accounts(request: Request) -> HTMLResponse:
    ui = _ui(request)
    profile = ui.ctx.profile
    if uses_file_store(profile):
        where = f"a file only you can read ({file_store_path(profile)}; not encrypted)"
    else:
        where = f"your system keyring ({keyring.get_keyring().name})"
    known = words.names()
    stored = [
        {
            "platform": a.platform,
            "name": known.get(a.platform, a.platform),
            "username": inert(a.username),
            "totp": a.has_totp,
        }
        for a in AccountStore(profile).list()
    ]

    signable = [
        {"id": pid, "name": f.name}
        for pid, f in sorted(load_flows(Layers.person()).items())
        if f.guide is None and f.login and f.login.steps
    ]
    return page(
        request,
        "accounts.html",
        stored=stored,
        where=where,
        signable=signable,
        title="Your accounts",
    )


async def run_page(request: Request) -> Response:
    job = _ui(request).jobs.get(request.path_params["job"])
    if job is None:
        return HTMLResponse(
            "No such run: it belongs to an earlier start of optout ui.", status_code=404
        )
    known = words.names()
    return page(
        request,
        "run.html",
        job=job,
        names=[known.get(p, p) for p in job.platforms],
        title={"check": "Checking", "off": "Switching off", "assist": "Volunteer mode"}[job.kind],
    )


async def events(request: Request) -> Response:
    job = _ui(request).jobs.get(request.path_params["job"])
    if job is None:
        return Response(status_code=404)

    try:  # a browser that reconnects says what it has seen: it gets the rest, never a repeat
        seen = max(0, int(request.headers.get("last-event-id", "0")))
    except ValueError:
        seen = 0

    async def stream():
        async for number, event in job.follow(seen):
            yield f"id: {number}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"cache-control": "no-store"}
    )


async def handout(request: Request) -> Response:
    job = _ui(request).jobs.get(request.path_params["job"])
    if job is None or job.handout is None:
        return HTMLResponse("No handout for this run.", status_code=404)
    # The handout is a page of its own (inline style, no script); its own policy, stricter than ours.
    policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return HTMLResponse(job.handout, headers={"content-security-policy": policy})


async def start_run(request: Request) -> JSONResponse:
    ui = _ui(request)
    try:
        data = await _body(request)
    except ValueError:
        return _refuse("The request was not understood.")
    mode = data.get("mode")
    chosen = [str(p) for p in data.get("platforms") or [] if isinstance(p, str)]
    if mode not in ("check", "off", "assist"):
        return _refuse("Choose check, switch off or volunteer mode.")
    if not chosen:
        return _refuse("Choose at least one platform from the list.")
    try:
        resolve(chosen, Layers.person())
    except OptoutError as exc:
        return _refuse(exc.message, exc.hint or "")
    if any(not j.done for j in ui.jobs.values()):
        return _refuse("Another run is still going: wait for it to finish.", status=409)
    reason = str(data.get("reason") or "")[:2000]
    if (
        mode == "assist"
        and data.get("keep")
        and ui.ctx.profile.name in ("default", "sandbox-default")
    ):
        return _refuse(
            "To keep what belongs to the person you help, give them a profile of their own.",
            "Close this page and start it again with `optout --profile NAME ui` (NAME: theirs).",
        )
    job = jobs.Job(secrets.token_urlsafe(8), mode, chosen)
    ui.jobs[job.id] = job
    if mode == "assist":
        work = jobs.run(
            ui.ctx,
            job,
            jobs.run_assist,
            reason=reason,
            person=str(data.get("person") or "")[:200],
            keep=bool(data.get("keep")),
        )
    else:
        work = jobs.run(ui.ctx, job, jobs.run_flow, reason=reason)

    job.task = asyncio.create_task(work)
    return JSONResponse({"ok": True, "id": job.id, "url": f"/runs/{job.id}"})


async def answer(request: Request) -> JSONResponse:
    job = _ui(request).jobs.get(request.path_params["job"])
    try:
        data = await _body(request)
        number, yes = int(data["id"]), data["yes"]
    except (ValueError, KeyError, TypeError):
        return _refuse("The answer was not understood.")
    if job is None or not isinstance(yes, bool) or not job.answer(number, yes):
        return _refuse("That question is no longer waiting for an answer.", status=409)
    return JSONResponse({"ok": True})


async def add_account(request: Request) -> JSONResponse:
    """The password goes from the POST body to the keyring and nowhere else: not echoed, not logged."""

    ui = _ui(request)
    try:
        data = await _body(request)
    except ValueError:
        return _refuse("The request was not understood.")
    platform, username = str(data.get("platform") or ""), str(data.get("username") or "").strip()
    password = data.get("password")
    if not isinstance(password, str) or not password or not username:
        return _refuse("A username and a password are both needed.")
    logs.register_secret(password)  # whatever this server says or logs afterwards, never this
    try:
        [flow] = resolve([platform], Layers.person())
        if flow.guide is not None or not flow.login.steps:
            return _refuse(
                f"optout does not sign in to {flow.name} with a password.",
                "Use Check on the Act page: a window opens for you to sign in yourself.",
            )
        require_secrets(ui.ctx.profile)
        AccountStore(ui.ctx.profile).add(platform, Credential(username, password))
    except OptoutError as exc:
        return _refuse(exc.message, exc.hint or "")
    return JSONResponse(
        {"ok": True, "message": f"Stored your {flow.name} account {inert(username)}."}
    )


async def remove_account(request: Request) -> JSONResponse:
    ui = _ui(request)
    try:
        data = await _body(request)
    except ValueError:
        return _refuse("The request was not understood.")
    platform, username = str(data.get("platform") or ""), str(data.get("username") or "")

    try:
        removed = AccountStore(ui.ctx.profile).remove(platform, username or None)
        for a in removed:
            SessionStore(ui.ctx.profile).delete(platform, a.username)
    except OptoutError as exc:
        return _refuse(exc.message, exc.hint or "")
    return JSONResponse({"ok": True, "message": f"Removed {len(removed)} account(s)."})


async def close(request: Request) -> JSONResponse:
    _ui(request).stop(by_page=True)
    return JSONResponse({"ok": True, "message": "optout ui has stopped. You can close this tab."})
