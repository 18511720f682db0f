"""How this optout was installed, so a fix that adds a package names the command that reaches
optout's own environment: `uv tool install --with`, `pipx inject`, or the pip of its venv. A bare
`pip install` reaches another Python (the usual failure of tools installed with uv or pipx), and
the environment of a uv tool has no pip at all.

Sources: uv keeps a tool's receipt in `<tool environment>/uv-receipt.toml` ([tool] requirements,
https://docs.astral.sh/uv/concepts/tools/ and astral-sh/uv crates/uv-tool/src/receipt.rs, read
2026-12); a package reaches a uv tool's environment only by installing the tool again with it
(`uv tool install --reinstall --with X`, astral-sh/uv issue 14746); pipx keeps
`pipx_metadata.json` in each venv it makes and adds packages with `pipx inject` (pypa/pipx
src/pipx/pipx_metadata_file.py, https://pipx.pypa.io/stable/docs/).
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DISTRIBUTION = "optout-ai"


@dataclass(frozen=True)
class Install:
    kind: str  # "uv-tool", "pipx", "venv" or "system"
    name: str = ""  # the tool's or venv's name (uv, pipx)
    source: str = ""  # what uv installed it from: the distribution name, a folder or a wheel
    extras: tuple[str, ...] = field(
        default=()
    )  # the uv tool's --with requirements, kept on reinstall


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _uv_tool(prefix: Path) -> Install | None:
    receipt = prefix / "uv-receipt.toml"
    if not receipt.is_file():
        return None

    try:
        requirements = tomllib.loads(receipt.read_text(encoding="utf-8"))["tool"]["requirements"]
    except (OSError, ValueError, KeyError, TypeError):
        requirements = []
    source, extras = DISTRIBUTION, []
    for req in requirements if isinstance(requirements, list) else []:
        if not isinstance(req, dict) or not isinstance(req.get("name"), str):
            continue
        if _normal(req["name"]) == DISTRIBUTION:
            source = str(
                req.get("directory") or req.get("path") or req.get("editable") or DISTRIBUTION
            )
        else:
            extras.append(req["name"])
    return Install("uv-tool", prefix.name, source, tuple(extras))


def detect(prefix: str | Path | None = None, base_prefix: str | None = None) -> Install:
    """This Python's install: a uv tool, a pipx venv, another venv, or the system's Python."""
    here = Path(prefix or sys.prefix)
    if found := _uv_tool(here):
        return found
    if (here / "pipx_metadata.json").is_file():
        return Install("pipx", here.name)
    if str(here) != str(base_prefix or sys.base_prefix):
        return Install("venv", here.name)
    return Install("system")


def _has_pip() -> bool:
    return importlib.util.find_spec("pip") is not None


def add_package(package: str, install: Install | None = None) -> str | None:
    """The command that adds `package` to optout's own environment; None for the system's Python
    (its packages are the OS's to install)."""
    install = install or detect()
    if install.kind == "uv-tool":
        withs = " ".join(f"--with {shlex.quote(x)}" for x in (*install.extras, package))
        return f"uv tool install --reinstall {withs} {shlex.quote(install.source)}"
    if install.kind == "pipx":
        return f"pipx inject {shlex.quote(install.name)} {package}"
    if install.kind == "venv":
        python = shlex.quote(sys.executable)
        return (
            f"{python} -m pip install {package}"
            if _has_pip()
            else f"uv pip install --python {python} {package}"
        )
    return None
