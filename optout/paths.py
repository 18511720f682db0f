"""Where optout keeps things. `OPTOUT_HOME` moves all of it (config and data) to one folder."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from optout.errors import DataFolderError

DEFAULT_PROFILE = "default"
#: Runs against the replicas (`--sandbox`, the demo, the API with `sandbox.install`) keep to
#: profiles named so, so nothing of a replica ever lands in a person's real profile.
SANDBOX_PREFIX = "sandbox-"
_PROFILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def flows_dir() -> Path:
    """Flows ship inside the wheel as optout/flows; in a source checkout they live in ./flows."""
    packaged = Path(__file__).parent / "flows"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "flows"


def home() -> Path:
    env = os.environ.get("OPTOUT_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("optout", appauthor=False))


def folder_tag(root: Path | None = None) -> str:
    """A short stable name of the data folder (`root` or `home()`), so keyring entries of two
    data folders never meet: profile `carol` in one is not `carol` in the other."""
    resolved = str(Path(root or home()).expanduser().resolve())
    return hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:8]


_CAUSES = {
    errno.ENOSPC: ("the disk is full", "Free some space on that disk, then run optout again."),
    errno.EDQUOT: (
        "the disk is full (your quota is used up)",
        "Free some space, then run optout again.",
    ),
    errno.EROFS: (
        "the file system is read-only",
        "Remount it writable, or set OPTOUT_HOME to a folder you can write to.",
    ),
    errno.EACCES: (
        "optout has no permission to write there",
        "Give your user write access to it, or set OPTOUT_HOME to a folder you can write to.",
    ),
}
_CAUSES[errno.EPERM] = _CAUSES[errno.EACCES]


def _blocking_file(path: Path) -> Path | None:
    """The nearest ancestor of `path` (or `path`) that exists but is not a folder."""
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return None if candidate.is_dir() else candidate
    return None


def folder_error(exc: OSError, path: Path, root: Path | None = None) -> DataFolderError:
    """A clear error for a folder of optout's that cannot be used: the folder, the cause, what to do."""
    root, folder = Path(root or home()), path
    blocker = _blocking_file(folder)
    if blocker is not None:
        cause = f"{blocker} is a file, not a folder"
        hint = f"Move that file away, or set OPTOUT_HOME to a folder (optout keeps everything in {root})."
    else:
        cause, hint = _CAUSES.get(exc.errno, (exc.strerror or str(exc), ""))
        hint = (
            hint
            or f"Check that {folder} is a folder you can write to, or set OPTOUT_HOME to another one."
        )
    return DataFolderError(f"optout cannot use {folder}: {cause}.", hint, exc.errno, cause)


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by its owner only. Only folders created here get
    0700: a folder that was already there (a shared folder OPTOUT_HOME links to) keeps its mode."""
    try:
        return _private_dir(path)
    except DataFolderError:
        raise
    except OSError as exc:
        raise folder_error(exc, path) from None


def _private_dir(path: Path) -> Path:
    missing = []
    folder = path
    while not os.path.lexists(folder) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # created meanwhile by another run: not ours to change
            continue
        try:
            folder.chmod(0o700)  # whatever the umask left
        except OSError:  # pragma: no cover - e.g. a filesystem without modes
            pass
    path.mkdir(parents=True, exist_ok=True)  # raises when `path` is a file
    return path


def write_private(path: Path, data: bytes) -> None:
    """Atomically replace `path` with a 0600 file (temp file in the same folder, then rename):
    the one way optout writes anything of a person, so no copy can forget the mode or the rename.
    The rename is for regular files only: a device, pipe or socket (`/dev/stdout`, a FIFO) is
    written into as it is, and a symbolic link to anything else is refused, never replaced."""
    import stat

    from optout.errors import OptoutError

    try:
        target = os.stat(path)  # follows links
    except OSError:
        target = None
    if target is not None and not stat.S_ISREG(target.st_mode) and not stat.S_ISDIR(target.st_mode):
        try:
            with open(path, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise OptoutError(
                f"Cannot write to {path}: {exc.strerror or exc}.",
                "Name a file to write, or `-` to print it.",
            ) from None
        return
    if path.is_symlink():
        raise OptoutError(
            f"{path} is a symbolic link: optout does not replace it (the link would become a file).",
            f"Name the file it points to ({os.path.realpath(path)}) or another path, or `-` to print it.",
        )
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # 0600
    except OSError as exc:
        raise folder_error(exc, path.parent) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, DataFolderError):
            raise folder_error(exc, path.parent) from None
        raise


def touch_private(path: Path) -> None:
    """Create `path` empty and 0600 if missing, keep its content if not (a database file)."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    make_private(path)


def make_private(*paths: Path) -> None:
    """Make files another program wrote (a browser's screenshot) readable by their owner only."""
    for path in paths:
        try:
            path.chmod(0o600)
        except OSError:  # pragma: no cover - a filesystem without modes
            pass


def check_profile_name(name: str) -> str:
    if not _PROFILE_RE.match(name):
        from optout.errors import UsageError

        raise UsageError(
            f"'{name}' is not a usable profile name.",
            "Use letters, digits, '.', '_' or '-' (up to 64 characters), e.g. --profile alice.",
        )
    return name


def is_sandbox_profile(name: str) -> bool:
    return name.startswith(SANDBOX_PREFIX)


#: The profile of the API run under way (set by optout.api), so the replicas' router can refuse
#: to serve a run that records in a real profile even when a caller's own setup_context wraps it.
RUN_PROFILE: ContextVar[str | None] = ContextVar("optout_run_profile", default=None)


@dataclass(frozen=True)
class Profile:
    """Everything of one person: accounts index, sessions, evidence, history."""

    name: str = DEFAULT_PROFILE
    root: Path | None = None

    @property
    def base(self) -> Path:
        return (self.root or home()) / "profiles" / check_profile_name(self.name)

    @property
    def sessions(self) -> Path:
        return self.base / "sessions"

    @property
    def evidence(self) -> Path:
        return self.base / "evidence"

    @property
    def captures(self) -> Path:
        """Scrubbed pages of `optout check --capture`, to review and share (optout.capture)."""
        return self.base / "captures"

    @property
    def accounts_file(self) -> Path:
        return self.base / "accounts.json"

    @property
    def history_db(self) -> Path:
        return self.base / "history.sqlite3"

    def ensure(self) -> Profile:
        private_dir(self.root or home())
        private_dir(self.base.parent)
        private_dir(self.base)
        return self
