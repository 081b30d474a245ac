"""Builds the infra-agent image with podman (scripts/package-image: FROM scratch, a root
filesystem made from the binaries' own libraries, no registry) and runs the binaries in it.
"""
import re

import pytest

from conftest import REPO, run

PODMAN_RUN = ["podman", "run", "--rm", "--runtime", "runc", "--network", "none",
              "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


@pytest.fixture(scope="module")
def image():
    built = run(REPO / "scripts/package-image")
    name = built.stdout.strip().splitlines()[-1]
    assert name.startswith("localhost/infra-agent:")
    return name


def test_agent_version_runs_in_the_image(image):
    result = run(*PODMAN_RUN, image, "--version")
    assert result.stdout.strip() == image.split(":")[-1]


def test_cni_version_runs_in_the_image(image):
    result = run(*PODMAN_RUN, "--env", "CNI_COMMAND=VERSION", "--entrypoint", "/usr/bin/infra-cni", image)
    assert '"supportedVersions"' in result.stdout and '"1.1.0"' in result.stdout


def test_probe_fails_without_a_serving_agent(image):
    result = run(*PODMAN_RUN, "--entrypoint", "/usr/libexec/infra/agent-probe", image, "/run/infra/none.sock",
                 check=False)
    assert result.returncode != 0 and '"code":50' in result.stdout


def test_daemonset_uses_this_image_tag(image):
    daemonset = (REPO / "deploy/base/daemonset.yaml").read_text()
    assert set(re.findall(r"image: (\S+)", daemonset)) == {image}
