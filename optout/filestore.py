"""The file store: a profile's secrets in PROFILE/secrets.json, 0600 and not encrypted, for where
no keyring works (WSL, SSH, containers). The person chooses it, per profile and out loud
(`account add --insecure-storage`), like `gh auth login --insecure-storage`; the file is the choice
itself."""

from __future__ import annotations

import json
import os
from pathlib import Path

from optout.errors import OptoutError
from optout.paths import Profile, write_private

#: Said wherever the file store is named (account add, doctor, README): it is the weaker choice.
FILE_STORE_WARNING = (
    "not encrypted: anyone who can read your files (your user, root, a backup) "
    "can read these passwords"
)


FILE_STORE_NAME = "secrets.json"


def file_store_path(profile: Profile) -> Path:
    return profile.base / FILE_STORE_NAME


def uses_file_store(profile: Profile) -> bool:
    """Whether this profile keeps its secrets in the file store: the file is the choice itself."""
    return file_store_path(profile).is_file()


def choose_file_store(profile: Profile) -> Path:
    """Make the file store this profile's place for secrets (an empty 0600 file when new)."""
    path = file_store_path(profile)
    if not path.is_file():
        profile.ensure()
        write_private(path, b"{}\n")
    return path


def read_file_store(profile: Profile) -> dict[str, str]:
    path = file_store_path(profile)
    try:
        if os.name == "posix" and path.stat().st_mode & 0o077:
            raise OptoutError(
                f"The secrets file {path} can be read by others than you, so optout will "
                "not use it.",
                f"Make it yours alone with `chmod 600 {path}`, then run again.",
            )
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise OptoutError(
            f"The secrets file {path} cannot be read ({type(exc).__name__}).",
            "Move it aside and add the accounts again with "
            "`optout account add PLATFORM --insecure-storage`.",
        ) from None
    if not isinstance(data, dict):
        raise OptoutError(
            f"The secrets file {path} was not written by optout.",
            "Move it aside and add the accounts again with "
            "`optout account add PLATFORM --insecure-storage`.",
        )
    return data


def write_file_store(profile: Profile, data: dict[str, str]) -> None:
    write_private(
        file_store_path(profile),
        (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"),
    )
