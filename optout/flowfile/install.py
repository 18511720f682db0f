"""Installing a signed flow update (optout.flowfile.updates holds the bundle format): verified,
every flow checked against the schema and the origin guard, compared with the flows in use, then
kept as received."""

from __future__ import annotations

import hashlib
import json

from optout import paths
from optout.errors import FlowError
from optout.flowfile import guard
from optout.flowfile.folders import Layers, local_files
from optout.flowfile.layers import load_flows
from optout.flowfile.load import parse_flow
from optout.flowfile.updates import (
    Bundle,
    BundleRefused,
    bundle_path,
    installed_flow_texts,
    installed_sequence,
    meta_path,
    open_bundle,
    updates_dir,
)
from optout.paths import private_dir, write_private


def _validated(bundle: Bundle, where: str) -> dict:
    flows, problems = {}, []
    for flow_id, text in sorted(bundle.flows.items()):
        try:
            flows[flow_id] = parse_flow(text, f"{flow_id}.yaml", flow_id)
        except FlowError as exc:
            problems.append(exc.message)
    if problems:
        raise BundleRefused(
            f"{where}: the bundle holds flows that do not match the schema, so none of it "
            "is installed:\n" + "\n".join(problems),
            "Report it to optout's maintainers; your current flows stay in use.",
        )
    return flows


def changes(flows: dict) -> list[dict]:
    """Per flow of a bundle: new, changed (version a → b) or unchanged against the flow in use now
    (an update or the shipped one), and whether a local flow of the person overrides it."""
    layers = Layers.person()
    current = load_flows(layers)
    local = local_files(layers.local)
    rows = []
    for flow_id, flow in sorted(flows.items()):
        now = current.get(flow_id)
        if now is not None and now.flow_source == "local":
            now = _below_local(flow_id)
        if now is None:
            change = "new"
        elif flow.version != now.version:
            change = "changed"
        else:
            change = "unchanged"
        rows.append(
            {
                "platform": flow_id,
                "change": change,
                "version": flow.version,
                "current_version": now.version if now else None,
                "overridden_by_local": flow_id in local,
            }
        )
    return rows


def _below_local(flow_id: str):
    """The flow a local flow overrides (an update's, else the shipped one)."""
    for fid, text, where in installed_flow_texts(updates_dir()):
        if fid == flow_id:
            try:
                return parse_flow(text, where, fid)
            except FlowError:
                break
    return load_flows(paths.flows_dir()).get(flow_id)


def update(data: bytes, where: str, allow: list[str], check: bool, command: str) -> dict:
    """Verify the bundle `data` (from `where`) and, unless `check`, install it. Returns what
    changes; raises BundleRefused (or OptoutError for the origin guard) with nothing installed."""
    bundle = open_bundle(data, where)
    floor = installed_sequence()
    if bundle.sequence <= floor:
        raise BundleRefused(
            f"{where}: this bundle (sequence {bundle.sequence}, {bundle.created}) is not newer than the "
            f"flows you have (sequence {floor}); installing it could bring back an old, broken flow.",
            "Nothing to do: your flows are at least as new. Look for a newer bundle if a flow is broken.",
        )
    flows = _validated(bundle, where)
    shipped = load_flows(paths.flows_dir())
    widened = {
        fid: w for fid, flow in flows.items() if (w := guard.widening(flow, shipped.get(fid)))
    }
    guard.check_request(widened, allow, command)
    result = {
        "source": where,
        "sequence": bundle.sequence,
        "created": bundle.created,
        "flows": changes(flows),
        "installed": False,
    }
    if check:
        return result
    private_dir(updates_dir())
    guard.record(
        "update", {fid: (guard.digest(bundle.flows[fid]), w) for fid, w in widened.items()}
    )
    write_private(bundle_path(), bundle.raw)
    meta = {
        "sequence": bundle.sequence,
        "created": bundle.created,
        "source": where,
        "sha256": hashlib.sha256(bundle.raw).hexdigest(),
    }
    write_private(meta_path(), (json.dumps(meta, indent=2) + "\n").encode())
    result["installed"] = True
    return result
