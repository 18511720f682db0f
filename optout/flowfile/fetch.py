"""Where a flow bundle comes from: a file, or an https URL (never http, never redirected to http),
read within one total deadline and a size cap. Every failure names its cause and what to do.

The deadline is for the whole fetch (connecting, headers, body), not for each read: a server that
sends one byte every two seconds never trips a per-read timeout. The fetch runs in a worker
thread that stops reading at the deadline; the caller stops waiting at the deadline whatever the
worker is blocked in."""

from __future__ import annotations

import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from optout.errors import OptoutError
from optout.flowfile.updates import MAX_BUNDLE_BYTES

TIMEOUT_S = 30.0


class _HttpsOnly(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme != "https":
            raise OptoutError(
                f"{req.full_url} redirects to {newurl}, which is not https.",
                "Flow updates are only fetched over https; use an https address that does not redirect.",
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def is_url(source: str) -> bool:
    return "://" in source


def read_source(source: str, cafile: str | None = None, timeout: float | None = None) -> bytes:
    return (
        fetch(source, cafile, timeout) if is_url(source) else read_file(Path(source).expanduser())
    )


def read_file(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BUNDLE_BYTES + 1)
    except OSError as exc:
        raise OptoutError(
            f"Cannot read {path}: {exc.strerror or exc}.",
            "Check the path of the bundle file (or give its https URL).",
        ) from None
    if len(data) > MAX_BUNDLE_BYTES:
        raise OptoutError(
            f"{path} is larger than a flow bundle may be ({MAX_BUNDLE_BYTES} bytes).",
            "Check that it is an optout flow bundle.",
        )
    return data


def fetch(url: str, cafile: str | None = None, timeout: float | None = None) -> bytes:
    """The body at `url`, https only, all of it within `timeout` seconds (TIMEOUT_S). `cafile`
    trusts one more certificate authority (tests)."""
    if urlsplit(url).scheme != "https" or not urlsplit(url).hostname:
        raise OptoutError(
            f"'{url}' is not an https URL.",
            "Flow updates are only fetched over https (or give a file you downloaded).",
        )
    timeout = TIMEOUT_S if timeout is None else timeout
    deadline = time.monotonic() + timeout
    outcome: dict = {}
    stop = threading.Event()

    def work() -> None:
        try:
            outcome["data"] = _fetch(url, cafile, timeout, deadline, stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller as it is
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="optout-flow-fetch", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        stop.set()  # the worker stops at its next read; nobody waits for it
        raise OptoutError(
            _late(url, timeout),
            "Check the address and your connection, then try again "
            "(or download the bundle and give the file).",
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["data"]


def _late(url: str, timeout: float) -> str:
    return f"{url} did not answer within {timeout:g} seconds (the whole bundle must arrive in that time)."


class _Late(Exception):
    """The deadline passed while the body was still arriving."""


def _fetch(
    url: str, cafile: str | None, timeout: float, deadline: float, stop: threading.Event
) -> bytes:
    context = ssl.create_default_context(cafile=cafile)
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _HttpsOnly())
    request = urllib.request.Request(url, headers={"User-Agent": "optout-flow-update"})
    retry = "Check the address and your connection, then try again (or download the bundle and give the file)."
    try:
        with opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > MAX_BUNDLE_BYTES:
                raise OptoutError(
                    f"{url} is {length} bytes, larger than a flow bundle may be "
                    f"({MAX_BUNDLE_BYTES}).",
                    "Check that the address is an optout flow bundle.",
                )
            data = bytearray()
            while len(data) <= MAX_BUNDLE_BYTES:
                if stop.is_set() or time.monotonic() > deadline:
                    raise _Late
                chunk = response.read1(65536)  # what has arrived, not a fixed amount
                if not chunk:
                    break
                data += chunk
    except _Late:
        raise OptoutError(_late(url, timeout), retry) from None
    except OptoutError:
        raise
    except urllib.error.HTTPError as exc:
        raise OptoutError(f"{url} answered HTTP {exc.code} ({exc.reason}).", retry) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise OptoutError(
                f"{url}: its certificate is not trusted ({reason.verify_message}).",
                "Check the address: optout fetches updates only from sites with a valid "
                "certificate.",
            ) from None
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise OptoutError(f"{url} did not answer within {timeout:g} seconds.", retry) from None
        raise OptoutError(f"{url} could not be reached: {reason}.", retry) from None
    except TimeoutError:
        raise OptoutError(f"{url} did not answer within {timeout:g} seconds.", retry) from None
    except (ssl.SSLError, OSError) as exc:
        raise OptoutError(f"{url} could not be read: {exc}.", retry) from None
    if len(data) > MAX_BUNDLE_BYTES:
        raise OptoutError(
            f"{url} is larger than a flow bundle may be ({MAX_BUNDLE_BYTES} bytes).",
            "Check that the address is an optout flow bundle.",
        )
    return bytes(data)
