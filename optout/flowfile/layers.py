"""Which flow each platform uses: the person's local flow, else an installed signed update, else
the flow shipped with optout. A local or updated flow is used only when it matches the schema and
stays within the shipped flow's origins (optout.flowfile.guard); otherwise the next one down is
used and a warning names the file, the problem and what to do. The caller says which layers are
read (Layers.person() for the person's own, or one folder alone): nothing reads them unasked."""

from __future__ import annotations

from pathlib import Path

from optout.errors import FlowError
from optout.flowfile import guard, updates
from optout.flowfile.folders import Layers, local_files
from optout.flowfile.load import load_flows as load_folder
from optout.flowfile.load import parse_flow, pick
from optout.flowfile.notices import last_warnings, warn
from optout.flowfile.schema import Flow


def load_flows(where: Layers | Path) -> dict[str, Flow]:
    """The flows in use by id: those of one folder alone, or the layers laid over each other."""
    if isinstance(where, Path):
        return load_folder(where)
    return layered_flows(where)


def resolve(platforms: list[str] | None, where: Layers | Path) -> list[Flow]:
    """The flows of `platforms` (all when none is named) from `where` (see load_flows)."""
    return pick(load_flows(where), platforms)


def _candidates(layers: Layers) -> dict[str, list[tuple[str, str, str]]]:
    """flow id -> [(source, text, where)] in precedence order (local first)."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for flow_id, path in (local_files(layers.local) if layers.local else {}).items():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            warn(
                f"local flow {path} is not used: it cannot be read ({exc}). Fix or remove it "
                f"(optout flows remove {flow_id})."
            )
            continue
        found.setdefault(flow_id, []).append(("local", text, str(path)))
    for flow_id, text, where in (
        updates.installed_flow_texts(layers.updates) if layers.updates else ()
    ):
        found.setdefault(flow_id, []).append(("update", text, where))
    return found


def layered_flows(layers: Layers) -> dict[str, Flow]:
    last_warnings.clear()
    shipped = load_folder(layers.shipped)
    flows = dict(shipped)
    for flow_id, candidates in sorted(_candidates(layers).items()):
        base = shipped.get(flow_id)
        checked = (
            _checked(layers, source, flow_id, text, where, base)
            for source, text, where in candidates
        )
        usable = [flow for flow in checked if flow is not None]
        if not usable:
            continue
        chosen, below = usable[0], (usable[1:] or [base])[0]
        if chosen.flow_source == "local" and below is not None and chosen.version <= below.version:
            local = layers.local / f"{flow_id}.yaml" if layers.local else flow_id
            warn(
                f"local flow {local} (version {chosen.version}) is used instead of the "
                f"{below.flow_source if below.flow_source == 'shipped' else 'updated'} flow (version "
                f"{below.version}), which may already hold the fix.\n"
                f"To use that one again: optout flows remove {flow_id}"
            )
        flows[flow_id] = chosen
    return dict(sorted(flows.items()))


def _checked(
    layers: Layers, source: str, flow_id: str, text: str, where: str, base: Flow | None
) -> Flow | None:
    fallback = (
        "the shipped flow is used" if base else "optout ships no flow for it, so it is left out"
    )
    what = "local flow" if source == "local" else "updated flow"
    fix = (
        f"Fix the file, or remove it with `optout flows remove {flow_id}`."
        if source == "local"
        else "Install a newer signed update (optout flows update), or remove it: optout flows remove --update"
    )
    try:
        flow = parse_flow(text, where, flow_id)
    except FlowError as exc:
        warn(
            f"{what} {where} is not used ({fallback}): {exc.message.removeprefix(where + ': ')}\n{fix}"
        )
        return None
    widened = guard.widening(flow, base)
    if widened and not (
        layers.allowances
        and guard.allowed(layers.allowances, source, flow_id, guard.digest(text), widened)
    ):
        again = (
            f"optout flows add {where} --allow-origins {','.join(guard.origins(widened))}"
            if source == "local"
            else f"optout flows update BUNDLE --allow-origins {','.join(guard.origins(widened))}"
        )
        warn(
            f"{what} {where} is not used ({fallback}): it reaches beyond the shipped flow "
            f"({guard.describe(widened)}), which could send your password somewhere new.\n"
            f"Only if you trust its author and these sites, allow exactly them:\n  {again}"
        )
        return None
    if source == "update" and base is not None and flow.version < base.version:
        return None  # this release ships a newer flow than the update: the update is stale
    flow._source = source
    return flow
