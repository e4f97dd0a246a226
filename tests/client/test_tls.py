"""TLS: certificates are always verified; `server.ca_bundle` adds a private CA.

The simulator's app is served over HTTPS with a certificate from a throwaway CA made here.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from etl.client import Credentials, RocketChatClient
from etl.config import RetrySettings, load_settings
from etl.errors import TlsError, classify
from etl.simulator import SimServer


def _cert(subject: str, key, issuer: str, issuer_key, *, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        builder = builder.add_extension(san, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_ca_and_server_cert(directory: Path) -> tuple[Path, Path, Path]:
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _cert("rcetl test CA", ca_key, "rcetl test CA", ca_key, ca=True)
    leaf = _cert("127.0.0.1", key, "rcetl test CA", ca_key, ca=False)
    pem = serialization.Encoding.PEM
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(leaf.public_bytes(pem))
    paths[2].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


@pytest.fixture
def https_sim(sim_workspace, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    ca_path, cert_path, key_path = make_ca_and_server_cert(tmp_path)
    app = SimServer(sim_workspace).app
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        ssl_certfile=str(cert_path),
        ssl_keyfile=str(key_path),
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"https://127.0.0.1:{port}", ca_path
    server.should_exit = True
    thread.join(timeout=10)


def test_unknown_ca_is_refused(https_sim, sim_workspace) -> None:
    url, _ = https_sim
    admin = sim_workspace.credentials["admin"]
    creds = Credentials(user_id=admin["user_id"], token=admin["token"])
    retries = RetrySettings(max_attempts=3, backoff_initial=0.01)
    with RocketChatClient(url, creds, retries=retries) as client:
        with pytest.raises(TlsError, match="CERTIFICATE_VERIFY_FAILED") as caught:
            client.get("me")
        assert client.stats.requests == 1  # not retried: waiting will not fix a certificate
    assert classify(caught.value) == "terminal"
    assert "server.ca_bundle" in str(caught.value)


def test_ca_bundle_from_settings_is_trusted(https_sim, sim_workspace) -> None:
    url, ca_path = https_sim
    admin = sim_workspace.credentials["admin"]
    settings = load_settings(None, {"server.url": url, "server.ca_bundle": str(ca_path)}, {})
    environ = {"RCETL_TOKEN": admin["token"], "RCETL_USER_ID": admin["user_id"]}
    with RocketChatClient.from_settings(settings, environ) as client:
        assert client.get("me")["_id"] == admin["user_id"]
