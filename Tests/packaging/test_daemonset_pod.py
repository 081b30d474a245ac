"""Runs the rendered DaemonSet's pod (deploy/overlays/host) with podman, as kubelet would:
the init container with its command, capabilities and host mounts (temporary directories
here), then the agent container with its command, environment, read-only root, only
NET_ADMIN/NET_RAW/SYS_ADMIN, the ConfigMap and the Secret (the exported agent identity) as
files; its readiness/liveness probe command must pass and SIGTERM must stop it cleanly.
There is no kubelet here, so podman stands in for it; the manifest is the one shipped.
"""
import base64
import json
import time
import uuid

import pytest
import yaml

from conftest import REPO, run
from test_image import image  # noqa: F401  (the module fixture that builds the image)

PODMAN_RUN = ["podman", "run", "--runtime", "runc", "--network", "none",
              "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


@pytest.fixture(scope="module")
def rendered():
    documents = list(yaml.safe_load_all(run("kubectl", "kustomize", REPO / "deploy/overlays/host").stdout))
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in documents}
    daemonset = next(d for d in documents if d["kind"] == "DaemonSet")
    return daemonset["spec"]["template"]["spec"], by_kind[("ConfigMap", "infra-agent")]


def capability_flags(container):
    capabilities = container["securityContext"]["capabilities"]
    assert capabilities["drop"] == ["ALL"]
    return ["--cap-drop", "ALL", "--cap-add", ",".join(capabilities["add"]), "--security-opt", "no-new-privileges"]


def entrypoint(container):
    return ["--entrypoint", json.dumps(container["command"])]


def test_init_container_installs_the_host_binaries(image, rendered, scratch):  # noqa: F811
    pod, configmap = rendered
    init = pod["initContainers"][0]
    assert init["image"] == image
    config = scratch / "config"
    config.mkdir()
    for name, text in configmap["data"].items():
        (config / name).write_text(text)
    host = {"/host/opt/cni/bin": scratch / "cni-bin", "/host/etc/cni/net.d": scratch / "cni-conf",
            "/host/var/lib/calico/felix-plugins": scratch / "felix"}
    for directory in host.values():
        directory.mkdir()
    mounts = [f"--volume={path}:{target}" for target, path in host.items()] + [f"--volume={config}:/etc/infra/template:ro"]
    run(*PODMAN_RUN, "--rm", *capability_flags(init), *mounts, *entrypoint(init), image)
    for installed in [scratch / "cni-bin/infra-cni", scratch / "felix/felix-api-proxy"]:
        assert installed.is_file() and (installed.stat().st_mode & 0o777) == 0o755
    conflist = (scratch / "cni-conf/10-calico.conflist").read_text()
    assert '"socket": "unix:///run/infra/cni.sock"' in conflist
    assert not list(scratch.rglob(".*.new")), "no temporary file is left behind"


def test_agent_container_becomes_ready_and_stops_cleanly(image, rendered, scratch, infra_pki):  # noqa: F811
    pod, configmap = rendered
    agent = pod["containers"][0]
    assert agent["securityContext"]["readOnlyRootFilesystem"] is True
    config, pki, socket_dir, state = (scratch / n for n in ["config", "pki", "run-infra", "state"])
    for directory in (config, pki, socket_dir, state):
        directory.mkdir()
    for name, text in configmap["data"].items():
        (config / name).write_text(text)
    # The Secret, as kubelet projects it: the exported manifest's data, mode 0400.
    run(infra_pki, "apply", REPO / "pki/profile.yaml", "--out", scratch / "ca")
    secret = yaml.safe_load(run(infra_pki, "export", "--out", scratch / "ca", "--identity", "agent-node-1").stdout)
    for key, value in secret["data"].items():
        (pki / key).write_bytes(base64.b64decode(value))
        (pki / key).chmod(0o400)
    name = f"infra-agent-pod-{uuid.uuid4().hex[:8]}"
    env = [f"--env={e['name']}=node-1" for e in agent["env"]]
    assert [e["valueFrom"]["fieldRef"]["fieldPath"] for e in agent["env"]] == ["spec.nodeName"]
    run(*PODMAN_RUN, "-d", "--name", name, "--read-only", *capability_flags(agent), *env,
        f"--volume={config}:/etc/infra/template:ro", f"--volume={pki}:/etc/infra/pki/agent:ro",
        f"--volume={socket_dir}:/run/infra", f"--volume={state}:/var/lib/infra-agent",
        "--tmpfs=/run/infra-agent-config", *entrypoint(agent), image)
    try:
        probe = agent["readinessProbe"]["exec"]["command"]
        assert probe == agent["livenessProbe"]["exec"]["command"]
        deadline = time.monotonic() + 30
        while run("podman", "exec", name, *probe, check=False).returncode != 0:
            if time.monotonic() > deadline:
                pytest.fail("probe never passed:\n" + run("podman", "logs", name, check=False).stderr)
            time.sleep(0.5)
        generated = run("podman", "exec", name, "cat", "/run/infra-agent-config/agent.yaml").stdout
        assert 'nodeName: "node-1"' in generated
        assert (socket_dir / "cni.sock").is_socket() and ((socket_dir / "cni.sock").stat().st_mode & 0o777) == 0o600
        run("podman", "stop", "--time", "20", name)
        assert run("podman", "inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "0"
    finally:
        run("podman", "rm", "-f", name, check=False)
