"""Installs the IPU and host bundles into scratch roots with their own install.sh and checks
the result: files and modes, PKI ownership (keys 0600), units that verify against the
installed binaries, enabled units, an upgrade that keeps configuration, PKI and state, and
uninstall (with and without --purge). The PKI comes from the release `infra-pki` shipped in
the IPU bundle, so its release build is exercised too.
"""
import os
import stat
from pathlib import Path

import pytest

from conftest import REPO, run, unpack

UNIT_DIR = "usr/lib/systemd/system"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def make_pki(infra_pki: Path, out: Path) -> Path:
    run(infra_pki, "apply", REPO / "pki/profile.yaml", "--out", out)
    run(infra_pki, "status", "--out", out, "--profile", REPO / "pki/profile.yaml")
    return out


def verify_units(root: Path, units):
    """systemd-analyze verify of installed units against the installed binaries: no output."""
    targets = root / "usr/lib/systemd/system"
    for target in Path("/lib/systemd/system").glob("*.target"):
        if not (targets / target.name).exists():
            (targets / target.name).write_bytes(target.read_bytes())
    for unit in units:
        result = run("systemd-analyze", "verify", "--recursive-errors=no", f"--root={root}",
                     f"/{UNIT_DIR}/{unit}", check=False)
        assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), \
            f"{unit}: {result.stdout}{result.stderr}"


def uid_of(root: Path, user: str) -> int:
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2])
    raise AssertionError(f"{user} missing from {root}/etc/passwd")


def test_ipu_bundle_install_upgrade_uninstall(scratch):
    bundle = unpack("ipu", scratch / "bundle")
    run("sha256sum", "--quiet", "-c", "SHA256SUMS", cwd=bundle)
    pki = make_pki(bundle / "files/usr/bin/infra-pki", scratch / "pki")
    root = scratch / "root"

    # A fresh install needs the node name, and refuses before writing anything.
    refused = run(bundle / "install.sh", "--root", root, check=False)
    assert refused.returncode != 0 and "--node" in refused.stderr
    assert not (root / "usr/bin/infra-manager").exists()

    run(bundle / "install.sh", "--root", root, "--node", "node-1", "--pki", pki, "--target", "emulator")
    for binary in ["infra-manager", "infra-p4-emulator", "infractl", "infra-pki"]:
        assert mode(root / "usr/bin" / binary) == 0o755
        assert "USAGE" in run(root / "usr/bin" / binary, "--help").stdout
    assert run(root / "usr/bin/infra-manager", "--version").stdout.strip() == bundle.name.split("-")[2]
    assert (root / "usr/share/infra/k8s_dp/k8s_dp.p4info.txtpb").is_file()
    assert (root / "usr/share/infra/k8s_dp/k8s_dp.spec").is_file()
    config = root / "etc/infra/manager.yaml"
    assert "nodeName: \"node-1\"" in config.read_text()
    run(root / "usr/bin/infra-manager", "check-config", "-c", config)

    manager = uid_of(root, "infra-manager")
    for identity in ["manager-server", "p4rt-client"]:
        directory = root / "etc/infra/pki" / identity
        assert mode(directory) == 0o700 and directory.stat().st_uid == manager
        assert mode(directory / "tls.key") == 0o600 and (directory / "tls.key").stat().st_uid == manager
        assert mode(directory / "tls.crt") == 0o644
        assert (directory / "ca.crt").read_bytes() == (pki / "ca/ca.crt").read_bytes()
    stratum = root / "usr/share/stratum/certs"
    assert mode(stratum / "stratum.key") == 0o600 and (stratum / "stratum.key").stat().st_uid == 0
    assert not list(root.rglob("ca.key")), "the CA key must never be installed"

    units = ["infra-manager.service", "infra-p4-emulator.service"]
    verify_units(root, units)
    wants = root / "etc/systemd/system/multi-user.target.wants"
    assert sorted(p.name for p in wants.iterdir()) == sorted(units)

    # Operator changes and daemon state survive an upgrade; shipped files are replaced.
    config.write_text(config.read_text().replace("heartbeatSeconds: 10", "heartbeatSeconds: 7"))
    state = root / "var/lib/infra-manager"
    state.mkdir(parents=True, exist_ok=True)
    (state / "state.json").write_text('{"kept": true}')
    key_before = (root / "etc/infra/pki/manager-server/tls.key").read_bytes()
    binary = root / "usr/bin/infra-manager"
    inode_before = binary.stat().st_ino
    upgraded = run(bundle / "install.sh", "--root", root)
    assert "kept /etc/infra/manager.yaml" in upgraded.stdout
    assert "heartbeatSeconds: 7" in config.read_text()
    assert (state / "state.json").read_text() == '{"kept": true}'
    assert (root / "etc/infra/pki/manager-server/tls.key").read_bytes() == key_before
    assert binary.stat().st_ino != inode_before, "binaries are renamed into place"
    assert sorted(p.name for p in wants.iterdir()) == sorted(units)

    # A damaged bundle is refused before anything is touched.
    damaged = bundle / "files/usr/share/infra/k8s_dp/k8s_dp.spec"
    original = damaged.read_bytes()
    damaged.write_bytes(original + b"\n")
    refused = run(bundle / "install.sh", "--root", root, check=False)
    assert refused.returncode != 0 and "SHA256SUMS" in refused.stderr
    damaged.write_bytes(original)

    run(bundle / "install.sh", "--uninstall", "--root", root)
    assert not binary.exists() and not (root / UNIT_DIR / "infra-manager.service").exists()
    assert not (wants / "infra-manager.service").exists()
    assert "heartbeatSeconds: 7" in config.read_text()
    assert (state / "state.json").exists() and (root / "etc/infra/pki/manager-server/tls.key").exists()

    run(bundle / "install.sh", "--root", root)     # reinstall over the kept config
    run(bundle / "install.sh", "--uninstall", "--purge", "--root", root)
    assert not config.exists() and not state.exists()
    assert not (root / "etc/infra/pki/manager-server").exists()


