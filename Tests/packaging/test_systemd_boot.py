"""The units under a real systemd: both bundles are installed with their install.sh into a
Debian 12 image made from Debian's packages (mmdebstrap, .cache/debian-systemd.tar from
scripts/setup --test), and podman boots it with systemd as PID 1. Host mode on one machine:
infra-p4-emulator, infra-manager and infra-agent start from their units with every hardening
option in force, talk mutual TLS, and the test checks readiness (Type=notify), the sandbox
the manager really runs in, Restart=on-failure, a graceful stop, a live upgrade and uninstall.

CI has no systemd as PID 1, so this is the only place the units' sandbox is exercised.
"""
import shutil
import time
import uuid

import pytest

from conftest import REPO, run, unpack

ROOTFS = REPO / ".cache/debian-systemd.tar"
BASE = "localhost/infra-debian-systemd:bookworm"
PODMAN = ["podman"]
RUN_FLAGS = ["--runtime", "runc", "--systemd=always", "--network", "none",
             "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


def sh(container, command, check=True):
    return run(*PODMAN, "exec", container, "bash", "-c", command, check=check)


def wait_for(container, command, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sh(container, command, check=False).returncode == 0:
            return
        time.sleep(0.5)
    logs = sh(container, "journalctl --no-pager -n 60", check=False).stdout
    raise AssertionError(f"timed out waiting for: {command}\n{logs}")


def show(container, unit, *properties):
    output = sh(container, f"systemctl show {unit} " + " ".join(f"-p {p}" for p in properties)).stdout
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


@pytest.fixture(scope="module")
def booted(tmp_path_factory):
    if not ROOTFS.exists():
        pytest.fail(f"{ROOTFS} is missing: run scripts/setup --test (mmdebstrap makes it)")
    context = tmp_path_factory.mktemp("systemd-boot")
    ipu = unpack("ipu", context / "unpacked-ipu")
    host = unpack("host", context / "unpacked-host")
    shutil.move(ipu, context / "ipu")
    shutil.move(host, context / "host")
    run(context / "ipu/files/usr/bin/infra-pki", "apply", REPO / "pki/profile.yaml", "--out", context / "pki")
    (context / "Containerfile").write_text(
        f"FROM {BASE}\n"
        "COPY ipu /opt/ipu\nCOPY host /opt/host\nCOPY pki /opt/pki\n"
        "RUN /opt/ipu/install.sh --node node-1 --pki /opt/pki --target emulator && "
        "sed -i 's/^listen: .*/listen: 127.0.0.1:50002/' /etc/infra/manager.yaml && "
        "/opt/host/install.sh --node node-1 --pki /opt/pki && "
        "sed -i 's/^  address: .*/  address: 127.0.0.1:50002/' /etc/infra/agent.yaml\n"
        'CMD ["/sbin/init"]\n')
    if run(*PODMAN, "image", "exists", BASE, check=False).returncode != 0:
        run(*PODMAN, "import", ROOTFS, BASE)
    tag = f"localhost/infra-systemd-boot:{uuid.uuid4().hex[:8]}"
    run(*PODMAN, "build", "--runtime", "runc", "-q", "-t", tag, context)
    name = f"infra-systemd-{uuid.uuid4().hex[:8]}"
    run(*PODMAN, "run", "-d", "--name", name, *RUN_FLAGS, tag)
    try:
        wait_for(name, "systemctl is-system-running | grep -Eq 'running|degraded'")
        yield name
    finally:
        run(*PODMAN, "rm", "-f", name, check=False)
        run(*PODMAN, "rmi", "-f", tag, check=False)


def test_units_start_ready_and_talk_mtls(booted):
    wait_for(booted, "systemctl is-active --quiet infra-manager infra-p4-emulator infra-agent")
    assert "serving infra.v1 on" in show(booted, "infra-manager", "StatusText")["StatusText"]
    wait_for(booted, "journalctl -u infra-manager --no-pager | grep -q 'P4Runtime target ready'")
    wait_for(booted, "journalctl -u infra-agent --no-pager | grep -q 'sync done'")
    probe = sh(booted, 'echo \'{"cniVersion":"1.1.0","name":"p","type":"infra-cni","agentSocket":"/run/infra/cni.sock"}\' '
                       "| CNI_COMMAND=STATUS CNI_PATH=/opt/cni/bin /opt/cni/bin/infra-cni", check=False)
    assert probe.returncode == 0, probe.stdout + probe.stderr


def test_manager_runs_in_its_sandbox(booted):
    wait_for(booted, "systemctl is-active --quiet infra-manager")
    pid = show(booted, "infra-manager", "MainPID")["MainPID"]
    status = dict(line.split(":", 1) for line in sh(booted, f"cat /proc/{pid}/status").stdout.splitlines())
    uid = int(status["Uid"].split()[0])
    assert uid != 0, "infra-manager runs as its own user"
    assert status["CapEff"].strip() == "0000000000000000" and status["CapBnd"].strip() == "0000000000000000"
    assert status["NoNewPrivs"].strip() == "1" and status["Seccomp"].strip() == "2"
    assert show(booted, "infra-manager", "WatchdogUSec")["WatchdogUSec"] == "30s"
    key = sh(booted, "stat -c '%a %u' /etc/infra/pki/manager-server/tls.key").stdout.split()
    assert key == ["600", str(uid)]
    # Its own mount namespace: / read-only (ProtectSystem=strict), /home hidden (ProtectHome),
    # only the state directory writable.
    assert sh(booted, "readlink /proc/1/ns/mnt").stdout != sh(booted, f"readlink /proc/{pid}/ns/mnt").stdout
    mounts = {fields[4]: fields[5].split(",") for fields in
              (line.split() for line in sh(booted, f"cat /proc/{pid}/mountinfo").stdout.splitlines())}
    assert "ro" in mounts["/"] and "ro" in mounts["/home"]
    assert "rw" in mounts["/var/lib/infra-manager"]


def test_restart_on_failure_and_graceful_stop(booted):
    wait_for(booted, "systemctl is-active --quiet infra-manager")
    before = int(show(booted, "infra-manager", "NRestarts")["NRestarts"])
    sh(booted, "systemctl kill -s SIGKILL infra-manager")
    wait_for(booted, f"test $(systemctl show -p NRestarts --value infra-manager) -gt {before}")
    wait_for(booted, "systemctl is-active --quiet infra-manager")
    sh(booted, "systemctl stop infra-agent")
    stopped = show(booted, "infra-agent", "ActiveState", "Result", "ExecMainStatus")
    assert stopped == {"ActiveState": "inactive", "Result": "success", "ExecMainStatus": "0"}, stopped
    sh(booted, "systemctl start infra-agent")
    wait_for(booted, "systemctl is-active --quiet infra-agent")


def test_live_upgrade_restarts_and_uninstall_stops(booted):
    wait_for(booted, "systemctl is-active --quiet infra-manager")
    pid_before = show(booted, "infra-manager", "MainPID")["MainPID"]
    upgraded = sh(booted, "/opt/ipu/install.sh")
    assert "installed and started" in upgraded.stdout
    wait_for(booted, "systemctl is-active --quiet infra-manager")
    assert show(booted, "infra-manager", "MainPID")["MainPID"] != pid_before
    assert "listen: 127.0.0.1:50002" in sh(booted, "cat /etc/infra/manager.yaml").stdout
    sh(booted, "/opt/ipu/install.sh --uninstall")
    state = show(booted, "infra-manager", "ActiveState", "UnitFileState", "LoadState")
    assert state["ActiveState"] == "inactive" and state["LoadState"] == "not-found", state
    assert sh(booted, "test -f /etc/infra/manager.yaml && test -d /var/lib/infra-manager", check=False).returncode == 0
