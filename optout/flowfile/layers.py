"""Which flow each platform uses: the person's local flow, else an installed signed update, else
the flow shipped with optout. A local or updated flow is used only when it matches the schema and
stays within the shipped flow's origins (optout.flowfile.guard); otherwise the next one down is used
and a warning names the file, the problem and what to do."""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from optout.flowfile import guard as flowguard
from optout.errors import FlowError
from optout import paths
from optout.paths import home

if TYPE_CHECKING:  # the schema (pydantic) is imported only when flows are parsed: a cached
    from optout.flowfile.schema import Flow  # `optout platforms` needs this module's paths and warnings alone

#: Warnings of the last layered load (also printed on stderr once per process).
last_warnings: list[str] = []
_said: set[str] = set()


def user_flows_dir() -> Path:
    """The person's own flows: $OPTOUT_FLOWS, else `flows` in optout's data folder."""
    env = os.environ.get("OPTOUT_FLOWS")
    return Path(env).expanduser() if env else home() / "flows"


def warn(message: str) -> None:
    if message not in last_warnings:
        last_warnings.append(message)
    if message not in _said:
        _said.add(message)
        try:
            sys.stderr.write(f"Warning: {message}\n")
        except OSError:  # pragma: no cover - no terminal left
            pass


def said_again() -> None:
    """Let the warnings be said again (a new command in the same process)."""
    _said.clear()


def local_files() -> dict[str, Path]:
    """The person's flow files. One that another user owns, or that group or others may write, is
    left out with a warning: a flow decides what optout reads as off, so only its owner may edit it."""
    found = {}
    try:
        files = sorted(user_flows_dir().glob("*.yaml"))
        group_enters = user_flows_dir().stat().st_mode & 0o010  # a 0700 folder keeps its group out
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
            warn(f"local flow {path} is not used: other users could have written it. If it is yours, "
                 f"make it yours alone (chmod 600 {path}), or add it again with `optout flows add`.")
            continue
        found[path.stem] = path
    return found


def layer_files() -> list[Path]:
    """Every file whose bytes decide which flows are used (for optout.catalog's cache key)."""
    from optout.flowfile import updates as flowupdate

    return [*local_files().values(), flowupdate.bundle_path(), flowupdate.meta_path(),
            flowguard.allowances_path()]


def _candidates() -> dict[str, list[tuple[str, str, str]]]:
    """flow id -> [(source, text, where)] in precedence order (local first)."""
    from optout.flowfile import updates as flowupdate

    found: dict[str, list[tuple[str, str, str]]] = {}
    for flow_id, path in local_files().items():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            warn(f"local flow {path} is not used: it cannot be read ({exc}). Fix or remove it "
                 f"(optout flows remove {flow_id}).")
            continue
        found.setdefault(flow_id, []).append(("local", text, str(path)))
    for flow_id, text, where in flowupdate.installed_flow_texts():
        found.setdefault(flow_id, []).append(("update", text, where))
    return found


def layered_flows() -> dict[str, Flow]:
    from optout.flowfile.schema import load_flows

    last_warnings.clear()
    shipped = load_flows(paths.flows_dir())
    flows = dict(shipped)
    for flow_id, candidates in sorted(_candidates().items()):
        base = shipped.get(flow_id)
        checked = (_checked(source, flow_id, text, where, base) for source, text, where in candidates)
        usable = [flow for flow in checked if flow is not None]
        if not usable:
            continue
        chosen, below = usable[0], (usable[1:] or [base])[0]
        if chosen.flow_source == "local" and below is not None and chosen.version <= below.version:
            warn(f"local flow {local_files()[flow_id]} (version {chosen.version}) is used instead of the "
                 f"{below.flow_source if below.flow_source == 'shipped' else 'updated'} flow (version "
                 f"{below.version}), which may already hold the fix.\n"
                 f"To use that one again: optout flows remove {flow_id}")
        flows[flow_id] = chosen
    return dict(sorted(flows.items()))


def _checked(source: str, flow_id: str, text: str, where: str, base: Flow | None) -> Flow | None:
    from optout.flowfile.schema import parse_flow

    fallback = "the shipped flow is used" if base else "optout ships no flow for it, so it is left out"
    what = "local flow" if source == "local" else "updated flow"
    fix = (f"Fix the file, or remove it with `optout flows remove {flow_id}`." if source == "local"
           else "Install a newer signed update (optout flows update), or remove it: optout flows remove --update")
    try:
        flow = parse_flow(text, where, flow_id)
    except FlowError as exc:
        warn(f"{what} {where} is not used ({fallback}): {exc.message.removeprefix(where + ': ')}\n{fix}")
        return None
    widened = flowguard.widening(flow, base)
    if widened and not flowguard.allowed(source, flow_id, flowguard.digest(text), widened):
        again = (f"optout flows add {where} --allow-origins {','.join(flowguard.origins(widened))}"
                 if source == "local" else
                 f"optout flows update BUNDLE --allow-origins {','.join(flowguard.origins(widened))}")
        warn(f"{what} {where} is not used ({fallback}): it reaches beyond the shipped flow "
             f"({flowguard.describe(widened)}), which could send your password somewhere new.\n"
             f"Only if you trust its author and these sites, allow exactly them:\n  {again}")
        return None
    if source == "update" and base is not None and flow.version < base.version:
        return None  # this release ships a newer flow than the update: the update is stale
    flow._source = source
    return flow


def add_local(file: Path, allow: list[str]) -> dict:
    """Check the flow `file` and copy it into the person's flow folder, recording the origins they
    allowed (`allow`, exactly those the flow adds to the shipped one's, else it is refused)."""
    from optout.flowfile.schema import load_flows, parse_flow
    from optout.paths import private_dir, write_private

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError(f"{file}: cannot read this flow file: {exc}",
                        "Check the path of the flow file.") from None
    flow = parse_flow(text, str(file), file.stem)  # the bytes checked are the bytes copied
    shipped = load_flows(paths.flows_dir()).get(flow.id)
    widened = flowguard.widening(flow, shipped)
    flowguard.check_request({flow.id: widened} if widened else {}, allow, f"optout flows add {file}")
    folder = user_flows_dir()
    private_dir(folder)
    target = folder / f"{flow.id}.yaml"
    if not (target.exists() and target.resolve() == file.resolve()):
        write_private(target, text.encode("utf-8"))
    else:
        target.chmod(0o600)
    flowguard.record("local", {flow.id: (flowguard.digest(text), widened)})
    return {"platform": flow.id, "name": flow.name, "file": str(target), "version": flow.version,
            "shipped_version": shipped.version if shipped else None, "allowed_origins": flowguard.origins(widened)}


def remove_local(platform: str) -> Path:
    """Remove the person's flow for `platform` (and its allowance): the shipped or updated flow is
    used again."""
    from optout.errors import OptoutError

    path = user_flows_dir() / f"{platform}.yaml"
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", platform) or not path.is_file():
        raise OptoutError(f"There is no local flow for {platform} in {user_flows_dir()}.",
                          f"See which flows you have there: ls {user_flows_dir()}")
    path.unlink()
    flowguard.forget("local", platform)
    return path
