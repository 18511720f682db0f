"""structlog set-up: console on a TTY, JSON otherwise, always on stderr, secrets redacted."""

from __future__ import annotations

import logging
import sys

import structlog

_SECRETS: set[str] = set()
SECRET_KEYS = {"password", "totp_secret", "cookies", "storage_state", "otp", "code", "token"}


def register_secret(value: str | None) -> None:
    """Any string registered here is replaced by *** in every log line, wherever it appears."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def scrub(text: str, mark: str = "***") -> str:
    """`text` with every registered secret replaced by `mark`: the one list logs, notifications
    and kept pages share."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, mark)
    return text


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
