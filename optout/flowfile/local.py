"""The person's own flows: a folder of YAML files that override the shipped ones. A local flow is
added only when it matches the schema and stays within the shipped flow's origins, unless the
person allowed exactly the new ones (optout.flowfile.guard)."""

from __future__ import annotations

import re
from pathlib import Path

from optout import paths
from optout.errors import FlowError, OptoutError
from optout.flowfile import guard
from optout.flowfile.folders import user_flows_dir
from optout.flowfile.load import load_flows, parse_flow
from optout.paths import private_dir, write_private


def add_local(file: Path, allow: list[str]) -> dict:
    """Check the flow `file` and copy it into the person's flow folder, recording the origins they
    allowed (`allow`, exactly those the flow adds to the shipped one's, else it is refused)."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError(
            f"{file}: cannot read this flow file: {exc}", "Check the path of the flow file."
        ) from None
    flow = parse_flow(text, str(file), file.stem)  # the bytes checked are the bytes copied
    shipped = load_flows(paths.flows_dir()).get(flow.id)
    widened = guard.widening(flow, shipped)
    guard.check_request({flow.id: widened} if widened else {}, allow, f"optout flows add {file}")
    folder = user_flows_dir()
    private_dir(folder)
    target = folder / f"{flow.id}.yaml"
    if not (target.exists() and target.resolve() == file.resolve()):
        write_private(target, text.encode("utf-8"))
    else:
        target.chmod(0o600)
    guard.record("local", {flow.id: (guard.digest(text), widened)})
    return {
        "platform": flow.id,
        "name": flow.name,
        "file": str(target),
        "version": flow.version,
        "shipped_version": shipped.version if shipped else None,
        "allowed_origins": guard.origins(widened),
    }


def remove_local(platform: str) -> Path:
    """Remove the person's flow for `platform` (and its allowance): the shipped or updated flow is
    used again."""
    path = user_flows_dir() / f"{platform}.yaml"
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", platform) or not path.is_file():
        raise OptoutError(
            f"There is no local flow for {platform} in {user_flows_dir()}.",
            f"See which flows you have there: ls {user_flows_dir()}",
        )
    path.unlink()
    guard.forget("local", platform)
    return path
