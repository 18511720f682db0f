"""Signed flow updates: a fixed flow reaches people without waiting for a release.

A bundle is a JSON file:

    {"format": "optout-flow-bundle/1", "payload": BASE64, "signature": BASE64}

`payload` decodes to UTF-8 JSON `{"sequence": N, "created": ISO-8601, "flows": {id: yaml}}`;
`signature` is Ed25519 over `SIGNED_PREFIX + payload bytes` (the exact decoded bytes), made with
the project's release key (python -m optout.flowfile.sign). A bundle is installed only when the
signature verifies against a key shipped in this package, its sequence is above both this release's
own (SHIPPED_SEQUENCE) and the installed bundle's, every flow in it matches the schema, and none
reaches origins its shipped flow does not (unless the person allowed exactly them). The installed
bundle is kept as received and verified again at every load, so its flows cannot be edited in place,
and it must be the one installed.json records (sequence and SHA-256), so an older signed bundle
copied over it is not used; installing one replaces the last. A release that ships the fixes sets SHIPPED_SEQUENCE to the last
bundle's sequence, so older bundles stop applying by themselves.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from optout.errors import OptoutError
from optout.flowfile.notices import warn
from optout.paths import home

FORMAT = "optout-flow-bundle/1"
SIGNED_PREFIX = b"optout flow bundle v1\n"
#: The sequence of the flows this release ships; a bundle must be newer to apply.
SHIPPED_SEQUENCE = 1
MAX_BUNDLE_BYTES = 4 * 1024 * 1024
MAX_FLOWS = 200
PUBLIC_KEY = Path(__file__).with_name("release.pub")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class BundleRefused(OptoutError):
    """A bundle that is not installed: the message says why, the hint what to do."""


def trusted_keys() -> list:
    """The Ed25519 public keys a bundle may be signed with: those shipped in this package only
    (tests replace this function; no setting or environment variable can add a key)."""
    # cryptography only when a bundle is read: the layers module imports this one on every load
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        return [load_pem_public_key(PUBLIC_KEY.read_bytes())]
    except (OSError, ValueError) as exc:
        raise BundleRefused(
            f"This optout has no usable release key ({PUBLIC_KEY}: {exc}), so no update "
            "can be verified.",
            "Reinstall optout-ai (`uv tool install --reinstall optout-ai`, "
            "`pipx reinstall optout-ai`).",
        ) from None


def updates_dir() -> Path:
    return home() / "flow-updates"


BUNDLE = "bundle.json"
META = "installed.json"


def bundle_path() -> Path:
    return updates_dir() / BUNDLE


def meta_path() -> Path:
    return updates_dir() / META


@dataclass(frozen=True)
class Bundle:
    sequence: int
    created: str
    flows: dict[str, str]
    raw: bytes


def open_bundle(data: bytes, where: str) -> Bundle:
    """The verified contents of a bundle, or BundleRefused naming what is wrong with it."""
    from cryptography.exceptions import InvalidSignature  # see trusted_keys

    retry = "Get the bundle again from where optout's flow updates are published."
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleRefused(
            f"{where}: {len(data)} bytes is too large for a flow bundle "
            f"(limit {MAX_BUNDLE_BYTES}).",
            retry,
        )
    try:
        envelope = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BundleRefused(f"{where}: this is not a flow bundle (not JSON).", retry) from None
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise BundleRefused(f"{where}: this is not a flow bundle (format is not {FORMAT}).", retry)
    if not envelope.get("signature"):
        raise BundleRefused(
            f"{where}: the bundle is not signed, so nothing says who made it.", retry
        )
    try:
        payload = base64.b64decode(envelope.get("payload") or "", validate=True)
        signature = base64.b64decode(envelope["signature"], validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise BundleRefused(
            f"{where}: the bundle's payload or signature is not valid base64.", retry
        ) from None
    for key in trusted_keys():
        try:
            key.verify(signature, SIGNED_PREFIX + payload)
            break
        except InvalidSignature:
            continue
    else:
        raise BundleRefused(
            f"{where}: the signature does not verify against optout's release key: the "
            "bundle was changed after signing, or someone else signed it.",
            retry,
        )
    try:
        content = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BundleRefused(f"{where}: the signed payload is not JSON.", retry) from None
    sequence, created, flows = (
        (content.get(k) for k in ("sequence", "created", "flows"))
        if isinstance(content, dict)
        else (None, None, None)
    )
    if (
        not isinstance(sequence, int)
        or isinstance(sequence, bool)
        or sequence < 1
        or not isinstance(created, str)
        or not isinstance(flows, dict)
        or not flows
        or len(flows) > MAX_FLOWS
    ):
        raise BundleRefused(
            f"{where}: the signed payload lacks a sequence, a date or its flows "
            f"(1 to {MAX_FLOWS}).",
            retry,
        )
    for flow_id, text in flows.items():
        if not isinstance(flow_id, str) or not _ID.match(flow_id) or not isinstance(text, str):
            raise BundleRefused(f"{where}: {flow_id!r} is not a flow id with its YAML text.", retry)
    return Bundle(sequence, created, dict(flows), data)


def installed_sequence() -> int:
    """The sequence nothing at or below may be installed: this release's, or the last installed."""
    try:
        meta = json.loads(meta_path().read_text(encoding="utf-8"))
        recorded = int(meta.get("sequence", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        recorded = 0
    try:  # in case its record was lost: the signed sequence of whatever bundle is there
        on_disk = open_bundle(bundle_path().read_bytes(), str(bundle_path())).sequence
    except (OSError, BundleRefused):
        on_disk = 0
    return max(SHIPPED_SEQUENCE, recorded, on_disk)


def installed(folder: Path) -> Bundle | None:
    """The bundle installed in `folder`, verified again, or None (with a warning when it no longer
    verifies)."""
    path = folder / BUNDLE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        warn(
            f"the installed flow update {path} cannot be read ({exc}); the shipped flows are used."
        )
        return None
    try:
        bundle = open_bundle(data, str(path))
    except BundleRefused as exc:
        warn(
            f"the installed flow update is not used: {exc.message}\n"
            "Install a newer signed update (optout flows update), or remove it: optout flows remove --update"
        )
        return None
    if (mismatch := _unlike_record(bundle, folder)) is not None:
        warn(
            f"the installed flow update is not used: {path} {mismatch}, so it is not the bundle "
            f"`optout flows update` installed (an older signed one put in its place would bring back old "
            "flows); the shipped flows are used.\n"
            "Install the update again (optout flows update), or remove it: optout flows remove --update"
        )
        return None
    return bundle


def _unlike_record(bundle: Bundle, folder: Path) -> str | None:
    """How the bundle on disk differs from installed.json (written with it at install), or None.
    A bundle without its record, or unlike it, was not installed by optout."""
    record = folder / META
    try:
        meta = json.loads(record.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"has no record {record.name} beside it"
    except (OSError, ValueError) as exc:
        return f"has a record {record.name} that cannot be read ({exc})"
    if not isinstance(meta, dict):
        return f"has a damaged record {record.name}"
    if meta.get("sequence") != bundle.sequence:
        return (
            f"holds sequence {bundle.sequence} where {record.name} records {meta.get('sequence')!r}"
        )
    recorded = meta.get("sha256")
    if recorded is not None and recorded != hashlib.sha256(bundle.raw).hexdigest():
        return f"differs from the one {record.name} records (another SHA-256)"
    return None


def installed_flow_texts(folder: Path) -> list[tuple[str, str, str]]:
    """(id, yaml, where) of the flows of the update installed in `folder`, when it is newer than
    this release's."""
    bundle = installed(folder)
    if bundle is None or bundle.sequence <= SHIPPED_SEQUENCE:
        return []
    return [
        (fid, text, f"flow update #{bundle.sequence}: {fid}.yaml")
        for fid, text in sorted(bundle.flows.items())
    ]


def remove() -> bool:
    """Take the installed update out (its sequence stays recorded, so it cannot come back older)."""
    try:
        bundle_path().unlink()
    except FileNotFoundError:
        return False
    return True
