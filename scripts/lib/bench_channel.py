#!/usr/bin/env python3
"""Driver of scripts/bench-channel (run it through that script, which builds and sets up).

Makes a PKI in a temporary directory, starts the release infra-manager on loopback with
mutual TLS 1.3, runs the Swift client (infra-channel-bench) and the Python grpcio client
(Tests/interop/bench_client.py) against it in turn at each concurrency, prints a table with
both and their ratio, and writes it with the run's conditions into docs/benchmarks.md
between the bench-channel markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "interop"))
import interop_support as support  # noqa: E402

BEGIN = "<!-- bench-channel:results:begin -->"
END = "<!-- bench-channel:results:end -->"


def run_client(name: str, cmd: list[str], timeout: float) -> dict:
    print(f"bench-channel: {name}: {' '.join(cmd[:1] + cmd[-8:])}", file=sys.stderr, flush=True)
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    sys.stderr.write(result.stderr)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"bench-channel: {name} failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    return json.loads(lines[-1])


def command_output(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def conditions(args, levels: list[int], load_before: str) -> list[tuple[str, str]]:
    cpu = "?"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
                break
    debian = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else "?"
    import google.protobuf
    import grpc

    commit = command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = command_output(["git", "-C", str(ROOT), "status", "--porcelain", "--", "Sources", "Package.swift"])
    calls = ", ".join(f"{args.calls_for(level)} at concurrency {level}" for level in levels)
    return [
        ("Date (UTC)", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")),
        ("Commit", commit + (" (with uncommitted changes under Sources/)" if dirty else "")),
        ("Machine", f"{os.cpu_count()} cores ({cpu}), {memory}, Linux {platform.release()}, Debian {debian}"),
        ("Sharing", "server and client run at the same time on the same 2 cores; clients run one after the other"),
        ("Load average before the run", f"{load_before} (1, 5, 15 min; other work on the machine shows here)"),
        ("Network", "loopback 127.0.0.1, mutual TLS 1.3 (ECDSA P-256 certificates from infra-pki), one HTTP/2 connection per client"),
        ("Server", "infra-manager, release build (swift build -c release), log level warning, metrics endpoint on"),
        ("Swift client", "infra-channel-bench, release build; ChannelClientTransport (agent identity), one GRPCClient, N tasks"),
        ("Python client", f"Tests/interop/bench_client.py, grpcio {grpc.__version__}, protobuf {google.protobuf.__version__}, "
                          f"Python {platform.python_version()}, one channel, N {'threads' if args.python_mode == 'threads' else 'asyncio tasks (grpc.aio)'}"),
        ("Toolchain", command_output(["swift", "--version"]).splitlines()[0] if command_output(["swift", "--version"]) else "?"),
        ("Call", "unary infra.v1.InfraManager/CreatePodNetwork, the same pod every time (idempotent: state stays one pod)"),
        ("PKI", f"pki/profile.yaml without ca.nameConstraints.ipRanges (grpcio refuses CAs with IP subtrees), "
                f"made by {args.pki_tool or 'the release infra-pki'} (not part of the measurement)"),
        ("Calls", f"{args.warmup} warm-up calls (not measured), then {calls}; each level at most {args.max_seconds:.0f} s"),
    ]


def render_table(results: list[dict], levels: list[int]) -> str:
    rows = [
        "| Concurrency | Client | Calls | Calls/s | p50 (µs) | p99 (µs) | p99.9 (µs) | Errors |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for level in levels:
        pair = {r["client"]: r for r in results if r["concurrency"] == level}
        for client in ("swift", "python"):
            r = pair.get(client)
            if r is None:
                continue
            label = "Swift (grpc-swift-2)" if client == "swift" else f"Python ({r['stack']})"
            rows.append(
                f"| {level} | {label} | {r['calls']} | {r['calls_per_s']:,.0f} | {r['p50_us']:,.0f} | "
                f"{r['p99_us']:,.0f} | {r['p999_us']:,.0f} | {r['errors']} |"
            )
        if "swift" in pair and "python" in pair:
            s, p = pair["swift"], pair["python"]
            rows.append(
                f"| {level} | **Swift / Python** | | **{ratio(s['calls_per_s'], p['calls_per_s'])}** | "
                f"{ratio(s['p50_us'], p['p50_us'])} | {ratio(s['p99_us'], p['p99_us'])} | {ratio(s['p999_us'], p['p999_us'])} | |"
            )
    return "\n".join(rows)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "–"


def write_docs(path: Path, block: str) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = f"{BEGIN}\n{block}\n{END}"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, type=Path, help="release bin directory")
    parser.add_argument("--concurrency", default="1,16")
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=10000, help="measured calls at concurrency 1")
    parser.add_argument("--calls-concurrent", type=int, default=30000, help="measured calls at concurrency > 1")
    parser.add_argument("--max-seconds", type=float, default=25.0, help="cap per client and level")
    parser.add_argument("--python-mode", choices=["threads", "aio"], default="threads")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--pki-tool", type=Path, help="infra-pki binary that makes the PKI (default: --bin's)")
    args = parser.parse_args()
    args.calls_for = lambda level: args.calls if level == 1 else args.calls_concurrent
    levels = [int(x) for x in args.concurrency.split(",")]

    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    work = support.temp_dir("infra-bench-channel-")
    manager = None
    try:
        profile = work / "profile.yaml"
        profile.write_text(support.profile_for_grpcio(support.DEFAULT_PROFILE.read_text()))
        pki = support.apply_pki(args.pki_tool or args.bin / "infra-pki", profile, work / "pki")
        manager = support.ManagerProcess(args.bin / "infra-manager", work / "manager", pki, log_level="warning").start()
        print(f"bench-channel: release infra-manager ready on {manager.address}", file=sys.stderr, flush=True)

        agent = str(pki / "agent-node-1")
        common = ["--address", manager.address, "--pki", agent, "--warmup", str(args.warmup), "--max-seconds", str(args.max_seconds)]
        cap = args.max_seconds * 2 + 60
        results = []
        began = time.monotonic()
        for level in levels:
            per_level = common + ["--concurrency", str(level), "--calls", str(args.calls_for(level))]
            results.append(run_client("swift", [str(args.bin / "infra-channel-bench"), *per_level], cap))
            results.append(run_client(
                "python",
                [sys.executable, str(ROOT / "Tests" / "interop" / "bench_client.py"), *per_level, "--mode", args.python_mode],
                cap,
            ))
        elapsed = time.monotonic() - began

        code, _ = manager.terminate()
        if code != 0:
            print(f"bench-channel: warning: infra-manager exited {code} after SIGTERM", file=sys.stderr)

        table = render_table(results, levels)
        facts = conditions(args, levels, load_before)
        block = "\n".join(
            ["### Latest run (written by scripts/bench-channel)", ""]
            + [f"- **{k}:** {v}" for k, v in facts]
            + [f"- **Benchmark wall time:** {elapsed:.0f} s (build excluded)", "", table, "", "Raw lines:", "", "```"]
            + [json.dumps(r, separators=(",", ":")) for r in results]
            + ["```"]
        )
        print()
        print(table)
        print(f"\n(benchmark itself took {elapsed:.0f} s)")
        if not args.no_docs:
            write_docs(args.docs, block)
            print(f"bench-channel: wrote {args.docs.relative_to(ROOT) if args.docs.is_relative_to(ROOT) else args.docs}", file=sys.stderr)
        return 0
    finally:
        if manager is not None:
            manager.stop()
        if args.keep:
            print(f"bench-channel: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
