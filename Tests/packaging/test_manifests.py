"""Every manifest under deploy/ and every rendered overlay (`kubectl kustomize`, offline)
passes `kubernetes-validate --strict` against the Kubernetes schemas, and so does the
Secret that `infra-pki export` produces. FelixConfiguration is a Calico CRD with no schema
in kubernetes-validate, so its fields are checked against Calico's documented spec keys.
"""
import os
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, run

DEPLOY = REPO / "deploy"
VALIDATE = Path(sys.executable).parent / "kubernetes-validate"
OVERLAYS = sorted(p.parent for p in (DEPLOY / "overlays").glob("*/kustomization.yaml"))
MANIFESTS = sorted(p for p in DEPLOY.rglob("*.yaml")
                   if p.name != "kustomization.yaml" and "overlays" not in p.parts)
# spec keys of FelixConfiguration (projectcalico.org/v3) that the manifests may use.
FELIX_KEYS = {"useInternalDataplaneDriver", "dataplaneDriver", "logSeverityScreen", "ipv6Support",
              "defaultEndpointToHostAction", "reportingInterval", "vxlanEnabled", "bpfLogLevel"}


def validate(path: Path):
    result = run(VALIDATE, "--strict", path, check=False)
    output = result.stdout + result.stderr
    problems = [line for line in output.splitlines()
                if not line.startswith("INFO") and "kind FelixConfiguration with api version crd.projectcalico.org" not in line]
    assert result.returncode == 0 and not problems, output


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_manifest_is_valid(manifest):
    validate(manifest)


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_rendered_overlay_is_valid(overlay, scratch):
    rendered = scratch / f"{overlay.name}.yaml"
    rendered.write_text(run("kubectl", "kustomize", overlay, env={**os.environ, "KUBECONFIG": ""}).stdout)
    text = rendered.read_text()
    assert "kind: DaemonSet" in text and "kind: FelixConfiguration" in text and "kind: ClusterRole" in text
    validate(rendered)


def test_overlays_point_the_agent_at_the_right_manager(scratch):
    split = run("kubectl", "kustomize", DEPLOY / "overlays/split").stdout
    host = run("kubectl", "kustomize", DEPLOY / "overlays/host").stdout
    assert "address: 10.10.0.2:50002" in split and "mode: cdq" in split
    assert "address: 127.0.0.1:50002" in host and "mode: tap" in host


def test_felix_configuration_uses_known_keys_and_the_proxy():
    document = yaml.safe_load((DEPLOY / "calico/felixconfiguration.yaml").read_text())
    assert document["kind"] == "FelixConfiguration" and document["metadata"]["name"] == "default"
    spec = document["spec"]
    assert set(spec) <= FELIX_KEYS, set(spec) - FELIX_KEYS
    assert spec["useInternalDataplaneDriver"] is False
    assert spec["dataplaneDriver"] == "/var/lib/calico/felix-plugins/felix-api-proxy"


def test_exported_pki_secret_is_valid(scratch, infra_pki):
    run(infra_pki, "apply", REPO / "pki/profile.yaml", "--out", scratch / "pki")
    secret = scratch / "secret.yaml"
    run(infra_pki, "export", "--out", scratch / "pki", "--identity", "agent-node-1", "--file", secret)
    assert (secret.stat().st_mode & 0o777) == 0o600
    validate(secret)
    assert "name: infra-pki-agent-node-1" in secret.read_text()
