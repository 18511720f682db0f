"""structlog set-up: console on a TTY, JSON otherwise, always on stderr, secrets redacted."""

from __future__ import annotations

import base64
import logging
import re
import sys
import unicodedata

import structlog

_SECRETS: dict[str, re.Pattern] = {}
SECRET_KEYS = {"password", "totp_secret", "cookies", "storage_state", "otp", "code", "token"}
_NAMED = {"&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos"}
_JSON = {
    '"': '\\"',
    "\\": "\\\\",
    "/": "\\/",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_WORD = "A-Za-z0-9"


def _char_forms(c: str) -> str:
    """A regex for one character of a secret in any encoding a page or URL may hold it in:
    raw, HTML entity (named, decimal, hex), percent-encoded (any case, '+' for a space) and
    JSON-escaped (\\uXXXX, \\/, \\")."""
    cp = ord(c)
    forms = [
        re.escape(c),
        f"&#0*{cp};",
        f"(?i:&#x0*{cp:x};)",
        "(?i:" + "".join(f"%{b:02x}" for b in c.encode("utf-8", "surrogatepass")) + ")",
    ]
    if c in _NAMED:
        forms.append(f"(?i:&{_NAMED[c]};)")
    if c == " ":
        forms.append(r"\+")
    if c in _JSON:
        forms.append(re.escape(_JSON[c]))
    units = c.encode("utf-16-be", "surrogatepass")
    forms.append(
        "(?i:"
        + "".join(f"\\\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2))
        + ")"
    )
    return "(?:" + "|".join(forms) + ")"


def _base64_cores(secret: str) -> list[str]:
    """The base64 characters that encode `secret` wherever it sits in a longer encoded value (at
    each of the three byte alignments), in standard and URL-safe alphabets, padding left out."""
    data = secret.encode("utf-8", "surrogatepass")
    cores = set()
    for k in range(3):
        encoded = base64.b64encode(b"\0" * k + data).decode()
        core = encoded[(k * 8 + 5) // 6 : ((k + len(data)) * 8) // 6]
        if len(core) >= 8:
            cores |= {core, core.translate(str.maketrans("+/", "-_"))}
    return sorted(cores)


def _pattern(secret: str) -> re.Pattern:
    body = "".join(_char_forms(c) for c in secret)
    if len(secret) < 4:  # a short secret is scrubbed only where it stands alone, not inside words
        return re.compile(f"(?<![{_WORD}])(?:{body})(?![{_WORD}])")
    # Also: any case, with a space or dash between characters (a TOTP key lowercased or grouped
    # by four, as authenticator apps show it), and base64.
    loose = "(?:[ \t-])?".join(f"(?i:{_char_forms(c)})" for c in secret if not c.isspace())
    return re.compile(
        "|".join([f"(?:{body})", f"(?:{loose})"] + [re.escape(c) for c in _base64_cores(secret)])
    )


def register_secret(value: str | None) -> None:
    """Any string registered here is replaced in every log line, notification and kept page,
    wherever it appears and however it was encoded: entities, URL and JSON escapes, base64, any
    case, grouped with spaces or dashes. A line ending typed with it is not part
    of it; a secret under 4 characters is replaced only where it stands alone, never skipped."""
    for secret in {value, value.rstrip("\r\n")} if value else ():
        if secret and secret not in _SECRETS:
            _SECRETS[secret] = _pattern(secret)


def scrub(text: str, mark: str = "***") -> str:
    """`text` with every registered secret, in every encoding, replaced by `mark`: the one list
    logs, notifications and kept pages share."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = _SECRETS[secret].sub(mark, text)
    return text


def _plain(text: str) -> str:
    """Text as a person reads it, for comparison: compatibility forms folded (fullwidth, ligatures),
    case folded (CSS text-transform), and whitespace and invisible characters removed (a line break
    between two tags, a zero-width space or soft hyphen inside the secret)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) != "Cf")


def shows_secret(text: str) -> bool:
    """Whether rendered text (what a page shows) holds a registered secret in any form scrub
    knows, or read as a person would: across case, spacing and invisible characters, or reversed
    (right-to-left overrides). Errs towards yes: a yes only costs a screenshot."""
    if scrub(text) != text:
        return True
    plain = _plain(text)
    backwards = plain[::-1]
    for secret in _SECRETS:
        wanted = _plain(secret)
        if len(wanted) >= 4 and (wanted in plain or wanted in backwards):
            return True
    return False


def _redact(logger, method_name, event_dict):
    for key in list(event_dict):
        if key in SECRET_KEYS:
            event_dict[key] = "***"
        elif isinstance(event_dict[key], str):
            event_dict[key] = scrub(event_dict[key])
    return event_dict


class _Stderr:
    """Resolve sys.stderr at write time, so redirected streams (tests, CliRunner) are honoured."""

    def write(self, text: str) -> None:
        sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def ensure_configured() -> None:
    if not structlog.is_configured():
        configure()


def configure(fmt: str = "auto", verbose: int = 0) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    renderer = (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        if fmt == "console"
        else structlog.processors.JSONRenderer()
    )
    processors = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    if fmt == "json":
        processors.append(structlog.processors.dict_tracebacks)
    structlog.configure(
        processors=processors + [renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(_Stderr()),
        cache_logger_on_first_use=False,
    )
