"""The folders flows are read from (light: no flow is parsed here, so a cached `optout platforms`
can tell whether anything changed without loading the schema): the person's local flow folder, the
installed update's folder, the allowances file, and Layers, which names the ones a load reads."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from optout import paths
from optout.flowfile import guard, updates
from optout.flowfile.notices import warn
from optout.paths import home


def user_flows_dir() -> Path:
    """The person's own flows: $OPTOUT_FLOWS, else `flows` in optout's data folder."""
    env = os.environ.get("OPTOUT_FLOWS")
    return Path(env).expanduser() if env else home() / "flows"


def local_files(folder: Path) -> dict[str, Path]:
    """The flow files of the person's `folder`. One that another user owns, or that group or others
    may write, is left out with a warning: a flow decides what optout reads as off, so only its
    owner may edit it."""
    found = {}
    try:
        files = sorted(folder.glob("*.yaml"))
        group_enters = folder.stat().st_mode & 0o010  # a 0700 folder keeps its group out
    except OSError:
        return {}
    for path in files:
        try:
            info = path.stat()
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        writable = info.st_mode & 0o002 or (info.st_mode & 0o020 and group_enters)
        if writable or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
            warn(
                f"local flow {path} is not used: other users could have written it. If it is yours, "
                f"make it yours alone (chmod 600 {path}), or add it again with `optout flows add`."
            )
            continue
        found[path.stem] = path
    return found


@dataclass(frozen=True)
class Layers:
    """Where the flows in use come from: the shipped folder and, each optional, the person's local
    flow folder, the folder of an installed signed update, and the file of their origin allowances
    (without it, no flow may reach beyond the shipped one's origins)."""

    shipped: Path
    local: Path | None = None
    updates: Path | None = None
    allowances: Path | None = None

    @classmethod
    def person(cls) -> Layers:
        """The person's layers: their flow folder, installed update and allowances over the
        shipped flows (the folders of $OPTOUT_HOME / $OPTOUT_FLOWS as they are now)."""
        return cls(
            paths.flows_dir(), user_flows_dir(), updates.updates_dir(), guard.allowances_path()
        )

    def files(self) -> list[Path]:
        """Every file besides the shipped flows whose bytes decide which flows are used (for
        optout.catalog's cache key), the local folder itself included."""
        found = []
        if self.local is not None:
            found += [self.local, *local_files(self.local).values()]
        if self.updates is not None:
            found += [self.updates / updates.BUNDLE, self.updates / updates.META]
        if self.allowances is not None:
            found.append(self.allowances)
        return found
