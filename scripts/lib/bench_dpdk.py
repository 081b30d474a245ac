#!/usr/bin/env python3
"""Driver of scripts/bench-dpdk (run it through that script, which builds and sets up).

Issue 5, section 4: the real P4-DPDK dataplane measured against a baseline in the same run.

Forwarding (bench_dpdk_net): two pod namespaces wired like the agent's veth pool.
1. kernel path: the root namespace routes between them and an nftables DNAT plays the
   Service (kube-proxy's way);
2. dpdk path: the same namespaces and links, the root ends now infra-p4-dpdk's af_packet
   ports, k8s_dp programmed over P4Runtime with the two routes and the Service (one slot
   member, its service_slots entry, one selector group, the service_select and service_lb
   entries).
For each path, pod-to-pod and pod-to-Service: packets/s with trafgen (netsniff-ng) sending
60-byte frames (64 with the FCS) and 1514-byte frames (1500-byte IP packets) from pod A,
counting what pod B's eth0 receives; and UDP round-trip latency with sockperf ping-pong
(64-byte messages), p50 and p99.

Programming (bench_dpdk_programming): the same P4Runtime workloads into infra-p4-dpdk and
into infra-p4-emulator, one after the other (the emulator is the baseline that shows what the
pipeline's commits cost), and the manager's own UpsertServices workload through
infra-manager + infra-programming-bench against both.

Prints the tables and writes them with the run's conditions (load average of each phase)
into docs/benchmarks.md, section "P4-DPDK forwarding and programming (issue 5)".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "interop"))
sys.path.insert(0, str(ROOT / "scripts" / "lib"))
import interop_support as support  # noqa: E402
import p4runtime_support as p4support  # noqa: E402
import bench_dpdk_net as net  # noqa: E402
import bench_dpdk_programming as prog  # noqa: E402
from bench_programming import (  # noqa: E402
    COMMITTED_P4INFO, PythonClient, command_output, dataplane_yaml, generate_p4runtime_stubs, machine, run_bench,
    wait_until_ready,
)
from bench_dpdk_report import render, write_docs  # noqa: E402

PROGRAM = ROOT / "k8s_dp" / "dpdk"


def log(message: str) -> None:
    print(f"bench-dpdk: {message}", file=sys.stderr, flush=True)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class DPDKTarget:
    """A release infra-p4-dpdk on the pods' root ends (PNA ports 0 and 1, pod direction)."""

    def __init__(self, binary: Path, work: Path, tag: str, ports: list[str], tls_dir: Path | None):
        self.binary, self.work, self.tag, self.ports, self.tls_dir = binary, work, tag, ports, tls_dir
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.prefix = f"{tag}-dpdk"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.work / "infra-p4-dpdk.log"

    def start(self) -> "DPDKTarget":
        self.work.mkdir(parents=True, exist_ok=True)
        self.port = support.free_port()
        ports = "\n".join(f"  - {{interface: {name}, direction: host}}" for name in self.ports)
        config = self.work / "infra-p4-dpdk.yaml"
        config.write_text(
            "deviceID: 1\n"
            f"listen: {self.address}\n"
            f"eal: {{arguments: [-l, \"0\", --no-huge, -m, \"1024\"], filePrefix: {self.prefix}}}\n"
            f"ports:\n{ports}\n"
            "pipeline:\n"
            f"  cacheDirectory: {self.work / 'pipeline-cache'}\n"
            f"  internalHeaderDirectory: {ROOT / '.cache' / 'dpdk' / 'include'}\n"
            f"  spec: {PROGRAM / 'k8s_dp.spec'}\n"
            f"  context: {PROGRAM / 'k8s_dp.context.json'}\n"
            "metrics: {enabled: false}\n"
            "log: {level: info, target: stderr}\n"
        )
        security = ["--tls-directory", str(self.tls_dir)] if self.tls_dir else ["--insecure"]
        with open(self.log_path, "wb") as out:
            self.process = subprocess.Popen([str(self.binary), "--config", str(config), *security],
                                            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while "P4Runtime target listening" not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"infra-p4-dpdk did not start; log:\n{self.log()}")
            time.sleep(0.1)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(f"/var/run/dpdk/{self.prefix}", ignore_errors=True)


def connect(address: str, pki: Path, info) -> PythonClient:
    client = PythonClient(address, 1, pki / "p4rt-client")
    client.arbitrate()
    client.set_pipeline(info)
    return client


# --------------------------------------------------------------------------------------
# Forwarding


