"""Session set-up for the Python peer tests: stubs, PKI, one running infra-manager."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import interop_support as support

_STUB_DIR: Path | None = None


def pytest_configure(config):
    # Generate the stubs before test modules are imported, so they can import them at the top.
    global _STUB_DIR
    _STUB_DIR = support.temp_dir("infra-interop-stubs-")
    support.generate_stubs(_STUB_DIR)
    support.import_stubs(_STUB_DIR)


def pytest_unconfigure(config):
    if _STUB_DIR is not None:
        shutil.rmtree(_STUB_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def bins() -> Path:
    directory = support.bin_dir()
    for name in ("infra-manager", "infra-pki"):
        if not (directory / name).is_file():
            pytest.fail(f"{directory / name} is missing: build it (swift build --product {name}) or set INFRA_BIN")
    return directory


@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("interop")


@pytest.fixture(scope="session")
def pki(bins, workdir) -> Path:
    """The shipped deployment profile's identities, plus openssl-made negative cases:
    foreign-ca/ (agent-looking cert from another CA) and expired/ (agent cert from the
    real CA, expired in 2024)."""
    out = support.apply_pki(bins / "infra-pki", support.DEFAULT_PROFILE, workdir / "pki")
    support.make_foreign_ca_client(out / "foreign-ca", trusted_ca=out / "ca" / "ca.crt")
    support.make_expired_client(out / "expired", ca_dir=out / "ca")
    return out


@pytest.fixture(scope="session")
def default_pki(bins, workdir) -> Path:
    """pki/profile.yaml exactly as shipped (its CA has NameConstraints)."""
    return support.apply_pki(bins / "infra-pki", support.DEFAULT_PROFILE, workdir / "pki-default")


@pytest.fixture(scope="session")
def manager(bins, workdir, pki):
    process = support.ManagerProcess(bins / "infra-manager", workdir / "manager", pki).start()
    yield process
    process.stop()


def _channel(manager, identity_dir: Path):
    import grpc

    return grpc.secure_channel(manager.address, support.credentials(identity_dir))


@pytest.fixture(scope="session")
def agent_channel(manager, pki):
    channel = _channel(manager, pki / "agent-node-1")
    yield channel
    channel.close()


@pytest.fixture(scope="session")
def operator_channel(manager, pki):
    channel = _channel(manager, pki / "operator-admin")
    yield channel
    channel.close()


@pytest.fixture()
def agent(agent_channel):
    from infra.v1 import manager_pb2_grpc

    return manager_pb2_grpc.InfraManagerStub(agent_channel)


@pytest.fixture()
def operator(operator_channel):
    from infra.v1 import manager_pb2_grpc

    return manager_pb2_grpc.InfraManagerStub(operator_channel)
