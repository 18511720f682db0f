"""The OS keyring: whether it can hold optout's secrets, whether it would ask for a password,
and its entries, read and written without a prompt where no terminal could answer one.

A backend that would store secrets in plaintext, or drop them, is refused: optout never falls back
by itself (the file store, optout.filestore, is the person's explicit choice)."""

from __future__ import annotations

import contextlib
import getpass
import os
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import keyring
import keyring.errors
from keyring.backends.chainer import ChainerBackend

from optout.errors import KeyringUnavailable, OptoutError
from optout.installkind import add_package

SERVICE = "optout"


def keyring_fixes(system: str | None = None, install=None) -> str:
    """What to do where no keyring works, for this system and for how optout was installed: the
    file store always; the OS's own keyring; a keyring backend added with the command that reaches
    optout's own environment (optout.installkind), never a bare pip."""
    system = system or sys.platform
    ways = []
    if system == "darwin":
        ways.append(
            "use the login Keychain: over SSH it is locked, so unlock it first:\n"
            "    `security unlock-keychain ~/Library/Keychains/login.keychain-db`"
        )
    elif system.startswith("win"):
        ways.append(
            "use Windows Credential Manager: run optout as yourself, signed in to\n"
            "    Windows (a service account or a remote shell may have none)"
        )
    else:
        wsl = "microsoft" in platform.release().lower()
        ways.append(
            (
                "WSL has no desktop keyring; install one"
                if wsl
                else "on a desktop, GNOME Keyring or KWallet work; on a server, install one"
            )
            + ":\n    `sudo apt-get install gnome-keyring dbus` (Fedora: `sudo dnf install\n"
            "    gnome-keyring dbus-daemon`), then `dbus-run-session -- sh`, inside it\n"
            '    `echo -n "pick-a-password" | gnome-keyring-daemon --unlock`; run optout\n'
            "    in that shell"
        )
    ways.append(
        "or keep this profile's secrets in a file only you can read (weaker: not\n"
        "    encrypted, anyone who can read your files can read them):\n"
        "    `optout account add PLATFORM --insecure-storage`"
    )
    command = add_package("keyrings.cryptfile", install)
    if command:
        ways.append(
            f"or add a file keyring to optout's own environment:\n    `{command}`,\n"
            "    then set KEYRING_CRYPTFILE_PASSWORD (else every run asks for it) and\n"
            "    PYTHON_KEYRING_BACKEND=keyrings.cryptfile.cryptfile.CryptFileKeyring"
        )
    return "Fix it in one of these ways:\n" + "\n".join(f"  - {way};" for way in ways).removesuffix(
        ";"
    )


def _backend_problem(backend) -> str | None:
    # Same test as poetry's PoetryKeyring._check, plus chainers of nothing usable.
    name = backend.name
    if isinstance(backend, ChainerBackend):
        children = list(backend.backends)
        if not any(_backend_problem(child) is None for child in children):
            names = ", ".join(child.name for child in children) or "none"
            return f"the keyring backend chains no usable backend (found: {names})"
        return None
    if name.split(" ")[0] in ("fail", "null"):
        return f"no keyring backend is available ({name})"
    if "plaintext" in name.lower():
        return f"the keyring backend '{name}' stores secrets in plaintext"
    return None


def keyring_problem() -> str | None:
    """None when the active keyring backend can hold secrets, else why not."""
    try:
        return _backend_problem(keyring.get_keyring())
    except Exception as exc:  # a broken keyringrc or backend import
        return f"the keyring could not be set up: {type(exc).__name__}: {exc}"


def require_keyring() -> None:
    problem = keyring_problem()
    if problem:
        raise KeyringUnavailable(f"Cannot store or read secrets: {problem}.", keyring_fixes())


@contextmanager
def no_prompt_without_terminal(force: bool = False) -> Iterator[None]:
    """A keyring that asks for its password (keyrings.cryptfile, keyrings.alt) asks through
    getpass; without a terminal that reads an empty stdin (EOFError) or waits for ever. Here it
    fails at once, saying why and what to do. `force`: refuse a prompt even on a terminal."""
    if not force and sys.stdin is not None and sys.stdin.isatty():
        yield
        return

    def refuse(prompt: str = "", stream=None) -> str:
        backend = getattr(keyring.get_keyring(), "name", "?")
        raise KeyringUnavailable(
            f"The keyring ({backend}) asks for its password, and this run has no terminal to ask on.",
            "Run it once from a terminal to see the prompt; for scheduled runs give the keyring its "
            "password another way (KEYRING_CRYPTFILE_PASSWORD for keyrings.cryptfile), or keep the "
            "profile's secrets in a file only you can read: "
            "`optout account add PLATFORM --insecure-storage` (weaker: not encrypted).",
        )

    original = getpass.getpass
    getpass.getpass = refuse  # type: ignore[assignment]
    try:
        yield
    finally:
        getpass.getpass = original  # type: ignore[assignment]


