"""Where optout keeps things. `OPTOUT_HOME` moves all of it (config and data) to one folder."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PROFILE = "default"
_PROFILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


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


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by its owner only. Only folders created here get
    0700: a folder that was already there (a shared folder OPTOUT_HOME links to) keeps its mode."""
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
    the one way optout writes anything of a person, so no copy can forget the mode or the rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
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
        from optout.errors import OptoutError

        raise OptoutError(
            f"'{name}' is not a usable profile name.",
            "Use letters, digits, '.', '_' or '-' (up to 64 characters), e.g. --profile alice.",
        )
    return name


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
    def accounts_file(self) -> Path:
        return self.base / "accounts.json"

    @property
    def history_db(self) -> Path:
        return self.base / "history.sqlite3"

    def ensure(self) -> "Profile":
        private_dir(self.root or home())
        private_dir(self.base.parent)
        private_dir(self.base)
        return self
