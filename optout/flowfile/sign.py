"""Build and sign a flow bundle (for optout's maintainers), or make a release keypair.

    python -m optout.flowfile.sign keygen --key PRIVATE.key --pub optout/flowfile/release.pub
    python -m optout.flowfile.sign build --key PRIVATE.key --sequence 2 --out bundle.json flows/x.yaml …

The private key is read from a file (never given on the command line, never kept in the
repository); keygen writes it 0600. Every flow is checked against the schema before signing, so a
bundle that people would refuse is never made. The format is described in optout.flowfile.updates.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from optout.errors import FlowError
from optout.flowfile.load import load_flow
from optout.flowfile.updates import FORMAT, SIGNED_PREFIX


def sign_bundle(
    private_key, sequence: int, flows: dict[str, str], created: str | None = None
) -> bytes:
    """The bundle bytes for `flows` (id -> YAML text), signed with an Ed25519 private key."""
    payload = json.dumps(
        {
            "sequence": sequence,
            "created": created or datetime.now(UTC).isoformat(timespec="seconds"),
            "flows": flows,
        },
        sort_keys=True,
        ensure_ascii=False,
    ).encode("utf-8")
    signature = private_key.sign(SIGNED_PREFIX + payload)
    envelope = {
        "format": FORMAT,
        "payload": base64.b64encode(payload).decode(),
        "signature": base64.b64encode(signature).decode(),
    }
    return (json.dumps(envelope, indent=1) + "\n").encode()


def load_private_key(path: Path):
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SystemExit(f"{path}: not an Ed25519 private key.")
    return key


def keygen(key_path: Path, pub_path: Path) -> None:
    if key_path.exists():
        raise SystemExit(f"{key_path} exists: refusing to replace a release key.")
    key = Ed25519PrivateKey.generate()
    key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    pub_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def build(
    key_path: Path, sequence: int, files: list[Path], out: Path, created: str | None = None
) -> None:
    flows = {}
    for path in files:
        try:
            load_flow(path)
        except FlowError as exc:
            raise SystemExit(f"Not signed: {exc.message}") from None
        flows[path.stem] = path.read_text(encoding="utf-8")
    out.write_bytes(sign_bundle(load_private_key(key_path), sequence, flows, created))
    print(f"{out}: {len(flows)} flows, sequence {sequence}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m optout.flowfile.sign", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("keygen", help="make a release keypair")
    gen.add_argument("--key", type=Path, required=True, help="where the private key goes (0600)")
    gen.add_argument("--pub", type=Path, required=True, help="where the public key goes")
    make = sub.add_parser("build", help="build and sign a bundle")
    make.add_argument("--key", type=Path, required=True, help="the private key FILE")
    make.add_argument("--sequence", type=int, required=True, help="above every earlier bundle's")
    make.add_argument("--created", help="ISO date (default: now)")
    make.add_argument("--out", type=Path, required=True)
    make.add_argument("flows", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        keygen(args.key, args.pub)
    else:
        build(args.key, args.sequence, args.flows, args.out, args.created)


if __name__ == "__main__":
    main()