def program_forwarding(client: PythonClient, ids: prog.Ids, pods: net.Pods) -> None:
    """Routes to both pods and the Service (VIP:80/UDP → pod B:7000) in k8s_dp."""
    pb = client.pb

    def address(text: str) -> int:
        return int.from_bytes(bytes(int(x) for x in text.split(".")), "big")

    def mac(text: str) -> bytes:
        return bytes.fromhex(text.replace(":", ""))

    gateway = mac(net.GATEWAY_MAC)
    insert = pb.Update.INSERT
    client.write([pb.Update(type=insert, entity=prog.route(pb, ids, address(pod.address), port, mac(pod.mac), gateway))
                  for port, pod in enumerate(pods.pods)])
    for update in prog.service_updates(pb, ids, 1, address(pods.service), net.SERVICE_PORT, 17,
                                       (address(pods.b.address), net.LATENCY_PORT)):
        client.write([update])


def measure_path(pods: net.Pods, args, work: Path) -> dict:
    """Both destinations, both frame sizes, and latency, on whatever path the pods use now."""
    out = {"load": load(), "pps": [], "latency": {}}
    for name, destination, port in (("pod", pods.b.address, net.SINK_PORT), ("service", pods.service, net.SERVICE_PORT)):
        for frame in (60, 1514):
            result = net.offered_and_delivered(pods, destination, port, frame, args.seconds, work)
            result["to"] = name
            out["pps"].append(result)
            log(f"{pods.mode} {name} {frame} B: sent {result['sentPps']:,.0f}/s, received {result['receivedPps']:,.0f}/s")
        latency_port = net.LATENCY_PORT if name == "pod" else net.SERVICE_PORT
        out["latency"][name] = net.sockperf_latency(pods, destination, latency_port, args.seconds)
        log(f"{pods.mode} {name} latency: p50 {out['latency'][name]['p50Micros']:.1f} µs, p99 {out['latency'][name]['p99Micros']:.1f} µs")
    out["loadAfter"] = load()
    return out


def forwarding(args, pods: net.Pods, pki: Path, info, ids: prog.Ids, work: Path) -> dict:
    pods.kernel_path()
    log("kernel path: root-namespace routing and nftables DNAT")
    kernel = measure_path(pods, args, work)
    pods.dpdk_path()
    target = DPDKTarget(args.bin / "infra-p4-dpdk", work / "dpdk-forwarding", pods.tag, [pods.a.root_end, pods.b.root_end], pki / "infrap4d").start()
    try:
        client = connect(target.address, pki, info)
        try:
            program_forwarding(client, ids, pods)
        finally:
            client.close()
        log("dpdk path: k8s_dp in infra-p4-dpdk")
        cpu0 = proc_cpu(target.process.pid)
        dpdk = measure_path(pods, args, work)
        dpdk["targetCPUSeconds"] = proc_cpu(target.process.pid) - cpu0
    finally:
        target.stop()
    return {"kernel": kernel, "dpdk": dpdk}


# --------------------------------------------------------------------------------------
# Programming


def programming_p4runtime(args, target_address: str, pki: Path, info, ids: prog.Ids) -> dict:
    out = {"loadBefore": load()}
    client = connect(target_address, pki, info)
    try:
        for per_write in (1, prog.UPDATES_PER_WRITE):
            out[f"acl{per_write}"] = prog.acl_rules(client, ids, args.acl_rules, per_write)
            log(f"  {args.acl_rules} ACL rules, {per_write} per Write: {out[f'acl{per_write}']['rulesPerSecond']:,.0f}/s")
        out["bulk"] = prog.bulk_services(client, ids, args.services, args.backends)
        log(f"  bulk: {out['bulk']['objects']:,} objects in {out['bulk']['seconds']:.2f} s ({out['bulk']['objectsPerSecond']:,.0f}/s)")
        out["changes"] = prog.service_changes(client, ids, args.services, args.backends, args.changes)
        log(f"  one change: p50 {out['changes']['p50Ms']:.2f} ms, p99 {out['changes']['p99Ms']:.2f} ms")
    finally:
        client.close()
    out["loadAfter"] = load()
    return out


def programming_intents(args, target_address: str, pki: Path, work: Path) -> dict:
    """The manager's UpsertServices workload; a failure is recorded, not raised."""
    out = {"loadBefore": load()}
    manager = support.ManagerProcess(args.bin / "infra-manager", work, pki, log_level="warning",
                                     extra_yaml=dataplane_yaml(target_address, pki, COMMITTED_P4INFO, work / "state"))
    manager.start()
    try:
        wait_until_ready(manager, pki, support.import_stubs(support.generate_stubs(work / "stubs")))
        bench = argparse.Namespace(services=args.intent_services, backends=args.intent_backends, batch=args.intent_batch,
                                   max_seconds=args.max_seconds)
        try:
            out["bulk"] = run_bench(args.bin / "infra-programming-bench", manager.address, pki / "agent-node-1", bench, changes=0)
            out["changes"] = run_bench(args.bin / "infra-programming-bench", manager.address, pki / "agent-node-1", bench, changes=args.changes)
        except SystemExit as failure:  # run_bench's way of saying the bench exited non-zero
            out["failure"] = " ".join(str(failure).split())[:600]
            log(f"  intents failed: {out['failure']}")
    finally:
        manager.terminate()
    out["loadAfter"] = load()
    return out