def _secret_service_locked(backend) -> str | None:
    """For the Secret Service: why its collection would need unlocking (a prompt), else None.
    Asked of the collection itself, so doctor never pops an unlock window."""
    try:
        import secretstorage  # Linux only (keyring's own dependency there): absent elsewhere
        from secretstorage.collection import Collection

        with contextlib.closing(secretstorage.dbus_init()) as bus:
            collection = Collection(
                bus,
                getattr(backend, "preferred_collection", None)
                or "/org/freedesktop/secrets/aliases/default",
            )
            if collection.is_locked():
                return (
                    "the Secret Service keyring is locked: a run would have to ask for its password"
                )
    except Exception as exc:  # no bus, no daemon, no collection yet
        return f"the Secret Service cannot be reached without a prompt ({type(exc).__name__})"
    return None


def keyring_unlock_problem() -> str | None:
    """Why the keyring would ask for a password before giving a secret (a scheduled run has no one
    to answer), else None. Reads no secret: at most an entry that does not exist."""
    backend = keyring.get_keyring()
    if _backend_problem(backend) is not None:
        return None  # said by keyring_problem
    if isinstance(backend, ChainerBackend):
        usable = [child for child in backend.backends if _backend_problem(child) is None]
        backend = usable[0] if usable else backend
    if type(backend).__module__.startswith("keyring.backends.SecretService"):
        return _secret_service_locked(backend)
    if "cryptfile" in type(backend).__module__ and not os.environ.get("KEYRING_CRYPTFILE_PASSWORD"):
        return "keyrings.cryptfile asks for its password on every run (KEYRING_CRYPTFILE_PASSWORD is not set)"
    try:
        with no_prompt_without_terminal(force=True):
            backend.get_password(SERVICE, "doctor-probe")
    except KeyringUnavailable:
        return f"the keyring ({backend.name}) asks for its password before it gives a secret"
    except Exception as exc:
        return f"the keyring ({backend.name}) cannot be read without a prompt: {type(exc).__name__}: {exc}"
    return None


@contextmanager
def keyring_errors(action: str) -> Iterator[None]:
    """Turn any backend failure (locked, no D-Bus, init error) into a clear KeyringUnavailable."""
    try:
        yield
    except OptoutError:
        raise
    except keyring.errors.KeyringLocked as exc:
        raise KeyringUnavailable(
            f"The keyring is locked, so optout could not {action}.",
            "Unlock it (log in to the desktop, or `gnome-keyring-daemon --unlock` on a server) "
            f"and try again.\n{keyring_fixes()}",
        ) from exc
    except keyring.errors.InitError as exc:
        backend = getattr(keyring.get_keyring(), "name", "?")
        raise KeyringUnavailable(
            f"The keyring ({backend}) could not be opened to {action}: {exc}",
            "Without a desktop it cannot ask for its password: on a server start it with "
            f"`gnome-keyring-daemon --unlock` before optout runs.\n{keyring_fixes()}",
        ) from exc
    except Exception as exc:
        backend = getattr(keyring.get_keyring(), "name", "?")
        raise KeyringUnavailable(
            f"The keyring ({backend}) failed when optout tried to {action}: {type(exc).__name__}: {exc}",
            keyring_fixes(),
        ) from exc


def keyring_get(name: str, *, service: str = SERVICE) -> str | None:
    require_keyring()
    with keyring_errors("read a secret"), no_prompt_without_terminal():
        return keyring.get_password(service, name)


def keyring_set(name: str, value: str, *, service: str = SERVICE) -> None:
    require_keyring()
    with keyring_errors("store a secret"), no_prompt_without_terminal():
        keyring.set_password(service, name, value)


def keyring_delete(name: str, *, service: str = SERVICE) -> bool:
    """Delete an entry; False when it was not there."""
    require_keyring()
    with keyring_errors("delete a secret"), no_prompt_without_terminal():
        try:
            keyring.delete_password(service, name)
        except keyring.errors.PasswordDeleteError:
            return False
    return True
