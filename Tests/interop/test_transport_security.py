"""Who may connect: mutual TLS 1.3 with the cluster CA, seen from grpcio and openssl."""

from __future__ import annotations

import subprocess

import grpc
import pytest
from infra.v1 import manager_pb2 as m
from infra.v1 import manager_pb2_grpc as mg

import interop_support as support

TIMEOUT = 10


def status_error(address: str, channel_credentials=None) -> grpc.RpcError:
    channel = (
        grpc.secure_channel(address, channel_credentials)
        if channel_credentials is not None
        else grpc.insecure_channel(address)
    )
    try:
        with pytest.raises(grpc.RpcError) as raised:
            mg.InfraManagerStub(channel).Status(m.StatusRequest(), timeout=TIMEOUT)
        return raised.value
    finally:
        channel.close()


def assert_logged(manager, since: int, text: str) -> None:
    tail = manager.wait_for_log(text, since)
    assert text in tail, f"manager log lacks {text!r}:\n{tail}"


def test_client_certificate_from_another_ca_is_refused(manager, pki):
    since = manager.log_size()
    error = status_error(manager.address, support.credentials(pki / "foreign-ca"))
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert_logged(manager, since, "no chain to the cluster CA")


def test_expired_client_certificate_is_refused(manager, pki):
    since = manager.log_size()
    error = status_error(manager.address, support.credentials(pki / "expired"))
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert_logged(manager, since, "has expired")


def test_tls_without_client_certificate_is_refused(manager, pki):
    error = status_error(manager.address, support.credentials(pki / "agent-node-1", with_client_cert=False))
    assert error.code() == grpc.StatusCode.UNAVAILABLE


def test_server_certificate_used_as_client_certificate_is_refused(manager, pki):
    # manager-server is from the right CA but carries serverAuth only.
    since = manager.log_size()
    error = status_error(manager.address, support.credentials(pki / "manager-server"))
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert_logged(manager, since, "lacks extended key usage clientAuth")


def test_identity_without_a_grant_is_denied(manager, pki):
    # p4rt-client chains to the cluster CA and has clientAuth, but no rule names it.
    channel = grpc.secure_channel(manager.address, support.credentials(pki / "p4rt-client"))
    try:
        with pytest.raises(grpc.RpcError) as raised:
            mg.InfraManagerStub(channel).Status(m.StatusRequest(), timeout=TIMEOUT)
        assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    finally:
        channel.close()


def test_plaintext_client_is_refused(manager):
    since = manager.log_size()
    error = status_error(manager.address)
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert_logged(manager, since, "refused non-TLS connection")


def _s_client(manager, pki, *flags: str) -> str:
    agent = pki / "agent-node-1"
    result = subprocess.run(
        [
            "openssl", "s_client", "-connect", manager.address, *flags,
            "-CAfile", str(agent / "ca.crt"), "-cert", str(agent / "tls.crt"), "-key", str(agent / "tls.key"),
        ],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20,
    )
    return result.stdout + result.stderr


def test_tls_1_2_is_refused_with_protocol_version_alert(manager, pki):
    output = _s_client(manager, pki, "-tls1_2")
    assert "alert protocol version" in output


def test_tls_1_3_handshake_with_openssl_succeeds(manager, pki):
    # Positive control for the test above: same peer and certificate, TLS 1.3.
    output = _s_client(manager, pki, "-tls1_3", "-alpn", "h2")
    assert "TLSv1.3" in output
    assert "ALPN protocol: h2" in output
    assert "Verify return code: 0 (ok)" in output


def test_default_profile_chain_verifies_with_openssl(default_pki):
    # OpenSSL evaluates every name-constraint form, so the shipped profile is sound there.
    ca = default_pki / "ca" / "ca.crt"
    for name in ("manager-server", "agent-node-1", "operator-admin"):
        subprocess.run(
            ["openssl", "verify", "-CAfile", str(ca), str(default_pki / name / "tls.crt")],
            check=True, capture_output=True, timeout=20,
        )


def test_default_profile_works_with_grpcio(bins, workdir, default_pki):
    process = support.ManagerProcess(bins / "infra-manager", workdir / "manager-default-profile", default_pki).start()
    try:
        channel = grpc.secure_channel(process.address, support.credentials(default_pki / "agent-node-1"))
        try:
            # The shipped CA carries DNS and URI name constraints only; a BoringSSL peer
            # (grpcio here, gRPC C++ in infrap4d) must accept the chain.
            response = mg.InfraManagerStub(channel).Status(m.StatusRequest(), timeout=TIMEOUT)
        finally:
            channel.close()
        assert response.node_name == "node-1"
    finally:
        process.stop()


def _constrained_server_chain(directory, constraints: str):
    """A CA with `constraints` (openssl nameConstraints syntax) and a server leaf with DNS,
    IP and SPIFFE URI SANs inside them."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_crt = directory / "ca.key", directory / "ca.crt"
    support.run([
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", str(ca_key), "-out", str(ca_crt), "-days", "2", "-subj", "/CN=Constrained CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
        "-addext", f"nameConstraints=critical,{constraints}",
    ])
    key, csr, ext = directory / "tls.key", directory / "tls.csr", directory / "leaf.ext"
    support.run([
        "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", str(key), "-out", str(csr), "-subj", "/CN=localhost",
    ])
    ext.write_text(
        "[ leaf ]\nbasicConstraints = critical, CA:FALSE\nextendedKeyUsage = serverAuth\n"
        "subjectAltName = DNS:localhost, IP:127.0.0.1, URI:spiffe://infra.cluster.local/manager\n"
    )
    support.run([
        "openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca_crt), "-CAkey", str(ca_key), "-CAcreateserial",
        "-days", "1", "-extfile", str(ext), "-extensions", "leaf", "-out", str(directory / "tls.crt"),
    ])
    return ca_crt.read_bytes(), key.read_bytes(), (directory / "tls.crt").read_bytes()


@pytest.mark.parametrize(
    ("form", "constraints", "accepted"),
    [
        ("dns", "permitted;DNS:localhost", True),
        ("uri", "permitted;DNS:localhost,permitted;URI:infra.cluster.local", True),
        ("ip", "permitted;DNS:localhost,permitted;IP:127.0.0.0/255.0.0.0", False),
    ],
)
def test_grpcio_name_constraint_forms(workdir, form, constraints, accepted):
    """Which NameConstraints forms a BoringSSL peer accepts (grpcio server and client, no
    Swift involved): why the shipped profile has DNS and URI constraints but no IP ranges."""
    from concurrent import futures

    ca, key, chain = _constrained_server_chain(workdir / f"nc-{form}", constraints)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([(key, chain)]))
    server.start()
    channel = grpc.secure_channel(f"127.0.0.1:{port}", grpc.ssl_channel_credentials(root_certificates=ca))
    try:
        grpc.channel_ready_future(channel).result(timeout=3)
        connected = True
    except grpc.FutureTimeoutError:
        connected = False
    finally:
        channel.close()
        server.stop(0)
    assert connected == accepted
