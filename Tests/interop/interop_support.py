"""Helpers shared by the Python peer tests and the benchmark client.

Everything here talks to the real binaries (INFRA_BIN, default /work/main/.build/debug)
through files, processes and sockets; nothing imports Swift code.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTO_ROOT = REPO_ROOT / "protos"
DEFAULT_PROFILE = REPO_ROOT / "pki" / "profile.yaml"


def bin_dir() -> Path:
    return Path(os.environ.get("INFRA_BIN", str(REPO_ROOT / ".build" / "debug")))


# --------------------------------------------------------------------------------------
# Python stubs, generated at run time from protos/ (never committed)


def generate_stubs(dest: Path) -> Path:
    """Runs grpc_tools.protoc on the infra.v1 and grpc.health.v1 protos into `dest`.

    grpc.health.v1 is compiled with protos/grpc as its include root, so its Python package
    is `health.v1` rather than `grpc.health.v1`, which would collide with the grpcio
    package. The proto package, and with it the method path
    /grpc.health.v1.Health/Check, is unchanged.
    """
    from grpc_tools import protoc  # imported late: only the peers' venv has it

    dest.mkdir(parents=True, exist_ok=True)
    bundled = Path(protoc.__file__).parent / "_proto"
    runs = [
        (PROTO_ROOT, ["infra/v1/objects.proto", "infra/v1/manager.proto"]),
        (PROTO_ROOT / "grpc", ["health/v1/health.proto"]),
    ]
    for include, files in runs:
        args = ["protoc", f"-I{include}", f"-I{bundled}", f"--python_out={dest}", f"--grpc_python_out={dest}"]
        status = protoc.main(args + [str(include / name) for name in files])
        if status != 0:
            raise RuntimeError(f"grpc_tools.protoc failed ({status}) on {files}")
    return dest


def import_stubs(dest: Path):
    """Puts generated stubs on sys.path and returns (manager_pb2, manager_pb2_grpc,
    objects_pb2, health_pb2, health_pb2_grpc)."""
    if str(dest) not in sys.path:
        sys.path.insert(0, str(dest))
    from health.v1 import health_pb2, health_pb2_grpc
    from infra.v1 import manager_pb2, manager_pb2_grpc, objects_pb2

    return manager_pb2, manager_pb2_grpc, objects_pb2, health_pb2, health_pb2_grpc


# --------------------------------------------------------------------------------------
# PKI


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 60)
    result = subprocess.run(cmd, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def apply_pki(infra_pki: Path, profile: Path, out: Path) -> Path:
    run([str(infra_pki), "apply", str(profile), "--out", str(out)])
    return out


_CLIENT_EXTENSIONS = """\
[ v3_client ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = URI:spiffe://infra.cluster.local/agent/node-1
"""


def _ec_csr(directory: Path, common_name: str) -> Path:
    key = directory / "tls.key"
    csr = directory / "tls.csr"
    run([
        "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", str(key), "-out", str(csr), "-subj", f"/O=InfraOffload/CN={common_name}",
    ])
    return csr


def make_foreign_ca_client(directory: Path, trusted_ca: Path) -> Path:
    """An agent-looking client identity (clientAuth, the agent's URI SAN) issued by a
    second, unrelated CA. ca.crt is the real cluster CA, so the client itself trusts the
    manager; only the manager has a reason to refuse."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_crt = directory / "other-ca.key", directory / "other-ca.crt"
    run([
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", str(ca_key), "-out", str(ca_crt), "-days", "30", "-subj", "/O=Elsewhere/CN=Other CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ])
    csr = _ec_csr(directory, "agent-node-1")
    ext = directory / "client.ext"
    ext.write_text(_CLIENT_EXTENSIONS)
    run([
        "openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca_crt), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", "30", "-extfile", str(ext), "-extensions", "v3_client",
        "-out", str(directory / "tls.crt"),
    ])
    shutil.copy(trusted_ca, directory / "ca.crt")
    return directory


def make_expired_client(directory: Path, ca_dir: Path) -> Path:
    """An agent client certificate from the real cluster CA whose validity ended in 2024.

    OpenSSL 3.0's `x509`/`req` have no -not_before/-not_after, but `openssl ca` takes
    -startdate/-enddate, so a throw-away `ca` configuration does the signing."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "newcerts").mkdir(exist_ok=True)
    (directory / "index.txt").write_text("")
    (directory / "serial").write_text("1000\n")
    config = directory / "ca.cnf"
    config.write_text(
        "[ ca ]\ndefault_ca = expired_ca\n\n"
        "[ expired_ca ]\n"
        f"database = {directory / 'index.txt'}\n"
        f"new_certs_dir = {directory / 'newcerts'}\n"
        f"serial = {directory / 'serial'}\n"
        "default_md = sha256\npolicy = any_subject\nunique_subject = no\ncopy_extensions = none\n\n"
        "[ any_subject ]\norganizationName = optional\ncommonName = supplied\n\n"
        + _CLIENT_EXTENSIONS
    )
    csr = _ec_csr(directory, "agent-node-1")
    run([
        "openssl", "ca", "-batch", "-notext", "-config", str(config),
        "-cert", str(ca_dir / "ca.crt"), "-keyfile", str(ca_dir / "ca.key"),
        "-startdate", "240101000000Z", "-enddate", "240201000000Z",
        "-extensions", "v3_client", "-in", str(csr), "-out", str(directory / "tls.crt"),
    ])
    shutil.copy(ca_dir / "ca.crt", directory / "ca.crt")
    return directory


def credentials(identity_dir: Path, with_client_cert: bool = True):
    import grpc

    ca = (identity_dir / "ca.crt").read_bytes()
    if not with_client_cert:
        return grpc.ssl_channel_credentials(root_certificates=ca)
    return grpc.ssl_channel_credentials(
        root_certificates=ca,
        private_key=(identity_dir / "tls.key").read_bytes(),
        certificate_chain=(identity_dir / "tls.crt").read_bytes(),
    )


# --------------------------------------------------------------------------------------
# The manager process


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manager_yaml(pki: Path, port: int, metrics_port: int, log_level: str = "info") -> str:
    server = pki / "manager-server"
    return (
        "nodeName: node-1\n"
        f"listen: 127.0.0.1:{port}\n"
        "heartbeatSeconds: 2\n"
        "tls:\n"
        f"  caFile: {server / 'ca.crt'}\n"
        f"  certificateFile: {server / 'tls.crt'}\n"
        f"  keyFile: {server / 'tls.key'}\n"
        "metrics:\n"
        f"  listen: 127.0.0.1:{metrics_port}\n"
        "log:\n"
        "  target: stderr\n"
        f"  level: {log_level}\n"
    )


@dataclass
class ManagerProcess:
    """An infra-manager started with its own config, log file and NOTIFY_SOCKET."""

    binary: Path
    workdir: Path
    pki: Path
    log_level: str = "info"
    # Appended to the generated config (e.g. a `dataplane:` section).
    extra_yaml: str = ""
    port: int = 0
    metrics_port: int = 0
    process: subprocess.Popen | None = None
    notifications: list[str] = field(default_factory=list)
    _notify: socket.socket | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "manager.log"

    def start(self, ready_timeout: float = 30.0) -> "ManagerProcess":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port, self.metrics_port = free_port(), free_port()
        config = self.workdir / "manager.yaml"
        config.write_text(manager_yaml(self.pki, self.port, self.metrics_port, self.log_level) + self.extra_yaml)
        notify_path = self.workdir / "notify.sock"
        with contextlib.suppress(FileNotFoundError):
            notify_path.unlink()
        self._notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._notify.bind(str(notify_path))
        env = dict(os.environ, NOTIFY_SOCKET=str(notify_path))
        env.pop("WATCHDOG_USEC", None)
        env.pop("WATCHDOG_PID", None)
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [str(self.binary), "-c", str(config)], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
        )
        log.close()
        if not self.wait_for_notification("READY=1", ready_timeout):
            self.stop()
            raise RuntimeError(f"infra-manager sent no READY=1 within {ready_timeout}s; log:\n{self.log()}")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def wait_for_log(self, text: str, since: int, timeout: float = 5.0) -> str:
        """Waits until `text` appears in the log after byte offset `since`; returns that part."""
        deadline = time.monotonic() + timeout
        while True:
            with open(self.log_path, "rb") as log:
                log.seek(since)
                tail = log.read().decode(errors="replace")
            if text in tail or time.monotonic() > deadline:
                return tail
            time.sleep(0.05)

    def wait_for_notification(self, assignment: str, timeout: float) -> bool:
        """Reads sd_notify datagrams until one carries `assignment` (e.g. READY=1)."""
        assert self._notify is not None
        deadline = time.monotonic() + timeout
        while not any(assignment in n.split("\n") for n in self.notifications):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self.process is not None and self.process.poll() is not None and not self._pending():
                return False
            self._notify.settimeout(min(remaining, 0.2))
            try:
                self.notifications.append(self._notify.recv(4096).decode())
            except socket.timeout:
                continue
        return True

    def _pending(self) -> bool:
        assert self._notify is not None
        self._notify.setblocking(False)
        try:
            self.notifications.append(self._notify.recv(4096).decode())
            return True
        except BlockingIOError:
            return False

    def terminate(self, timeout: float = 10.0) -> tuple[int | None, float]:
        """Sends SIGTERM; returns (exit code or None if it did not exit, seconds taken)."""
        assert self.process is not None
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None, time.monotonic() - began
        return code, time.monotonic() - began

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            code, _ = self.terminate()
            if code is None:
                self.process.kill()
                self.process.wait(5)
        if self._notify is not None:
            self._notify.close()
            self._notify = None


def temp_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
