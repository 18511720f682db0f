"""Errors a person can meet: each carries its cause, the next step and an exit code."""

from __future__ import annotations


class OptoutError(Exception):
    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class UsageError(OptoutError):
    """An argument that cannot be used as given (a profile name that is a path): exits 2."""

    exit_code = 2


class ReplicaMix(UsageError):
    """A run routed to the sandbox replicas would record in a real profile (optout.runs.run_profile)."""


class FlowError(OptoutError):
    """A flow file is missing, unreadable or does not match the schema."""

    exit_code = 5


class UnknownPlatform(OptoutError):
    exit_code = 2


class KeyringUnavailable(OptoutError):
    """No usable keyring backend: optout never falls back to plaintext."""


class BrowserNotFound(OptoutError):
    pass


class AccountNotFound(OptoutError):
    exit_code = 4


class DataFolderError(OptoutError, OSError):
    """optout's data folder cannot be written (disk full, read-only, a file in its place, no
    permission). Still an OSError, so a write that may fail (evidence) is tolerated as before."""

    def __init__(
        self, message: str, hint: str | None = None, code: int | None = None, cause: str = ""
    ):
        super().__init__(message, hint)
        self.errno, self.strerror = code, cause or None


class ConnectFailed(OptoutError):
    """`--connect` found no browser to work in, or one without remote debugging switched on: the
    person must switch something on, as with a usage error, so it exits 2 like one."""

    exit_code = 2