def programming(args, pods: net.Pods, pki: Path, info, ids: prog.Ids, work: Path) -> dict:
    def target(kind: str, phase: str):
        directory = work / f"{kind}-{phase}"
        if kind == "dpdk":
            return DPDKTarget(args.bin / "infra-p4-dpdk", directory, pods.tag, [pods.a.root_end, pods.b.root_end], pki / "infrap4d").start()
        return p4support.EmulatorProcess(args.bin / "infra-p4-emulator", directory, tls_dir=pki / "infrap4d").start()

    out = {}
    for kind in ("dpdk", "emulator"):
        running = target(kind, "p4rt")
        log(f"programming into {kind} over P4Runtime")
        try:
            cpu0 = proc_cpu(running.process.pid)
            out[kind] = programming_p4runtime(args, running.address, pki, info, ids)
            out[kind]["targetCPUSeconds"] = proc_cpu(running.process.pid) - cpu0
        finally:
            running.stop()
    for kind in ("dpdk", "emulator"):
        running = target(kind, "intents")
        log(f"intents into {kind} through infra-manager")
        try:
            out[f"{kind}Intents"] = programming_intents(args, running.address, pki, work / f"{kind}-manager")
        finally:
            running.stop()
    return out


def build_kind(binary: Path) -> str:
    """release or debug, from the SwiftPM directory the binary really lives in."""
    path = str(binary.resolve())
    kind = "release" if "/release/" in path else "debug" if "/debug/" in path else "?"
    return kind if path.startswith(str(ROOT) + "/") else f"{kind} ({path})"


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, type=Path, help="release bin directory")
    parser.add_argument("--seconds", type=float, default=5.0, help="per packets/s and latency measurement")
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--backends", type=int, default=10)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--acl-rules", type=int, default=500)
    parser.add_argument("--intent-services", type=int, default=10_000)
    parser.add_argument("--intent-backends", type=int, default=10)
    parser.add_argument("--intent-batch", type=int, default=500)
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="cap per infra-programming-bench run")
    parser.add_argument("--skip", choices=["forwarding", "programming"], action="append", default=[])
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench-dpdk: needs root (namespaces, veths, nftables, DPDK)")

    from google.protobuf import text_format

    tag = f"bdp{os.getpid()}"
    work = support.temp_dir("infra-bench-dpdk-")
    pods = net.Pods(tag, os.getpid() % 250)
    results = {"loadStart": load(), "started": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")}
    try:
        generate_p4runtime_stubs(work / "p4stubs")
        from p4.config.v1 import p4info_pb2

        info = p4info_pb2.P4Info()
        text_format.Parse(COMMITTED_P4INFO.read_text(), info)
        ids = prog.Ids(info)
        profile = work / "profile.yaml"
        profile.write_text(support.DEFAULT_PROFILE.read_text())
        pki = support.apply_pki(args.bin / "infra-pki", profile, work / "pki")
        pods.create()
        if "forwarding" not in args.skip:
            results["forwarding"] = forwarding(args, pods, pki, info, ids, work)
        if "programming" not in args.skip:
            pods.dpdk_path()
            results["programming"] = programming(args, pods, pki, info, ids, work)
    finally:
        pods.remove()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    results["loadEnd"] = load()
    results["commit"] = command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    results["dirty"] = bool(command_output(["git", "-C", str(ROOT), "status", "--porcelain", "--", "Sources", "Package.swift"]))
    results["machine"] = machine()
    results["toolchain"] = (command_output(["swift", "--version"]).splitlines() or ["?"])[0]
    results["tools"] = {name: command_output(["dpkg-query", "-W", "-f=${Version}", name]) for name in ("netsniff-ng", "sockperf", "libdpdk-dev")}
    results["builds"] = {name: build_kind(args.bin / name) for name in ("infra-p4-dpdk", "infra-p4-emulator", "infra-manager", "infra-programming-bench")}
    results["args"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    block = render(results)
    print(block)
    print(json.dumps(results, separators=(",", ":"), sort_keys=True), file=sys.stderr)
    if not args.no_docs:
        write_docs(args.docs, block)
        log(f"wrote {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
