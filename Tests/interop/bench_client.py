#!/usr/bin/env python3
"""The Python (grpcio) side of scripts/bench-channel.

Sends the same CreatePodNetwork request as infra-channel-bench (same key and contents, so
the manager's state holds one pod and every call after the first changes nothing) over one
grpcio channel, with the agent identity, at each requested concurrency, and prints one JSON
object per level with the same fields as the Swift tool:

  {"client":"python",...,"calls_per_s":...,"p50_us":...,"p99_us":...,"p999_us":...}

Concurrency N means N threads sharing the channel (grpcio's blocking stub releases the GIL
while it waits), or N coroutines on one grpc.aio channel with --mode aio.
Percentiles are exact (nearest rank over all recorded latencies).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import shutil
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import interop_support as support  # noqa: E402


def bench_request(m, o):
    """Mirror of BenchRequest in Sources/infra-channel-bench/BenchRunner.swift."""
    return m.CreatePodNetworkRequest(
        pod=o.PodNetwork(
            key=o.PodInterfaceKey(container_id="bench-0000000000000001", interface_name="eth0"),
            namespace="bench",
            pod_name="bench-pod",
            host_interface="bench-vport0",
            mac_address="02:00:00:be:0c:01",
            ip_addresses=["10.244.250.1/32"],
        )
    )


class Budget:
    def __init__(self, calls: int, max_seconds: float):
        self._remaining = calls
        self._lock = threading.Lock()
        self._deadline = time.monotonic() + max_seconds

    def take(self) -> bool:
        if time.monotonic() >= self._deadline:
            return False
        with self._lock:
            self._remaining -= 1
            return self._remaining >= 0


class Tally:
    def __init__(self):
        self.latencies_ns: list[int] = []
        self.errors = 0
        self.unexpected = 0
        self.first_error: str | None = None

    def merge(self, other: "Tally") -> None:
        self.latencies_ns.extend(other.latencies_ns)
        self.errors += other.errors
        self.unexpected += other.unexpected
        self.first_error = self.first_error or other.first_error

    def record(self, began: int, response=None, error: Exception | None = None) -> None:
        if error is not None:
            self.errors += 1
            self.first_error = self.first_error or repr(error)
            return
        self.latencies_ns.append(time.perf_counter_ns() - began)
        changes = response.changes
        if changes.created + changes.updated + changes.deleted > 0:
            self.unexpected += 1


def run_threads(stub, request, concurrency: int, budget: Budget, timeout: float) -> Tally:
    tallies = [Tally() for _ in range(concurrency)]

    def worker(tally: Tally) -> None:
        while budget.take():
            began = time.perf_counter_ns()
            try:
                response = stub.CreatePodNetwork(request, timeout=timeout)
            except Exception as error:  # counted, not fatal: the level's figures say so
                tally.record(began, error=error)
                continue
            tally.record(began, response)

    threads = [threading.Thread(target=worker, args=(t,)) for t in tallies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total


async def run_aio(stub, request, concurrency: int, budget: Budget, timeout: float) -> Tally:
    total = Tally()

    async def worker() -> None:
        while budget.take():
            began = time.perf_counter_ns()
            try:
                response = await stub.CreatePodNetwork(request, timeout=timeout)
            except Exception as error:
                total.record(began, error=error)
                continue
            total.record(began, response)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total


def percentile_us(sorted_ns: list[int], percentile: float) -> float:
    if not sorted_ns:
        return 0.0
    rank = max(1, math.ceil(percentile / 100 * len(sorted_ns)))
    return sorted_ns[rank - 1] / 1000


def result_line(mode: str, grpc_version: str, concurrency: int, elapsed: float, tally: Tally) -> dict:
    latencies = sorted(tally.latencies_ns)
    calls = len(latencies)
    return {
        "client": "python",
        "stack": f"grpcio {grpc_version} ({mode})",
        "method": "infra.v1.InfraManager/CreatePodNetwork",
        "concurrency": concurrency,
        "calls": calls,
        "errors": tally.errors,
        "unexpected": tally.unexpected,
        "elapsed_s": round(elapsed, 3),
        "calls_per_s": round(calls / elapsed, 1) if elapsed > 0 else 0.0,
        "mean_us": round(sum(latencies) / calls / 1000, 1) if calls else 0.0,
        "p50_us": round(percentile_us(latencies, 50), 1),
        "p99_us": round(percentile_us(latencies, 99), 1),
        "p999_us": round(percentile_us(latencies, 99.9), 1),
        "max_us": round(latencies[-1] / 1000, 1) if calls else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="127.0.0.1:50002")
    parser.add_argument("--pki", required=True, help="agent identity directory (ca.crt, tls.crt, tls.key)")
    parser.add_argument("--concurrency", default="1,16")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--mode", choices=["threads", "aio"], default="threads")
    args = parser.parse_args()
    levels = [int(x) for x in args.concurrency.split(",")]

    import grpc

    stub_dir = support.temp_dir("infra-bench-stubs-")
    try:
        support.generate_stubs(stub_dir)
        m, mg, o, _, _ = support.import_stubs(stub_dir)
        request = bench_request(m, o)
        credentials = support.credentials(Path(args.pki))
        failed = False
        if args.mode == "threads":
            channel = grpc.secure_channel(args.address, credentials)
            stub = mg.InfraManagerStub(channel)
            try:
                for level in levels:
                    warm = run_threads(stub, request, level, Budget(args.warmup, args.max_seconds), args.timeout)
                    if warm.errors:
                        raise SystemExit(f"warm-up at concurrency {level}: {warm.errors} errors, first: {warm.first_error}")
                    began = time.perf_counter()
                    tally = run_threads(stub, request, level, Budget(args.calls, args.max_seconds), args.timeout)
                    failed |= report(args.mode, grpc.__version__, level, time.perf_counter() - began, tally)
            finally:
                channel.close()
        else:

            async def run_all() -> bool:
                any_failed = False
                async with grpc.aio.secure_channel(args.address, credentials) as channel:
                    stub = mg.InfraManagerStub(channel)
                    for level in levels:
                        warm = await run_aio(stub, request, level, Budget(args.warmup, args.max_seconds), args.timeout)
                        if warm.errors:
                            raise SystemExit(f"warm-up at concurrency {level}: {warm.errors} errors, first: {warm.first_error}")
                        began = time.perf_counter()
                        tally = await run_aio(stub, request, level, Budget(args.calls, args.max_seconds), args.timeout)
                        any_failed |= report(args.mode, grpc.__version__, level, time.perf_counter() - began, tally)
                return any_failed

            failed = asyncio.run(run_all())
        return 2 if failed else 0
    finally:
        shutil.rmtree(stub_dir, ignore_errors=True)


def report(mode: str, grpc_version: str, level: int, elapsed: float, tally: Tally) -> bool:
    line = result_line(mode, grpc_version, level, elapsed, tally)
    print(json.dumps(line, separators=(",", ":")), flush=True)
    print(
        f"python/{mode} concurrency={level}: {line['calls']} calls in {elapsed:.2f} s = {line['calls_per_s']:.0f} calls/s; "
        f"p50 {line['p50_us']:.0f} µs, p99 {line['p99_us']:.0f} µs, p99.9 {line['p999_us']:.0f} µs"
        + (f"; {tally.errors} errors, first: {tally.first_error}" if tally.errors else ""),
        file=sys.stderr,
    )
    return tally.errors > 0


if __name__ == "__main__":
    sys.exit(main())
