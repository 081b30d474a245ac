"""The tables and the docs/benchmarks.md block of scripts/bench-dpdk (see bench_dpdk.py)."""

from __future__ import annotations

from pathlib import Path

from bench_programming import replace_marked_block

BEGIN = "<!-- bench-dpdk:results:begin -->"
END = "<!-- bench-dpdk:results:end -->"


def fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "–"


def forwarding_tables(f: dict) -> list[str]:
    kernel, dpdk = f["kernel"], f["dpdk"]
    rows = [
        "| Destination | Frame | Kernel sent/s | Kernel received/s | DPDK sent/s | DPDK received/s | DPDK / kernel (received) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for k, d in zip(kernel["pps"], dpdk["pps"]):
        label = "pod → pod" if k["to"] == "pod" else "pod → Service (DNAT)"
        rows.append(f"| {label} | {k['frame'] + 4} B | {fmt(k['sentPps'])} | {fmt(k['receivedPps'])} | "
                    f"{fmt(d['sentPps'])} | {fmt(d['receivedPps'])} | {ratio(d['receivedPps'], k['receivedPps'])} |")
    rows += [
        "",
        "| UDP round trip (sockperf ping-pong, 64-byte messages) | Kernel p50 (µs) | Kernel p99 (µs) | DPDK p50 (µs) | DPDK p99 (µs) | DPDK / kernel (p50) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, label in (("pod", "pod → pod"), ("service", "pod → Service (DNAT) and back (reverse NAT)")):
        k, d = kernel["latency"][name], dpdk["latency"][name]
        rows.append(f"| {label} | {k['p50Micros']:.1f} | {k['p99Micros']:.1f} | {d['p50Micros']:.1f} | {d['p99Micros']:.1f} | "
                    f"{ratio(d['p50Micros'], k['p50Micros'])} |")
    rows += ["", f"Load average (1, 5, 15 min): kernel phase {kernel['load']} → {kernel['loadAfter']}; "
                 f"DPDK phase {dpdk['load']} → {dpdk['loadAfter']}. infra-p4-dpdk used "
                 f"{dpdk.get('targetCPUSeconds', 0):.1f} CPU seconds during its phase."]
    return rows


def programming_tables(p: dict) -> list[str]:
    d, e = p["dpdk"], p["emulator"]
    rows = [
        "| P4Runtime workload (Python grpcio client, one Write at a time) | infra-p4-dpdk | infra-p4-emulator | DPDK / emulator |",
        "| --- | ---: | ---: | ---: |",
        f"| bulk: {fmt(d['bulk']['services'])} services × ({d['bulk']['backends']} service_slots entries, a group, a service_select "
        f"and a service_lb entry) ({fmt(d['bulk']['objects'])} objects, Writes of 64), objects/s | {fmt(d['bulk']['objectsPerSecond'])} | "
        f"{fmt(e['bulk']['objectsPerSecond'])} | {ratio(d['bulk']['objectsPerSecond'], e['bulk']['objectsPerSecond'])} |",
        f"| one service change among them (1 Write: a service_slots modify), p50 ms | {d['changes']['p50Ms']:.2f} | {e['changes']['p50Ms']:.2f} | "
        f"{ratio(d['changes']['p50Ms'], e['changes']['p50Ms'])} |",
        f"| one service change, p99 ms ({d['changes']['count']} changes) | {d['changes']['p99Ms']:.2f} | {e['changes']['p99Ms']:.2f} | "
        f"{ratio(d['changes']['p99Ms'], e['changes']['p99Ms'])} |",
    ]
    for per_write in (1, 64):
        dk, ek = d[f"acl{per_write}"], e[f"acl{per_write}"]
        rows.append(f"| {fmt(dk['rules'])} acl_egress_rules range rules (wildcard table), {per_write} per Write, rules/s | "
                    f"{fmt(dk['rulesPerSecond'])} | {fmt(ek['rulesPerSecond'])} | {ratio(dk['rulesPerSecond'], ek['rulesPerSecond'])} |")
    rows.append(f"| target CPU seconds for all of the above | {d['targetCPUSeconds']:.1f} | {e['targetCPUSeconds']:.1f} | |")
    rows += ["", "| Intents (infra-manager + infra-programming-bench, UpsertServices) | infra-p4-dpdk | infra-p4-emulator |",
             "| --- | --- | --- |"]
    di, ei = p["dpdkIntents"], p["emulatorIntents"]

    def intents(run: dict, what: str) -> str:
        if "failure" in run and what not in run:
            if what == "changes" and "bulk" not in run:
                return "not run (the bulk load failed)"
            reason = run["failure"]
            reason = reason[reason.find("Error:"):] if "Error:" in reason else reason
            return "**failed**: " + reason.replace("|", "\\|")[:400]
        if what == "bulk":
            b = run["bulk"]
            return f"{fmt(b['objects'])} objects in {b['bulkSeconds']:.2f} s = {fmt(b['objectsPerSecond'])}/s"
        c = run["changes"]
        return f"p50 {c['changeP50Micros'] / 1000:.2f} ms, p99 {c['changeP99Micros'] / 1000:.2f} ms"

    rows.append(f"| bulk load | {intents(di, 'bulk')} | {intents(ei, 'bulk')} |")
    rows.append(f"| one service change among them | {intents(di, 'changes')} | {intents(ei, 'changes')} |")
    rows += ["", "Load average (1, 5, 15 min): " + "; ".join(
        f"{name} {run['loadBefore']} → {run['loadAfter']}" for name, run in
        (("P4Runtime into DPDK", d), ("into the emulator", e), ("intents into DPDK", di), ("into the emulator", ei)))]
    return rows


def render(r: dict) -> str:
    a = r["args"]
    facts = [
        ("Date (UTC)", r["started"]),
        ("Commit", r["commit"] + (" (with uncommitted changes under Sources/)" if r["dirty"] else "")),
        ("Machine", r["machine"] + "; shared with other engineers' builds and tests during the run"),
        ("Load average", f"{r['loadStart']} at the start, {r['loadEnd']} at the end (1, 5, 15 min); per phase below"),
        ("Builds", "; ".join(f"{name} {kind}" for name, kind in r["builds"].items()) + f"; {r['toolchain']}"),
        ("Target", "DPDK 22.11's SWX pipeline in software (libdpdk-dev " + r["tools"]["libdpdk-dev"] + "), af_packet ports "
                   "on veths, EAL `-l 0 --no-huge -m 1024 --no-pci`, infra-p4-dpdk's default burst 1 and idle sleep 200 µs; "
                   "**not the IPU**"),
        ("Tools", f"trafgen (netsniff-ng {r['tools']['netsniff-ng']}, one process), sockperf {r['tools']['sockperf']}, "
                  f"{a['seconds']:.0f} s per measurement"),
    ]
    lines = ["### Latest run (written by scripts/bench-dpdk)", ""] + [f"- **{k}:** {v}" for k, v in facts] + [""]
    if "forwarding" in r:
        lines += ["#### Forwarding", ""] + forwarding_tables(r["forwarding"]) + [""]
    if "programming" in r:
        lines += ["#### Programming", ""] + programming_tables(r["programming"]) + [""]
    return "\n".join(lines).rstrip()


def write_docs(path: Path, block: str) -> None:
    """Replaces the recorded run in the section "P4-DPDK forwarding and programming"."""
    replace_marked_block(path, block, BEGIN, END, "bench-dpdk")
