"""Calico's CNI dataplane API, called by an independent client.

The client is generated here with grpcio-tools from the project's protos/cni/cni_dataplane.proto
(into a temporary directory, never committed) and calls cni.CniDataplane Add and Del on a real
infra-agent's unix socket the way Calico's CNI plugin does with
`dataplane_options: {type: grpc, socket: ...}`: after IPAM, with the addresses, routes, workload
ids and the dataplane options (AddRequest field 8). The agent runs with mTLS to its own real
infra-manager and a veth interface pool that this module creates; what it plumbs is read back
from the kernel with iproute2, what the manager holds through its Status RPC. Needs root.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from health.v1 import health_pb2, health_pb2_grpc
from infra.v1 import manager_pb2 as m
from infra.v1 import manager_pb2_grpc as mg

import interop_support as support

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creates network namespaces and veth pairs: run as root")

GATEWAY_MAC = "02:aa:bb:cc:dd:02"
TIMEOUT = 10


@pytest.fixture(scope="module")
def cni(workdir):
    """The cni package's stubs, generated from the project's proto at run time."""
    from grpc_tools import protoc

    dest = workdir / "cni-stubs"
    dest.mkdir(exist_ok=True)
    bundled = Path(protoc.__file__).parent / "_proto"
    status = protoc.main([
        "protoc", f"-I{support.PROTO_ROOT}", f"-I{bundled}", f"--python_out={dest}", f"--grpc_python_out={dest}",
        str(support.PROTO_ROOT / "cni" / "cni_dataplane.proto"),
    ])
    assert status == 0, "grpc_tools.protoc failed on protos/cni/cni_dataplane.proto"
    sys.path.insert(0, str(dest))
    from cni import cni_dataplane_pb2, cni_dataplane_pb2_grpc

    return cni_dataplane_pb2, cni_dataplane_pb2_grpc


def ip_json(*args: str, netns: str | None = None) -> list:
    command = ["ip"] + (["-n", netns] if netns else []) + ["-j", *args]
    text = support.run(command).stdout.strip()
    return json.loads(text) if text else []


class AgentProcess:
    """infra-agent with the CNI backend on a unix socket, mTLS to the given manager."""

    def __init__(self, binary: Path, workdir: Path, pki: Path, manager: support.ManagerProcess, pool_prefix: str):
        self.workdir = workdir
        self.socket = workdir / "cni.sock"
        identity = pki / "agent-node-1"
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "agent.yaml"
        config.write_text(
            "nodeName: node-1\n"
            f"manager:\n  address: {manager.address}\n"
            f"tls:\n  caFile: {identity / 'ca.crt'}\n  certificateFile: {identity / 'tls.crt'}\n  keyFile: {identity / 'tls.key'}\n"
            "metrics:\n  enabled: false\n"
            "log:\n  target: stderr\n  level: info\n"
            f"cni:\n  listen: unix:{self.socket}\n  gatewayMAC: \"{GATEWAY_MAC}\"\n  podStateFile: {workdir / 'pods.json'}\n"
            f"interfacePool:\n  mode: veth\n  prefix: {pool_prefix}\n  stateFile: {workdir / 'pool.json'}\n"
        )
        self.log_path = workdir / "agent.log"
        with open(self.log_path, "wb") as log:
            env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
            self.process = subprocess.Popen(
                [str(binary), "-c", str(config)], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        self.channel = grpc.insecure_channel(f"unix:{self.socket}")
        self._wait_serving(30)

    def _wait_serving(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        stub = health_pb2_grpc.HealthStub(self.channel)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self.socket.exists():
                try:
                    reply = stub.Check(health_pb2.HealthCheckRequest(service="cni.CniDataplane"), timeout=2)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"infra-agent's CNI socket never served; log:\n{self.log_path.read_text(errors='replace')}")

    def stop(self) -> None:
        self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture(scope="module")
def plant(bins, workdir, pki):
    """A manager, two veth pool pairs, and the agent serving the CNI API over them."""
    tag = secrets.token_hex(3)
    prefix = f"ip{tag}p"
    pairs = [(f"{prefix}{n}", f"ip{tag}q{n}") for n in range(2)]
    for pool_end, port_end in pairs:
        support.run(["ip", "link", "add", pool_end, "type", "veth", "peer", "name", port_end])
        support.run(["ip", "link", "set", port_end, "up"])
    manager = support.ManagerProcess(bins / "infra-manager", workdir / "cni-manager", pki).start()
    agent = None
    try:
        agent = AgentProcess(bins / "infra-agent", workdir / "cni-agent", pki, manager, prefix)
        yield manager, agent, [pool for pool, _ in pairs]
    finally:
        if agent is not None:
            agent.stop()
        manager.stop()
        for pool_end, _ in pairs:
            subprocess.run(["ip", "link", "del", pool_end], capture_output=True)


@pytest.fixture()
def netns():
    names = []

    def make() -> str:
        name = f"ipcni-{secrets.token_hex(4)}"
        support.run(["ip", "netns", "add", name])
        names.append(name)
        return name

    yield make
    for name in names:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def manager_pods(manager, pki) -> int:
    with grpc.secure_channel(manager.address, support.credentials(pki / "operator-admin")) as channel:
        return mg.InfraManagerStub(channel).Status(m.StatusRequest(), timeout=TIMEOUT).desired.pods


def calico_add_request(pb, netns_path: str, socket: Path, address: str = "10.253.0.7/32", container_id: str = "c0ffee01"):
    """What Calico's plugin sends after calico-ipam: /32 addresses, the pod's routes, the
    workload identity and the dataplane section of the CNI config as a string map."""
    return pb.AddRequest(
        interface_name="eth0",
        netns=netns_path,
        desired_host_interface_name="cali1234567890a",
        settings=pb.ContainerSettings(allow_ip_forwarding=False, mtu=1440),
        container_ips=[pb.IPConfig(address=address, gateway="")],
        container_routes=["0.0.0.0/0", "10.96.0.0/12"],
        workload=pb.WorkloadIDs(
            name="web-7f9c", namespace="shop", labels={"app": "web"}, annotations={}, endpoint="eth0",
            node="node-1", orchestrator="k8s", pod="web-7f9c",
            ports=[pb.Port(name="http", protocol="TCP", port=8080)],
        ),
        dataplane_options={"type": "grpc", "socket": f"unix://{socket}", "container_id": container_id},
    )


def pool_ends_at_home(pool: list[str]) -> set[str]:
    return {link["ifname"] for link in ip_json("link", "show")} & set(pool)


def test_add_and_del_like_calicos_plugin(cni, plant, netns, pki):
    pb, pb_grpc = cni
    manager, agent, pool = plant
    ns = netns()
    path = f"/var/run/netns/{ns}"
    stub = pb_grpc.CniDataplaneStub(agent.channel)

    reply = stub.Add(calico_add_request(pb, path, agent.socket), timeout=TIMEOUT)
    assert reply.successful, reply.error_message
    assert reply.host_interface_name in pool
    assert reply.host_interface_name not in pool_ends_at_home(pool), "the pool end moved into the pod"

    link = ip_json("addr", "show", "dev", "eth0", netns=ns)[0]
    assert link["address"] == reply.container_mac
    assert link["mtu"] == 1440
    assert {(a["local"], a["prefixlen"]) for a in link["addr_info"] if a["family"] == "inet"} == {("10.253.0.7", 32)}
    default = ip_json("route", "show", "default", netns=ns)[0]
    assert (default["gateway"], default["dev"]) == ("169.254.1.1", "eth0")
    assert "onlink" in default.get("flags", [])
    assert ip_json("route", "show", "10.96.0.0/12", netns=ns)[0]["gateway"] == "169.254.1.1"
    neighbour = ip_json("neigh", "show", "169.254.1.1", "dev", "eth0", netns=ns)[0]
    assert (neighbour["lladdr"], neighbour["state"]) == (GATEWAY_MAC, ["PERMANENT"])
    assert manager_pods(manager, pki) == 1, "Add returned only after the manager held the pod"
    # dataplane_options (field 8) arrived: its container_id keys the agent's pod record.
    assert "c0ffee01" in (agent.workdir / "pods.json").read_text()

    deleted = stub.Del(pb.DelRequest(interface_name="eth0", netns=path,
                                      dataplane_options={"type": "grpc", "container_id": "c0ffee01"}), timeout=TIMEOUT)
    assert deleted.successful, deleted.error_message
    assert [link["ifname"] for link in ip_json("link", "show", netns=ns)] == ["lo"]
    assert pool_ends_at_home(pool) == set(pool)
    assert manager_pods(manager, pki) == 0

    again = stub.Del(pb.DelRequest(interface_name="eth0", netns=path,
                                    dataplane_options={"type": "grpc", "container_id": "c0ffee01"}), timeout=TIMEOUT)
    assert again.successful, f"Del twice: {again.error_message}"
    gone = stub.Del(pb.DelRequest(interface_name="eth0", netns="/var/run/netns/ipcni-never-existed"), timeout=TIMEOUT)
    assert gone.successful, f"Del of a vanished netns: {gone.error_message}"


@pytest.mark.parametrize(
    "field, change, expected",
    [
        ("container_ips", lambda r: r.container_ips[0].__setattr__("address", "10.253.0.300/32"),
         'container_ips[0].address "10.253.0.300/32"'),
        ("container_routes", lambda r: r.container_routes.append("not-a-cidr"), 'container_routes[2] "not-a-cidr"'),
        ("interface_name", lambda r: r.__setattr__("interface_name", ""), "interface_name"),
        ("settings.mtu", lambda r: r.settings.__setattr__("mtu", 20), "settings.mtu 20"),
        ("netns", lambda r: r.__setattr__("netns", "/var/run/netns/ipcni-does-not-exist"),
         'netns "/var/run/netns/ipcni-does-not-exist" does not exist'),
    ],
)
def test_a_bad_request_is_refused_naming_the_field_and_nothing_is_held(cni, plant, netns, pki, field, change, expected):
    pb, pb_grpc = cni
    manager, agent, pool = plant
    ns = netns()
    request = calico_add_request(pb, f"/var/run/netns/{ns}", agent.socket, container_id=f"bad-{field}")
    change(request)
    reply = pb_grpc.CniDataplaneStub(agent.channel).Add(request, timeout=TIMEOUT)
    assert not reply.successful
    assert expected in reply.error_message, reply.error_message
    assert [link["ifname"] for link in ip_json("link", "show", netns=ns)] == ["lo"]
    assert pool_ends_at_home(pool) == set(pool)
    assert manager_pods(manager, pki) == 0


def test_an_unknown_method_is_unimplemented(cni, plant):
    _, agent, _ = plant
    call = agent.channel.unary_unary("/cni.CniDataplane/Frobnicate", request_serializer=lambda _: b"",
                                     response_deserializer=lambda data: data)
    with pytest.raises(grpc.RpcError) as raised:
        call(None, timeout=TIMEOUT)
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_with_the_manager_down_add_is_unavailable_and_undone(cni, plant, netns, pki):
    """Runs last in this module: it stops the module's manager."""
    pb, pb_grpc = cni
    manager, agent, pool = plant
    ns = netns()
    manager.stop()
    with pytest.raises(grpc.RpcError) as raised:
        pb_grpc.CniDataplaneStub(agent.channel).Add(calico_add_request(pb, f"/var/run/netns/{ns}", agent.socket), timeout=TIMEOUT)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE, raised.value
    assert "infra-manager" in raised.value.details()
    assert [link["ifname"] for link in ip_json("link", "show", netns=ns)] == ["lo"]
    assert pool_ends_at_home(pool) == set(pool)
    assert json.loads((agent.workdir / "pool.json").read_text())["allocations"] == []
