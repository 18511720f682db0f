"""What keeps other pages and other people away from the local page (as Jupyter does, and more):

- the server listens on 127.0.0.1 only;
- a random token, given once in the URL optout opens, becomes an HttpOnly SameSite=Strict cookie
  (the URL is then cleaned), and every request without it is refused;
- the Host header must be 127.0.0.1:PORT or localhost:PORT: a foreign name pointed at 127.0.0.1
  (DNS rebinding) is refused before anything is read;
- every state-changing request needs the page's own Origin, a JSON body and the CSRF token the
  page carries (a foreign page can neither read it nor send a JSON POST without CORS);
- every answer carries a CSP allowing only the page's own files, and is never cached.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

SAFE_METHODS = {"GET", "HEAD"}
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


@dataclass
class Guard:
    """The secrets of one server and the port it listens on (known once it is bound)."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    port: int = 0

    @property
    def cookie(self) -> str:
        return f"optout-ui-{self.port}"

    def hosts(self) -> set[str]:
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    def origins(self) -> set[str]:
        return {f"http://{host}" for host in self.hosts()}

    def url(self, path: str = "/") -> str:
        """The link opened once: it carries the token, which the page trades for a cookie."""
        return f"http://127.0.0.1:{self.port}{path}?{urlencode({'token': self.token})}"

    @staticmethod
    def same(given: str | None, expected: str) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(header: str) -> dict[str, str]:
    found = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            found[name] = value
    return found


class GuardMiddleware:
    """Pure ASGI: refuses what must be refused before the app sees it, and adds the headers."""

    def __init__(self, app, guard: Guard):
        self.app, self.guard = app, guard

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = _headers(scope)
        refusal = self.refusal(scope, headers)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + HEADERS
            await send(message)

        if refusal is not None:
            status, text, extra = refusal
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"), *extra],
                }
            )
            await send_with_headers({"type": "http.response.body", "body": text.encode()})
            return
        await self.app(scope, receive, send_with_headers)

    def refusal(self, scope, headers: dict[str, str]):
        """(status, text, extra headers) when the request is refused; None when it may go on."""
        guard = self.guard
        if headers.get("host") not in guard.hosts():
            return (
                403,
                "Refused: this page answers only at 127.0.0.1 or localhost on its own port.",
                [],
            )
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if scope["method"] == "GET" and "token" in query:
            if not guard.same(query["token"], guard.token):
                return (
                    403,
                    "Refused: that link's token is not this page's. Use the link optout printed.",
                    [],
                )
            rest = {k: v for k, v in query.items() if k != "token"}
            where = scope["path"] + (f"?{urlencode(rest)}" if rest else "")
            cookie = f"{guard.cookie}={guard.token}; HttpOnly; SameSite=Strict; Path=/"
            return (
                303,
                "Signed in to the local page.",
                [(b"location", where.encode()), (b"set-cookie", cookie.encode())],
            )
        if not guard.same(_cookies(headers.get("cookie", "")).get(guard.cookie), guard.token):
            return (
                403,
                (
                    "Refused: open the page through the link `optout ui` printed (it carries a "
                    "one-time token)."
                ),
                [],
            )
        if scope["method"] not in SAFE_METHODS:
            if headers.get("origin") not in guard.origins():
                return 403, "Refused: this action came from another page.", []
            if not headers.get("content-type", "").startswith("application/json"):
                return 415, "Refused: actions are sent by the page itself, as JSON.", []
            if not guard.same(headers.get("x-csrf-token"), guard.csrf):
                return (
                    403,
                    "Refused: this action does not carry the page's own token. Reload the page.",
                    [],
                )
        return None
