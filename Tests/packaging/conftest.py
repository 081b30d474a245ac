"""Shared fixtures of the packaging tests: where the bundles are and a scratch root helper.

The bundles are made before pytest runs (scripts/test calls scripts/package-ipu and
scripts/package-host); INFRA_BUNDLE_DIR points at their directory (default: out/).
"""
import glob
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def bundle_dir() -> Path:
    return Path(os.environ.get("INFRA_BUNDLE_DIR", REPO / "out"))


def find_bundle(side: str) -> Path:
    found = sorted(glob.glob(str(bundle_dir() / f"infra-{side}-*-*.tar.gz")))
    if not found:
        pytest.fail(f"no infra-{side} bundle in {bundle_dir()}; run scripts/package-{side} first")
    return Path(found[-1])


def run(*args, check=True, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {result.returncode}\n"
                             f"stdout: {result.stdout}\nstderr: {result.stderr}")
    return result


@pytest.fixture
def scratch():
    directory = Path(tempfile.mkdtemp(prefix="infra-packaging-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def unpack(side: str, into: Path) -> Path:
    tarball = find_bundle(side)
    with tarfile.open(tarball) as archive:
        archive.extractall(into, filter="tar")
    return into / tarball.name.removesuffix(".tar.gz")


@pytest.fixture(scope="session")
def infra_pki(tmp_path_factory) -> Path:
    """The release infra-pki shipped in the IPU bundle (the tool operators will run)."""
    tarball = find_bundle("ipu")
    member = f"{tarball.name.removesuffix('.tar.gz')}/files/usr/bin/infra-pki"
    into = tmp_path_factory.mktemp("infra-pki")
    with tarfile.open(tarball) as archive:
        archive.extract(member, into, filter="tar")
    return into / member