def test_host_bundle_install_upgrade_uninstall(scratch):
    ipu = unpack("ipu", scratch / "ipu")
    bundle = unpack("host", scratch / "bundle")
    pki = make_pki(ipu / "files/usr/bin/infra-pki", scratch / "pki")
    root = scratch / "root"

    bad = run(bundle / "install.sh", "--root", root, "--node", "node-1", "--pki", pki, "--identity", "agent-node-9",
              check=False)
    assert bad.returncode != 0 and "agent-node-9" in bad.stderr
    assert not (root / "usr/bin/infra-agent").exists()

    run(bundle / "install.sh", "--root", root, "--node", "node-1", "--pki", pki, "--arp-proxy")
    for path in ["usr/bin/infra-agent", "usr/bin/arp-proxy", "opt/cni/bin/infra-cni",
                 "var/lib/calico/felix-plugins/felix-api-proxy"]:
        assert mode(root / path) == 0o755, path
    assert run(root / "usr/bin/infra-agent", "--version").stdout.strip() == bundle.name.split("-")[2]
    version = run(root / "opt/cni/bin/infra-cni", env={"CNI_COMMAND": "VERSION"}, input="")
    assert "supportedVersions" in version.stdout
    agent_config = root / "etc/infra/agent.yaml"
    run(root / "usr/bin/infra-agent", "check-config", "-c", agent_config)
    key = root / "etc/infra/pki/agent/tls.key"
    assert mode(key) == 0o600 and key.stat().st_uid == 0 and mode(key.parent) == 0o700
    assert "agent/node-1" in run("openssl", "x509", "-noout", "-ext", "subjectAltName",
                                 "-in", root / "etc/infra/pki/agent/tls.crt").stdout

    units = ["infra-agent.service", "arp-proxy.service"]
    verify_units(root, units)
    wants = root / "etc/systemd/system/multi-user.target.wants"
    assert sorted(p.name for p in wants.iterdir()) == sorted(units)

    agent_config.write_text(agent_config.read_text().replace("maximumSeconds: 30", "maximumSeconds: 20"))
    state = root / "var/lib/infra-agent"
    state.mkdir(parents=True, exist_ok=True)
    (state / "cni-pods.json").write_text("[]")
    run(bundle / "install.sh", "--root", root)
    assert "maximumSeconds: 20" in agent_config.read_text()
    assert (state / "cni-pods.json").read_text() == "[]"

    run(bundle / "install.sh", "--uninstall", "--root", root)
    assert not (root / "opt/cni/bin/infra-cni").exists()
    assert not (wants / "infra-agent.service").exists()
    assert agent_config.exists() and key.exists() and (state / "cni-pods.json").exists()


@pytest.mark.parametrize("side", ["ipu", "host"])
def test_bundle_binaries_link_only_the_allowed_libraries(scratch, side):
    """ldd of every shipped binary: glibc, libstdc++, libgcc_s and libsystemd (with its own
    dependencies), never a Swift runtime library."""
    bundle = unpack(side, scratch / "bundle")
    binaries = [p for p in (bundle / "files").rglob("*") if p.is_file() and os.access(p, os.X_OK)]
    assert binaries
    for binary in binaries:
        if binary.name == "infra-p4-dpdk":
            continue        # DPDK's libraries are expected there (docs/install-host-mode.md)
        needed = run("readelf", "-d", binary).stdout
        libraries = sorted(line.split("[")[1].rstrip("]") for line in needed.splitlines() if "(NEEDED)" in line)
        assert set(libraries) <= {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libsystemd.so.0",
                                  "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}, f"{binary.name}: {libraries}"
        assert "swift" not in run("ldd", binary).stdout, binary.name
