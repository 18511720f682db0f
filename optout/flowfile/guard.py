"""The origin guard. A local or updated flow replaces a shipped one, so it could point a login at a
new site: it may never reach a domain or a credential origin the shipped flow does not (nor add a
platform optout does not ship) unless the person allowed exactly those origins, typed by them with
`--allow-origins`. The allowance is bound to the flow file's bytes (sha256): an edited file needs
a new one. It is kept in the data folder, never read from the environment nor the flow file."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from optout.errors import OptoutError
from optout.paths import home, private_dir, write_private

if TYPE_CHECKING:  # only named in annotations: the guard never parses a flow
    from optout.flowfile.schema import Flow

ALLOWANCES = "flow-allowances.json"


def allowances_path() -> Path:
    return home() / ALLOWANCES


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def normalize_origin(text: str) -> str:
    """`https://host` from what the person typed; anything else (http, a path, a query) is refused."""
    value = text.strip().rstrip("/").lower()
    parts = urlsplit(value)
    if (
        parts.scheme != "https"
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise OptoutError(
            f"'{text}' is not an https origin.",
            "Give each origin as https://host, e.g. --allow-origins https://login.example.com.",
        )
    return value


def split_origins(values: tuple[str, ...] | list[str]) -> list[str]:
    """The origins of one or more --allow-origins values (each may hold several, comma-separated)."""
    found = [
        normalize_origin(part) for value in values for part in value.split(",") if part.strip()
    ]
    return sorted(set(found))


def widening(flow: Flow, shipped: Flow | None) -> dict[str, list[str]]:
    """What `flow` reaches that `shipped` does not: its new domains and new credential origins,
    each as an https origin (a domain's origin covers its subdomains for visiting, never for
    typing a password: every credential origin is listed on its own)."""
    base_domains = shipped.domains if shipped else []
    base_logins = shipped.credential_origins if shipped else frozenset()
    domains = [
        f"https://{d}"
        for d in flow.domains
        if not any(d == b or d.endswith("." + b) for b in base_domains)
    ]
    logins = sorted(o for o in flow.credential_origins if o not in base_logins)
    return {k: v for k, v in (("domains", sorted(domains)), ("credential_origins", logins)) if v}


def origins(widened: dict[str, list[str]]) -> list[str]:
    return sorted({o for values in widened.values() for o in values})


def describe(widened: dict[str, list[str]]) -> str:
    parts = []
    if widened.get("domains"):
        parts.append(
            "new domains " + ", ".join(o.removeprefix("https://") for o in widened["domains"])
        )
    if widened.get("credential_origins"):
        parts.append("passwords sent to " + ", ".join(widened["credential_origins"]))
    return "; ".join(parts)


def _entries(path: Path) -> list[dict]:
    """The allowances recorded in `path`. A file another user could have written (not ours, or
    writable by group or others) is ignored: an allowance must come from the person alone."""
    try:
        info = path.lstat()
        if (
            not stat.S_ISREG(info.st_mode)
            or info.st_mode & 0o022
            or (hasattr(os, "getuid") and info.st_uid != os.getuid())
        ):
            return []
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    entries = data.get("allowances") if isinstance(data, dict) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def allowed(
    allowances: Path, source: str, flow_id: str, sha256: str, widened: dict[str, list[str]]
) -> bool:
    """Whether the person allowed (in the file `allowances`) every origin `widened` holds, for
    exactly these bytes."""
    wanted = set(origins(widened))
    return any(
        e.get("source") == source
        and e.get("flow") == flow_id
        and e.get("sha256") == sha256
        and wanted <= set(e.get("origins") or ())
        for e in _entries(allowances)
    )


def check_request(
    widened_by_flow: dict[str, dict[str, list[str]]], given: list[str], command: str
) -> None:
    """Refuse unless the origins the person typed are exactly those the flows widen to (none typed
    when nothing widens). `command` is the command to type again, without --allow-origins."""
    needed = sorted({o for w in widened_by_flow.values() for o in origins(w)})
    if set(given) == set(needed):
        return
    what = "; ".join(f"{fid}: {describe(w)}" for fid, w in sorted(widened_by_flow.items()))
    if not needed:
        raise OptoutError(
            "Nothing here needs --allow-origins: these flows stay within the shipped flows' origins.",
            f"Run it without the option: {command}",
        )
    if not given:
        raise OptoutError(
            f"Refused: {'this flow reaches' if len(widened_by_flow) == 1 else 'these flows reach'} beyond "
            f"what optout ships ({what}). A flow like that could send your password somewhere new.",
            f"Only if you trust its author and these sites, allow exactly them:\n  {command} "
            f"--allow-origins {','.join(needed)}",
        )
    raise OptoutError(
        f"Refused: --allow-origins must list exactly the new origins ({', '.join(needed)}), "
        f"not {', '.join(given)}.",
        f"Check them, then: {command} --allow-origins {','.join(needed)}",
    )


def record(source: str, grants: dict[str, tuple[str, dict[str, list[str]]]]) -> None:
    """Keep the person's allowances for `source` (local or update): flow id -> (sha256, widened).
    Older allowances of those flows are dropped; an update replaces every update allowance."""
    keep = [
        e
        for e in _entries(allowances_path())
        if not (e.get("source") == source and (source == "update" or e.get("flow") in grants))
    ]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for flow_id, (sha256, widened) in sorted(grants.items()):
        if widened:
            keep.append(
                {
                    "source": source,
                    "flow": flow_id,
                    "sha256": sha256,
                    "origins": origins(widened),
                    "at": now,
                }
            )
    path = allowances_path()
    private_dir(path.parent)
    write_private(path, (json.dumps({"allowances": keep}, indent=2) + "\n").encode())


def forget(source: str, flow_id: str) -> None:
    path = allowances_path()
    entries = _entries(path)
    keep = [e for e in entries if not (e.get("source") == source and e.get("flow") == flow_id)]
    if len(keep) != len(entries):
        write_private(path, (json.dumps({"allowances": keep}, indent=2) + "\n").encode())
