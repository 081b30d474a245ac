#!/usr/bin/env python3
"""Driver of scripts/bench-cni (run it through that script, which builds and sets up).

Issue 4, section 6: CNI ADD latency, from exec of the plugin to its exit with the pod ready
(the agent answers Add only after the manager acknowledged the pod), for --pods pods in the
veth pool mode, against an emulated P4 target; and, in the same run, the same ADDs through
Debian's `ptp` CNI plugin with the same host-local IPAM as the baseline.

1. A PKI (infra-pki) in a temporary directory; infra-p4-emulator (mTLS), infra-manager with a
   `dataplane:` section pointing at it (mTLS), waited for until its target is READY;
   infra-agent with mTLS to the manager, the CNI backend on a unix socket and a veth pool of
   --pods pairs created here (every pool end mapped to a P4 port in the manager's config).
2. infra-cni: --pods network namespaces; for each, one `CNI_COMMAND=ADD infra-cni` exec with
   host-local IPAM, timed from just before the fork to the exit (status 0 required). Then
   every pod is DELeted (timed as well, reported apart).
3. Baseline: the same --pods ADDs (and DELs) through /usr/lib/cni/ptp with host-local, run
   with this driver inside a "host" namespace of its own so ptp's host-side routes and veths
   never touch the root namespace.
4. p50/p90/p99/max (exact, from the sorted samples) of both, the ratio, printed and written
   with the run's conditions as the section "CNI ADD latency (issue 4)" at the end of
   docs/benchmarks.md (replaced between its markers on a rerun).
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "interop"))
sys.path.insert(0, str(ROOT / "scripts" / "lib"))
import interop_support as support  # noqa: E402
import p4runtime_support as p4support  # noqa: E402
from bench_programming import COMMITTED_P4INFO, machine, wait_until_ready  # noqa: E402

BEGIN = "<!-- bench-cni:results:begin -->"
END = "<!-- bench-cni:results:end -->"
SECTION = "## CNI ADD latency (issue 4)"
GATEWAY_MAC = "02:00:00:00:00:01"
PTP = Path("/usr/lib/cni/ptp")
HOST_LOCAL = Path("/usr/lib/cni/host-local")
GOAL_P99_MS = 10.0
CLONE_NEWNET = 0x40000000


def log(message: str) -> None:
    print(f"bench-cni: {message}", file=sys.stderr, flush=True)


def sh(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


def percentiles(samples: list[float]) -> dict:
    """Exact nearest-rank percentiles in milliseconds."""
    ordered = sorted(samples)

    def rank(p: float) -> float:
        return ordered[max(0, min(len(ordered) - 1, int(-(-p * len(ordered) // 100)) - 1))] * 1000

    return {"n": len(ordered), "p50": rank(50), "p90": rank(90), "p99": rank(99), "max": ordered[-1] * 1000,
            "mean": statistics.fmean(ordered) * 1000}


def exec_plugin(plugin: Path, command: str, netns: str, container: str, cni_path: str, config: str) -> float:
    """One plugin exec; returns its wall time from before the fork to the exit."""
    env = {"CNI_COMMAND": command, "CNI_CONTAINERID": container, "CNI_NETNS": netns, "CNI_IFNAME": "eth0",
           "CNI_PATH": cni_path, "CNI_ARGS": f"IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME={container}",
           "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    began = time.perf_counter()
    result = subprocess.run([str(plugin)], input=config.encode(), env=env, capture_output=True)
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(f"bench-cni: {plugin.name} {command} for {container} failed ({result.returncode}): "
                         f"{result.stdout.decode(errors='replace')}{result.stderr.decode(errors='replace')}")
    return elapsed


def run_plugin(plugin: Path, pods: list[str], cni_path: str, config: str) -> tuple[list[float], list[float]]:
    adds = [exec_plugin(plugin, "ADD", f"/var/run/netns/{ns}", ns, cni_path, config) for ns in pods]
    dels = [exec_plugin(plugin, "DEL", f"/var/run/netns/{ns}", ns, cni_path, config) for ns in pods]
    return adds, dels


def setns(path: str) -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    with open(path) as handle:
        if libc.setns(handle.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {path}")


def render(r: dict) -> str:
    ours, base = r["infra_cni"]["add"], r["ptp"]["add"]
    rows = [
        f"Run {r['date']} on {r['machine']}; load average before the run {r['load']}. Release binaries "
        f"(infra-cni, infra-agent, infra-manager, infra-p4-emulator), all on this machine's cores, which other work "
        f"shares. {r['pods']} pods one after another, each ADD a fresh exec of the plugin with host-local IPAM; the "
        "time runs from just before the fork to the plugin's exit. infra-cni's ADD returns only after the agent "
        "moved the pool veth into the pod, set MAC/MTU/addresses/routes/gateway neighbour and the manager "
        "acknowledged the pod (CreatePodNetwork, mTLS 1.3; the manager programs infra-p4-emulator, mTLS 1.3). "
        "Baseline: Debian's ptp plugin 1.1.1 (creates a veth pair, addresses both ends, host routes) with the same "
        "host-local, run in a host namespace of its own.",
        "",
        "| Plugin | ADDs | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | mean (ms) | DEL p50 (ms) | DEL p99 (ms) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, key in (("infra-cni → infra-agent → infra-manager → emulator", "infra_cni"), ("ptp + host-local (baseline)", "ptp")):
        add, delete = r[key]["add"], r[key]["del"]
        rows.append(f"| {name} | {add['n']} | {add['p50']:.2f} | {add['p90']:.2f} | {add['p99']:.2f} | {add['max']:.2f} | "
                    f"{add['mean']:.2f} | {delete['p50']:.2f} | {delete['p99']:.2f} |")
    rows.append(f"| **infra-cni / ptp** | | **{ours['p50'] / base['p50']:.2f}×** | | **{ours['p99'] / base['p99']:.2f}×** | | | | |")
    verdict = "met" if ours["p99"] < GOAL_P99_MS else "**not met**"
    rows += ["", "| Goal (issue 4) | Measured | |", "| --- | ---: | --- |",
             f"| ADD p99 < {GOAL_P99_MS:.0f} ms (200 pods, veth, emulated target) | {ours['p99']:.2f} ms | {verdict} |",
             "", "Raw:", "", "```", json.dumps(r, sort_keys=True), "```"]
    return "\n".join(rows)


def write_docs(path: Path, block: str) -> None:
    """Replaces the block between the markers, or appends the section at the end."""
    text = path.read_text()
    start, end = text.find(BEGIN), text.find(END)
    if 0 <= start < end:
        path.write_text(text[: start + len(BEGIN)] + "\n" + block + "\n" + text[end:])
        return
    section = (f"\n{SECTION}\n\nMeasured by `scripts/bench-cni` (a manual benchmark, not a test). What it does: "
               "see `scripts/lib/bench_cni.py`.\n\n" + BEGIN + "\n" + block + "\n" + END + "\n")
    path.write_text(text.rstrip("\n") + "\n" + section)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, type=Path, help="release bin directory")
    parser.add_argument("--pods", type=int, default=200)
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--pki-tool", type=Path, help="another infra-pki to make the PKI with")
    args = parser.parse_args()
    args.bin = args.bin.resolve()
    if os.geteuid() != 0:
        raise SystemExit("bench-cni: run as root (namespaces, veth pairs)")
    for tool in (PTP, HOST_LOCAL):
        if not tool.is_file():
            raise SystemExit(f"bench-cni: {tool} is missing (apt-get install containernetworking-plugins)")

    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    work = support.temp_dir("infra-bench-cni-")
    tag = secrets.token_hex(2)
    pool = [f"bc{tag}p{i}" for i in range(args.pods)]
    pods = [f"bc{tag}-pod{i}" for i in range(args.pods)]
    base_pods = [f"bc{tag}-base{i}" for i in range(args.pods)]
    host_ns = f"bc{tag}-host"
    processes = []
    created_links, created_ns = [], []
    agent = None
    try:
        stubs = support.import_stubs(support.generate_stubs(work / "stubs"))
        pki_tool = args.pki_tool or args.bin / "infra-pki"
        if not pki_tool.is_file():
            pki_tool = ROOT / ".build" / "debug" / "infra-pki"
        pki = support.apply_pki(pki_tool, support.DEFAULT_PROFILE, work / "pki")

        for i, name in enumerate(pool):
            sh("ip", "link", "add", name, "type", "veth", "peer", "name", f"bc{tag}q{i}")
            created_links.append(name)
            sh("ip", "link", "set", f"bc{tag}q{i}", "up")
        for name in pods + base_pods + [host_ns]:
            sh("ip", "netns", "add", name)
            created_ns.append(name)

        emulator = p4support.EmulatorProcess(args.bin / "infra-p4-emulator", work / "emulator", tls_dir=pki / "infrap4d")
        processes.append(emulator.start())
        client = pki / "p4rt-client"
        ports = ", ".join(f"{name}: {i + 2}" for i, name in enumerate(pool))
        dataplane = (
            f"dataplane:\n  target: {emulator.address}\n"
            f"  tls:\n    caFile: {client / 'ca.crt'}\n    certificateFile: {client / 'tls.crt'}\n    keyFile: {client / 'tls.key'}\n"
            f"  p4info: {COMMITTED_P4INFO}\n  stateDirectory: {work / 'manager-state'}\n"
            f"  ports: {{{ports}}}\n  gatewayMAC: \"{GATEWAY_MAC}\"\n"
        )
        manager = support.ManagerProcess(args.bin / "infra-manager", work / "manager", pki, log_level="warning", extra_yaml=dataplane)
        processes.append(manager.start())
        wait_until_ready(manager, pki, stubs)

        agent_dir = work / "agent"
        agent_dir.mkdir()
        identity = pki / "agent-node-1"
        socket = agent_dir / "cni.sock"
        (agent_dir / "agent.yaml").write_text(
            f"nodeName: node-1\nmanager:\n  address: {manager.address}\n"
            f"tls:\n  caFile: {identity / 'ca.crt'}\n  certificateFile: {identity / 'tls.crt'}\n  keyFile: {identity / 'tls.key'}\n"
            "metrics:\n  enabled: false\nlog:\n  target: stderr\n  level: warning\n"
            f"cni:\n  listen: unix:{socket}\n  gatewayMAC: \"{GATEWAY_MAC}\"\n  podStateFile: {agent_dir / 'pods.json'}\n"
            f"interfacePool:\n  mode: veth\n  prefix: bc{tag}p\n  stateFile: {agent_dir / 'pool.json'}\n"
        )
        with open(agent_dir / "agent.log", "wb") as agent_log:
            agent = subprocess.Popen([str(args.bin / "infra-agent"), "-c", str(agent_dir / "agent.yaml")],
                                     stdin=subprocess.DEVNULL, stdout=agent_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not socket.exists():
            if agent.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench-cni: infra-agent did not serve; log:\n{(agent_dir / 'agent.log').read_text()}")
            time.sleep(0.05)
        time.sleep(1)  # the first Sync with the manager

        cni_bin = work / "cni-bin"
        cni_bin.mkdir()
        (cni_bin / "infra-cni").symlink_to(args.bin / "infra-cni")
        (cni_bin / "host-local").symlink_to(HOST_LOCAL)
        ours_config = json.dumps({"cniVersion": "1.0.0", "name": "bench-infra", "type": "infra-cni", "agentSocket": str(socket),
                                  "ipam": {"type": "host-local", "dataDir": str(work / "ipam"),
                                           "ranges": [[{"subnet": "10.240.0.0/16", "gateway": "10.240.0.1"}]]}})
        log(f"infra-cni: {args.pods} ADDs, then DELs")
        ours_add, ours_del = run_plugin(cni_bin / "infra-cni", pods, str(cni_bin), ours_config)

        base_config = json.dumps({"cniVersion": "1.0.0", "name": "bench-ptp", "type": "ptp", "ipMasq": False,
                                  "ipam": {"type": "host-local", "dataDir": str(work / "ipam"),
                                           "ranges": [[{"subnet": "10.241.0.0/16", "gateway": "10.241.0.1"}]]}})
        log(f"ptp baseline: {args.pods} ADDs, then DELs (in {host_ns})")
        home = os.open("/proc/self/ns/net", os.O_RDONLY)
        setns(f"/var/run/netns/{host_ns}")
        try:
            base_add, base_del = run_plugin(PTP, base_pods, "/usr/lib/cni", base_config)
        finally:
            ctypes.CDLL("libc.so.6").setns(home, CLONE_NEWNET)
            os.close(home)

        agent.terminate()
        agent.wait(10)
        result = {
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(), "load": load,
            "pods": args.pods,
            "infra_cni": {"add": percentiles(ours_add), "del": percentiles(ours_del)},
            "ptp": {"add": percentiles(base_add), "del": percentiles(base_del)},
        }
        block = render(result)
        print(block)
        if not args.no_docs:
            write_docs(args.docs, block)
            log(f"wrote the results into {args.docs}")
        return 0
    finally:
        if agent is not None and agent.poll() is None:
            agent.kill()
            agent.wait(5)
        for process in reversed(processes):
            process.stop()
        for name in created_ns:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        for name in created_links:
            subprocess.run(["ip", "link", "del", name], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
