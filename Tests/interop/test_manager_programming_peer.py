"""What infra-manager programs, read back by an independent P4Runtime client.

A real infra-manager (mTLS to the agent side) programs a real infra-p4-emulator; an agent-like
grpcio client sends a Sync; then the PyPI `p4runtime` package's client (p4rt_peer.py, its own
venv) reads the whole target and names every entry from the target's own P4Info. The expected
entries are written here from k8s_dp/README.md's table descriptions, not from the manager's code.
"""

from __future__ import annotations

import time

import grpc
import pytest
from infra.v1 import manager_pb2 as m
from infra.v1 import objects_pb2 as o
from infra.v1 import manager_pb2_grpc as mg

import interop_support as support
import p4runtime_support as p4

GATEWAY_MAC = "02:00:00:00:00:01"


@pytest.fixture()
def programmed(bins, workdir, pki, tmp_path):
    emulator = p4.EmulatorProcess(bins / "infra-p4-emulator", tmp_path / "emulator").start()
    dataplane = (
        "dataplane:\n"
        f"  target: {emulator.address}\n"
        "  insecure: true\n"
        f"  p4info: {p4.K8S_DP_P4INFO}\n"
        f"  stateDirectory: {tmp_path / 'state'}\n"
        "  ports: {pod0: 2, pod1: 3}\n"
        "  hostPort: 0\n"
        "  arpProxyPort: 1\n"
        f"  gatewayMAC: \"{GATEWAY_MAC}\"\n"
    )
    manager = support.ManagerProcess(bins / "infra-manager", tmp_path / "manager", pki, extra_yaml=dataplane).start()
    try:
        yield emulator, manager
    finally:
        manager.stop()
        emulator.stop()


def channel(manager, pki, identity: str) -> grpc.Channel:
    return grpc.secure_channel(manager.address, support.credentials(pki / identity))


def wait_until_ready(manager, pki) -> None:
    with channel(manager, pki, "operator-admin") as chan:
        stub = mg.InfraManagerStub(chan)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = stub.Status(m.StatusRequest(), timeout=10)
            if status.target.state == m.TargetStatus.STATE_READY:
                return
            time.sleep(0.1)
    raise AssertionError(f"the manager's target never became ready; log:\n{manager.log()}")


def table(dump: dict, short: str) -> list[dict]:
    [name] = [n for n in dump["tables"] if n.split(".")[-1] == short]
    return dump["tables"][name]


def profile(dump: dict, kind: str, short: str) -> list[dict]:
    [name] = [n for n in dump[kind] if n.split(".")[-1] == short]
    return dump[kind][name]


def test_an_independent_client_reads_what_the_manager_programmed(programmed, pki):
    emulator, manager = programmed
    wait_until_ready(manager, pki)
    sync = m.SyncRequest(
        node_name="node-1",
        host_interface=o.HostInterface(name="host0", mac_address="52:54:00:12:34:56", ip_addresses=["192.168.10.5/24"]),
        pods=[o.PodNetwork(key=o.PodInterfaceKey(container_id="c1", interface_name="eth0"), namespace="default",
                           pod_name="web-1", host_interface="pod1", mac_address="0a:58:0a:f4:01:07",
                           ip_addresses=["10.244.1.7/32"])],
        services=[o.Service(key=o.ServiceKey(namespace="default", name="web"), cluster_ips=["10.96.0.10"],
                            ports=[o.ServicePort(name="http", protocol=o.PROTOCOL_TCP, port=80, node_port=30080,
                                                 backends=[o.Backend(ip_address="10.244.1.7", port=8080)])])],
    )
    with channel(manager, pki, "agent-node-1") as chan:
        mg.InfraManagerStub(chan).Sync(sync, timeout=30)

    with p4.P4RuntimePeer() as peer:
        peer.connect(emulator.address, device_id=1)
        dump = peer.dump()

    assert dump["pipeline"] is True
    forward = table(dump, "ipv4_to_port")
    pod_entry = [e for e in forward if e["match"]["hdr.ipv4.dst_addr"] == {"exact": hex(0x0AF40107)}]
    assert len(pod_entry) == 1, forward
    assert pod_entry[0]["action"]["name"].split(".")[-1] == "to_pod"
    assert pod_entry[0]["action"]["params"] == {"port": "0x3", "pod_mac": hex(0x0A580AF40107), "gateway_mac": hex(0x020000000001)}
    node_entry = [e for e in forward if e["match"]["hdr.ipv4.dst_addr"] == {"exact": hex(0xC0A80A05)}]
    assert node_entry and node_entry[0]["action"]["name"].split(".")[-1] == "to_host", forward

    arp = {e["match"]["hdr.arp.tpa"]["exact"]: e["action"]["params"]["port"] for e in table(dump, "arp_to_port")}
    assert arp == {hex(0xA9FE0101): "0x1", hex(0x0AF40107): "0x3"}, "gateway → ARP proxy port, pod → its port"

    lb = table(dump, "service_lb")
    frontends = sorted((e["match"]["hdr.ipv4.dst_addr"]["exact"], e["match"]["meta.l4_dst_port"]["exact"]) for e in lb)
    assert frontends == sorted([(hex(0x0A60000A), hex(80)), (hex(0xC0A80A05), hex(30080))]), "cluster IP and node port"
    assert all(e["match"]["hdr.ipv4.protocol"] == {"exact": "0x6"} for e in lb)
    assert {e["action"]["name"].split(".")[-1] for e in lb} == {"to_service"}
    [index] = {e["action"]["params"]["service_index"] for e in lb}
    [select] = table(dump, "service_select")
    assert select["match"]["meta.service_index"] == {"exact": index}
    [group] = profile(dump, "action_profile_groups", "service_backends")
    assert select["group_id"] == group["group_id"]
    assert [g["member_id"] for g in group["members"]] == [1], "one backend: the group lists slot 0's member"
    members = {m["member_id"]: m for m in profile(dump, "action_profile_members", "service_backends")}
    assert members[1]["action"]["name"].split(".")[-1] == "pick_slot"
    assert members[1]["action"]["params"] == {"slot": "0x0"}
    [slot] = table(dump, "service_slots")
    assert slot["match"] == {"meta.service_index": {"exact": index}, "meta.lb_slot": {"exact": "0x0"}}
    assert slot["action"]["name"].split(".")[-1] == "dnat_to_backend"
    assert slot["action"]["params"] == {"backend_ip": hex(0x0AF40107), "backend_port": hex(8080)}
