"""The infra-manager process: systemd readiness, SIGTERM, configuration errors."""

from __future__ import annotations

import subprocess

import grpc
from health.v1 import health_pb2, health_pb2_grpc

import interop_support as support


def test_sigterm_exits_zero_and_notifies_ready_then_stopping(bins, workdir, pki):
    process = support.ManagerProcess(bins / "infra-manager", workdir / "manager-sigterm", pki).start()
    try:
        channel = grpc.secure_channel(process.address, support.credentials(pki / "agent-node-1"))
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        finally:
            channel.close()

        code, seconds = process.terminate(timeout=10)
        assert code == 0, f"exit {code} after SIGTERM; log:\n{process.log()}"
        assert seconds < 5, f"took {seconds:.1f}s to exit after SIGTERM"
        assert process.wait_for_notification("STOPPING=1", timeout=1), process.notifications

        assignments = [a for n in process.notifications for a in n.split("\n")]
        assert "READY=1" in assignments
        assert assignments.index("READY=1") < assignments.index("STOPPING=1")
    finally:
        process.stop()


def _run_with_config(bins, path, text: str) -> subprocess.CompletedProcess:
    path.write_text(text)
    return subprocess.run(
        [str(bins / "infra-manager"), "-c", str(path)], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
    )


def _error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


def test_unknown_config_key_is_named_on_one_line(bins, workdir, pki):
    text = support.manager_yaml(pki, support.free_port(), support.free_port()).replace("listen: 127", "listne: 127", 1)
    result = _run_with_config(bins, workdir / "bad-key.yaml", text)
    assert result.returncode != 0
    lines = _error_lines(result)
    assert len(lines) == 1, lines
    assert "listne" in lines[0]


def test_invalid_config_value_names_key_and_value(bins, workdir, pki):
    text = support.manager_yaml(pki, support.free_port(), support.free_port()).replace(
        "heartbeatSeconds: 2", "heartbeatSeconds: -1"
    )
    result = _run_with_config(bins, workdir / "bad-value.yaml", text)
    assert result.returncode != 0
    lines = _error_lines(result)
    assert len(lines) == 1, lines
    assert "heartbeatSeconds" in lines[0]
    assert "-1" in lines[0]


def test_check_config_accepts_a_valid_file(bins, workdir, pki):
    path = workdir / "good.yaml"
    path.write_text(support.manager_yaml(pki, support.free_port(), support.free_port()))
    result = subprocess.run(
        [str(bins / "infra-manager"), "check-config", "-c", str(path)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout
