"""Links, namespaces and traffic tools of scripts/bench-dpdk (see bench_dpdk.py).

Two pod namespaces, each with an `eth0` whose peer stays in the root namespace, wired the way
the agent's veth pool mode wires pods (a /32 address, the 169.254.1.1 gateway with a permanent
neighbour entry). The same namespaces and links carry both paths in turn:

- kernel: the root ends route (per-interface IPv4 forwarding, /32 routes, permanent
  neighbours) and an nftables DNAT rule plays the Service, as kube-proxy would;
- dpdk: the root ends have no routes and no forwarding, and are infra-p4-dpdk's af_packet
  ports; k8s_dp's tables route and DNAT.

Every name carries the run's tag and everything made is removed by `Pods.remove`.
"""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

GATEWAY_MAC = "ee:ee:ee:ee:ee:ee"  # the root ends' MAC on the kernel path (Calico's habit)
SINK_PORT = 9  # discard: nothing listens, the receiver only counts frames
LATENCY_PORT = 7000  # sockperf's server in pod B
SERVICE_PORT = 80  # the Service's port, DNATed to pod B's LATENCY_PORT (or SINK_PORT)


def sh(*command: str, check: bool = True) -> str:
    result = subprocess.run(command, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


@dataclass
class Pod:
    namespace: str
    root_end: str
    address: str
    mac: str

    def run(self, *command: str, check: bool = True) -> str:
        return sh("ip", "netns", "exec", self.namespace, *command, check=check)

    def counter(self, name: str) -> int:
        return int(self.run("cat", f"/sys/class/net/eth0/statistics/{name}").strip())


class Pods:
    """Pod A (the client/sender) and pod B (the server/receiver)."""

    def __init__(self, tag: str, subnet: int):
        self.tag = tag
        self.a = Pod(f"{tag}a", f"{tag}a", f"198.18.{subnet}.1", "02:bd:00:00:00:01")
        self.b = Pod(f"{tag}b", f"{tag}b", f"198.18.{subnet}.2", "02:bd:00:00:00:02")
        self.service = f"198.19.{subnet}.10"  # RFC 2544 benchmarking range: no clash with the lab
        self.nft_table = f"{tag}"
        self.mode = ""

    @property
    def pods(self) -> tuple[Pod, Pod]:
        return self.a, self.b

    def create(self) -> None:
        for pod in self.pods:
            sh("ip", "netns", "add", pod.namespace)
            sh("ip", "link", "add", pod.root_end, "type", "veth", "peer", "name", "eth0", "netns", pod.namespace)
            sh("sysctl", "-qw", f"net.ipv6.conf.{pod.root_end}.disable_ipv6=1")
            sh("ip", "link", "set", pod.root_end, "up")
            pod.run("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            pod.run("ip", "link", "set", "lo", "up")
            pod.run("ip", "link", "set", "eth0", "address", pod.mac, "up")
            pod.run("ip", "addr", "add", f"{pod.address}/32", "dev", "eth0")
            pod.run("ip", "route", "add", "169.254.1.1", "dev", "eth0", "scope", "link")
            pod.run("ip", "route", "add", "default", "via", "169.254.1.1", "dev", "eth0")
            pod.run("ip", "neigh", "add", "169.254.1.1", "lladdr", GATEWAY_MAC, "dev", "eth0", "nud", "permanent")
            # veth leaves UDP/TCP checksums to "hardware"; af_packet would forward them
            # unfinished (docs/demo.md). Both paths run with the same setting.
            pod.run("ethtool", "-K", "eth0", "tx", "off")

    def kernel_path(self) -> None:
        """Root-namespace routing between the pods and an nftables DNAT for the Service."""
        for pod in self.pods:
            sh("ip", "link", "set", pod.root_end, "address", GATEWAY_MAC)
            sh("sysctl", "-qw", f"net.ipv4.conf.{pod.root_end}.forwarding=1")
            sh("ip", "route", "add", f"{pod.address}/32", "dev", pod.root_end)
            sh("ip", "neigh", "replace", pod.address, "lladdr", pod.mac, "dev", pod.root_end, "nud", "permanent")
        rules = (
            f"table ip {self.nft_table} {{\n"
            "  chain prerouting {\n"
            "    type nat hook prerouting priority dstnat; policy accept;\n"
            f"    ip daddr {self.service} udp dport {SERVICE_PORT} dnat to {self.b.address}:{LATENCY_PORT}\n"
            "  }\n"
            "}\n"
        )
        subprocess.run(["nft", "-f", "-"], input=rules, text=True, check=True)
        self.mode = "kernel"

    def dpdk_path(self) -> None:
        """Undoes `kernel_path`: the root ends only carry frames to and from DPDK. Their MAC
        differs from the pods' gateway MAC, so the root stack drops what it sees early."""
        self._undo_kernel_path()
        for index, pod in enumerate(self.pods):
            sh("ip", "link", "set", pod.root_end, "address", f"02:bd:ff:00:00:0{index}")
        self.mode = "dpdk"

    def _undo_kernel_path(self) -> None:
        sh("nft", "delete", "table", "ip", self.nft_table, check=False)
        for pod in self.pods:
            sh("ip", "route", "del", f"{pod.address}/32", "dev", pod.root_end, check=False)
            sh("ip", "neigh", "del", pod.address, "dev", pod.root_end, check=False)
            sh("sysctl", "-qw", f"net.ipv4.conf.{pod.root_end}.forwarding=0", check=False)

    def remove(self) -> None:
        self._undo_kernel_path()
        for pod in self.pods:
            sh("ip", "netns", "delete", pod.namespace, check=False)
            sh("ip", "link", "delete", pod.root_end, check=False)


# --------------------------------------------------------------------------------------
# Traffic


def trafgen_config(pods: Pods, destination: str, port: int, frame: int) -> str:
    """One UDP frame of `frame` bytes (without the 4-byte FCS) from pod A to `destination`;
    trafgen fills in the IPv4 and UDP checksums."""
    payload = frame - 14 - 20 - 8
    if payload < 0:
        raise ValueError(f"frame {frame} is shorter than Ethernet+IPv4+UDP headers")
    return (
        "{\n"
        f"  eth(da={GATEWAY_MAC}, sa={pods.a.mac}, type=0x0800),\n"
        f"  ipv4(saddr={pods.a.address}, daddr={destination}, ttl=64, df),\n"
        f"  udp(sp=4000, dp={port}),\n"
        f"  fill(0x5a, {payload})\n"
        "}\n"
    )


def offered_and_delivered(pods: Pods, destination: str, port: int, frame: int, seconds: float, work: Path) -> dict:
    """trafgen in pod A sends as fast as it can for `seconds` (one process); pod B's eth0
    counts what arrives. Returns packets per second sent and received."""
    config = work / f"trafgen-{frame}.cfg"
    config.write_text(trafgen_config(pods, destination, port, frame))
    tx0, rx0 = pods.a.counter("tx_packets"), pods.b.counter("rx_packets")
    began = time.monotonic()
    subprocess.run(["ip", "netns", "exec", pods.a.namespace, "timeout", "-s", "INT", str(seconds),
                    "trafgen", "--dev", "eth0", "--conf", str(config), "--cpus", "1", "--no-cpu-stats"],
                   capture_output=True, text=True)
    elapsed = time.monotonic() - began
    time.sleep(0.3)  # frames still in the pipeline's or the kernel's queues
    sent, received = pods.a.counter("tx_packets") - tx0, pods.b.counter("rx_packets") - rx0
    return {"frame": frame, "seconds": elapsed, "sent": sent, "received": received,
            "sentPps": sent / elapsed, "receivedPps": received / elapsed}


def sockperf_latency(pods: Pods, destination: str, port: int, seconds: float, message: int = 64) -> dict:
    """UDP ping-pong from pod A to sockperf's server in pod B (through `destination`:`port`):
    one message in flight, round-trip times (`--full-rtt`) in microseconds."""
    server = subprocess.Popen(["ip", "netns", "exec", pods.b.namespace, "sockperf", "server", "-i", pods.b.address,
                               "-p", str(LATENCY_PORT)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        out = subprocess.run(["ip", "netns", "exec", pods.a.namespace, "sockperf", "ping-pong", "-i", destination,
                              "-p", str(port), "-t", str(int(seconds)), "-m", str(message), "--full-rtt"],
                             capture_output=True, text=True, timeout=seconds + 30).stdout
    finally:
        server.terminate()
        server.wait(5)
    percentiles = {float(p): float(v) for p, v in re.findall(r"percentile\s+([\d.]+)\s+=\s+([\d.]+)", out)}
    mean = re.search(r"Summary: Round trip is ([\d.]+) usec", out)
    count = re.search(r"Total (\d+) observations", out)
    dropped = re.search(r"# dropped messages = (\d+)", out)
    if 50.0 not in percentiles or 99.0 not in percentiles:
        raise RuntimeError(f"sockperf gave no percentiles:\n{out}")
    return {"p50Micros": percentiles[50.0], "p99Micros": percentiles[99.0], "meanMicros": float(mean.group(1)) if mean else None,
            "observations": int(count.group(1)) if count else None, "dropped": int(dropped.group(1)) if dropped else None,
            "messageBytes": message}
