"""Signed flow updates (issue 17.5): a bundle is installed only when optout's release key signed it,
it is newer than what is installed, and every flow in it is valid and stays within the shipped
origins. Each refusal names its cause, and nothing is installed. The tests sign with their own key,
put in place of the shipped one (no setting or environment variable can add a key)."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from optout.cli import cli
from optout.flowfile import sign as flowsign
from optout.flowfile import updates as flowupdate
from optout.flowfile.folders import Layers
from optout.flowfile.layers import load_flows
from optout.paths import flows_dir

ATTACKER = "https://attacker.example"


@pytest.fixture
def key(monkeypatch, tmp_path):
    private = Ed25519PrivateKey.generate()
    monkeypatch.setattr(flowupdate, "trusted_keys", lambda: [private.public_key()])
    monkeypatch.setenv("OPTOUT_FLOWS", str(tmp_path / "my-flows"))
    monkeypatch.setenv("OPTOUT_CACHE_HOME", str(tmp_path / "cache"))
    return private


def shipped_text(name: str = "linkedin", **changes) -> str:
    data = yaml.safe_load((flows_dir() / f"{name}.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    return yaml.safe_dump(data, sort_keys=False)


#: The shipped LinkedIn flow's version, and the one a newer bundle carries (flows bump it on change).
SHIPPED = yaml.safe_load((flows_dir() / "linkedin.yaml").read_text(encoding="utf-8"))["version"]
NEWER = SHIPPED + 1


def bundle(tmp_path: Path, key, sequence: int = 2, name: str = "bundle.json", **flows: str) -> Path:
    path = tmp_path / name
    path.write_bytes(
        flowsign.sign_bundle(key, sequence, flows or {"linkedin": shipped_text(version=NEWER)})
    )
    return path


def update(*args):
    return CliRunner().invoke(cli, ["flows", "update", *map(str, args)])


def refused(result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    for word in words:
        assert word in result.output, (word, result.output)
    assert not flowupdate.bundle_path().exists()


def test_a_signed_newer_bundle_from_a_file_is_installed_and_used(key, tmp_path):
    result = update(bundle(tmp_path, key))
    assert result.exit_code == 0, result.output
    assert "linkedin" in result.output and f"version {SHIPPED} -> {NEWER}" in result.output
    flow = load_flows(Layers.person())["linkedin"]
    assert flow.version == NEWER and flow.flow_source == "update"
    assert oct(flowupdate.bundle_path().stat().st_mode & 0o777) == "0o600"
    listed = {
        f["platform"]: f
        for f in json.loads(CliRunner().invoke(cli, ["platforms", "--json"]).stdout)
    }
    assert listed["linkedin"]["flow_source"] == "update" and listed["x"]["flow_source"] == "shipped"


def test_check_shows_what_would_change_and_installs_nothing(key, tmp_path):
    newsite = shipped_text(id="newsite")  # a platform optout does not ship: all its origins are new
    path = bundle(
        tmp_path, key, linkedin=shipped_text(version=NEWER), x=shipped_text("x"), newsite=newsite
    )
    allow = "https://linkedin.com,https://www.linkedin.com"
    result = CliRunner().invoke(
        cli, ["flows", "update", str(path), "--check", "--json", "--allow-origins", allow]
    )
    assert result.exit_code == 0, result.output
    rows = {r["platform"]: r for r in json.loads(result.stdout)["flows"]}
    assert (
        rows["linkedin"]["change"] == "changed" and rows["linkedin"]["current_version"] == SHIPPED
    )
    assert rows["x"]["change"] == "unchanged" and rows["newsite"]["change"] == "new"
    human = update(path, "--check", "--allow-origins", allow)
    assert f"version {SHIPPED} -> {NEWER}" in human.output and "new platform" in human.output
    assert "Nothing was installed" in human.output
    assert (
        not flowupdate.bundle_path().exists()
        and load_flows(Layers.person())["linkedin"].flow_source == "shipped"
    )


def test_a_bundle_from_an_https_server_is_installed(key, tmp_path, monkeypatch):
    body = bundle(tmp_path, key).read_bytes()
    with https_server(tmp_path, monkeypatch, {"/flows.json": body}) as base:
        result = update(f"{base}/flows.json")
        assert result.exit_code == 0, result.output
        assert load_flows(Layers.person())["linkedin"].flow_source == "update"
        missing = update(f"{base}/nothing.json")
        assert missing.exit_code == 1 and "HTTP 404" in missing.output


def test_an_https_server_with_an_untrusted_certificate_is_refused(key, tmp_path, monkeypatch):
    with https_server(
        tmp_path, monkeypatch, {"/flows.json": bundle(tmp_path, key).read_bytes()}
    ) as base:
        monkeypatch.delenv("SSL_CERT_FILE")
        refused(update(f"{base}/flows.json"), "certificate is not trusted")


def test_a_redirect_to_http_and_a_server_that_never_answers_are_refused(key, tmp_path, monkeypatch):
    from optout.errors import OptoutError
    from optout.flowfile import fetch as flowfetch

    with https_server(tmp_path, monkeypatch, {}) as base:
        cafile = str(tmp_path / "server.pem")
        monkeypatch.delenv("SSL_CERT_FILE")  # trusted through the explicit CA file alone
        with pytest.raises(OptoutError, match="not https"):
            flowfetch.fetch(f"{base}/to-http", cafile=cafile)
        with pytest.raises(OptoutError, match="did not answer within"):
            flowfetch.fetch(f"{base}/stall", cafile=cafile, timeout=0.5)


@pytest.mark.parametrize("route", ["/trickle", "/trickle-headers"])
def test_a_server_that_trickles_stops_at_the_total_limit(key, tmp_path, monkeypatch, route):
    """Issue 23.11: one byte at a time never trips a per-read timeout; the README's limit is for
    the whole download (lowered here from 30 s to 1.5 s)."""
    import time

    from optout.flowfile import fetch as flowfetch

    monkeypatch.setattr(flowfetch, "TIMEOUT_S", 1.5)
    with https_server(tmp_path, monkeypatch, {}) as base:
        started = time.monotonic()
        result = update(f"{base}{route}")
        took = time.monotonic() - started
    refused(result, "did not answer within 1.5 seconds")
    assert took < 3, took


def test_an_older_signed_bundle_put_in_place_of_the_installed_one_is_not_used(
    key, tmp_path, capsys
):
    """Issue 23.11: the old bundle verifies (the same key signed it) but installed.json says newer."""
    assert update(bundle(tmp_path, key, sequence=2, name="old.json")).exit_code == 0
    old = flowupdate.bundle_path().read_bytes()
    assert (
        update(
            bundle(tmp_path, key, sequence=3, name="new.json", linkedin=shipped_text(version=NEWER))
        ).exit_code
        == 0
    )
    assert load_flows(Layers.person())["linkedin"].version == NEWER
    capsys.readouterr()
    flowupdate.bundle_path().write_bytes(old)  # replaced in place, record untouched
    assert load_flows(Layers.person())["linkedin"].flow_source == "shipped"
    err = capsys.readouterr().err
    assert "not used" in err and "sequence 2" in err and "installed.json" in err
    # the same sequence with other bytes (another signed bundle numbered 3) is not used either
    flowupdate.bundle_path().write_bytes(
        bundle(
            tmp_path, key, sequence=3, name="other.json", linkedin=shipped_text(version=NEWER + 1)
        ).read_bytes()
    )
    assert load_flows(Layers.person())["linkedin"].flow_source == "shipped"
    assert "SHA-256" in capsys.readouterr().err
    # and nothing older can be installed over the record
    refused_again = update(bundle(tmp_path, key, sequence=3, name="again.json"))
    assert refused_again.exit_code == 1 and "not newer" in refused_again.output


def test_only_https_urls_are_fetched(key):
    refused(update("http://127.0.0.1:9/flows.json"), "not an https URL")


def test_a_tampered_bundle_is_refused(key, tmp_path):
    path = bundle(tmp_path, key)
    envelope = json.loads(path.read_text())
    payload = base64.b64decode(envelope["payload"]).replace(
        f"version: {NEWER}".encode(), f"version: {NEWER + 1}".encode()
    )
    envelope["payload"] = base64.b64encode(payload).decode()
    path.write_text(json.dumps(envelope))
    refused(update(path), "signature does not verify")


def test_a_bundle_signed_by_another_key_is_refused(key, tmp_path):
    refused(update(bundle(tmp_path, Ed25519PrivateKey.generate())), "signature does not verify")


def test_an_unsigned_bundle_is_refused(key, tmp_path):
    path = bundle(tmp_path, key)
    envelope = json.loads(path.read_text())
    del envelope["signature"]
    path.write_text(json.dumps(envelope))
    refused(update(path), "not signed")


def test_a_bundle_not_newer_than_what_is_installed_is_refused(key, tmp_path):
    refused(
        update(bundle(tmp_path, key, sequence=flowupdate.SHIPPED_SEQUENCE)), "not newer", "sequence"
    )
    assert update(bundle(tmp_path, key, sequence=5)).exit_code == 0
    installed = flowupdate.bundle_path().read_bytes()
    for sequence in (5, 4):
        result = update(
            bundle(
                tmp_path,
                key,
                sequence=sequence,
                name=f"old-{sequence}.json",
                linkedin=shipped_text(version=2),
            )
        )
        assert result.exit_code == 1 and "not newer" in result.output
        assert flowupdate.bundle_path().read_bytes() == installed
    flowupdate.remove()  # taking the update out never lets an older one in
    refused(update(bundle(tmp_path, key, sequence=4, name="older.json")), "not newer")


def test_a_bundle_with_an_invalid_flow_is_refused(key, tmp_path):
    broken = shipped_text(version=4).replace("credential_origins:", "credential_origin:")
    refused(
        update(bundle(tmp_path, key, linkedin=broken, x=shipped_text("x"))),
        "do not match the schema",
        "linkedin.yaml",
        "credential_origin",
    )
    assert load_flows(Layers.person())["x"].flow_source == "shipped"  # none of the bundle is used


def attacker_linkedin() -> str:
    data = yaml.safe_load(shipped_text(version=4))
    data["domains"] = ["linkedin.com", "attacker.example"]
    data["login"]["url"] = f"{ATTACKER}/login"
    data["login"]["credential_origins"] = ["https://www.linkedin.com", ATTACKER]
    return yaml.safe_dump(data, sort_keys=False)


def test_a_bundle_widening_origins_is_refused_unless_exactly_allowed(key, tmp_path):
    path = bundle(tmp_path, key, linkedin=attacker_linkedin())
    refused(update(path), "Refused", ATTACKER, f"--allow-origins {ATTACKER}")
    refused(update(path, "--allow-origins", "https://other.example"), "exactly")
    assert load_flows(Layers.person())["linkedin"].flow_source == "shipped"
    result = update(path, "--allow-origins", ATTACKER)
    assert result.exit_code == 0, result.output
    assert ATTACKER in load_flows(Layers.person())["linkedin"].credential_origins


def test_an_edited_installed_bundle_is_not_used(key, tmp_path, capsys):
    assert update(bundle(tmp_path, key)).exit_code == 0
    stored = flowupdate.bundle_path()
    envelope = json.loads(stored.read_text())
    edited = base64.b64decode(envelope["payload"]).replace(
        f"version: {NEWER}".encode(), f"version: {NEWER + 3}".encode()
    )
    envelope["payload"] = base64.b64encode(edited).decode()
    stored.write_text(json.dumps(envelope))
    assert load_flows(Layers.person())["linkedin"].flow_source == "shipped"
    assert "signature does not verify" in capsys.readouterr().err


def test_a_release_that_ships_the_fix_makes_the_update_stale(key, tmp_path, monkeypatch):
    assert update(bundle(tmp_path, key, sequence=3)).exit_code == 0
    assert load_flows(Layers.person())["linkedin"].flow_source == "update"
    monkeypatch.setattr(flowupdate, "SHIPPED_SEQUENCE", 3)
    assert load_flows(Layers.person())["linkedin"].flow_source == "shipped"


def test_a_local_flow_comes_before_an_update(key, tmp_path):
    assert update(bundle(tmp_path, key, linkedin=shipped_text(version=NEWER))).exit_code == 0
    local = tmp_path / "mine" / "linkedin.yaml"
    local.parent.mkdir()
    local.write_text(shipped_text(version=NEWER + 1))
    assert CliRunner().invoke(cli, ["flows", "add", str(local)]).exit_code == 0
    assert load_flows(Layers.person())["linkedin"].flow_source == "local"
    assert CliRunner().invoke(cli, ["flows", "remove", "linkedin"]).exit_code == 0
    assert load_flows(Layers.person())["linkedin"].flow_source == "update"
    assert CliRunner().invoke(cli, ["flows", "remove", "--update"]).exit_code == 0
    assert load_flows(Layers.person())["linkedin"].flow_source == "shipped"


def test_an_oversized_bundle_is_refused(key, tmp_path):
    path = tmp_path / "huge.json"
    path.write_bytes(b" " * (flowupdate.MAX_BUNDLE_BYTES + 1))
    refused(update(path), "larger than a flow bundle may be")


def test_flowsign_builds_a_bundle_from_a_key_file(tmp_path, monkeypatch):
    key_file, pub_file = tmp_path / "keys" / "release.key", tmp_path / "release.pub"
    flowsign.main(["keygen", "--key", str(key_file), "--pub", str(pub_file)])
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    public = load_pem_public_key(pub_file.read_bytes())
    monkeypatch.setattr(flowupdate, "trusted_keys", lambda: [public])
    flow = tmp_path / "linkedin.yaml"
    flow.write_text(shipped_text(version=4))
    out = tmp_path / "out.json"
    flowsign.main(
        ["build", "--key", str(key_file), "--sequence", "7", "--out", str(out), str(flow)]
    )
    opened = flowupdate.open_bundle(out.read_bytes(), str(out))
    assert opened.sequence == 7 and set(opened.flows) == {"linkedin"}
    with pytest.raises(SystemExit):
        flowsign.main(["keygen", "--key", str(key_file), "--pub", str(pub_file)])  # never replaced


def test_the_shipped_release_key_is_an_ed25519_public_key():
    [public] = flowupdate.trusted_keys()
    assert isinstance(public, Ed25519PublicKey)


# -- a local HTTPS server with its own certificate authority --------------------------------------


class https_server:
    """Serve `pages` over https on 127.0.0.1 with a fresh self-signed certificate, trusted by this
    test alone through SSL_CERT_FILE."""

    def __init__(self, tmp_path: Path, monkeypatch, pages: dict[str, bytes]):
        self.tmp_path, self.monkeypatch, self.pages = tmp_path, monkeypatch, pages

    def __enter__(self) -> str:
        import ssl

        cert, key = self._certificate()
        pages = self.pages
        stall = self.stall = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/to-http":
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.1:9/flows.json")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path == "/stall":
                    stall.wait(10)  # answers only once the test is done with it
                    return
                if self.path.startswith("/trickle"):  # one byte every 0.2 s until the test is done
                    headers = self.path == "/trickle-headers"
                    if not headers:
                        self.send_response(200)
                        self.send_header("Content-Length", "100000")
                        self.end_headers()
                    else:
                        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                    self.wfile.flush()
                    while not stall.wait(0.2):
                        try:
                            self.wfile.write(b"X-Slow: x\r\n" if headers else b"x")
                            self.wfile.flush()
                        except OSError:
                            return
                    return
                body = pages.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        for name in ("NO_PROXY", "no_proxy"):
            self.monkeypatch.setenv(name, "127.0.0.1,localhost")
        return f"https://localhost:{self.server.server_address[1]}"

    def __exit__(self, *exc):
        self.stall.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def _certificate(self) -> tuple[Path, Path]:
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        cert_path, key_path = self.tmp_path / "server.pem", self.tmp_path / "server.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_path, key_path
