#!/usr/bin/env python3
"""Driver of scripts/bench-programming (run it through that script, which builds and sets up).

Issue 3, section 6: how fast infra-manager turns service intents into P4Runtime objects on
a target, against a plain Python P4Runtime client writing the same objects in the same run.

1. A PKI in a temporary directory (infra-pki). The agent reaches the manager over mutual
   TLS 1.3 as in production; the manager (p4rt-client identity) and the Python client reach
   their emulators over mutual TLS 1.3 too (the emulator presents the infrap4d identity).
2. Manager run: a release infra-p4-emulator, a release infra-manager whose `dataplane:`
   section points at it; once Status says READY, infra-programming-bench loads
   --services services of --backends backends (UpsertServices of --batch services) with
   --changes 0. Then the manager's RSS and the CPU time of every process are taken and the
   emulator is read back. A second infra-programming-bench run re-sends the same services
   (nothing changes on the target) and times --changes single-service changes.
3. Python baseline: a second, fresh emulator; an in-process grpcio client (p4runtime stubs
   generated here from protos/ by grpc_tools; the upb protobuf backend) arbitrates, pushes
   the same P4Info and writes the objects the manager writes for the same services, in the
   manager's order (the 255 slot members of the selector first, untimed, as the manager
   writes them when the target becomes ready; then per batch of services: slot entries,
   then groups, then service_select and service_lb entries, Write requests of the manager's
   size, one after another). The emulator is read back the same way.
4. A table with both, their ratio, the change latency and the RSS, printed and written with
   the run's conditions into docs/benchmarks.md between the bench-programming markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import queue
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "interop"))
import interop_support as support  # noqa: E402
import p4runtime_support as p4support  # noqa: E402

BEGIN = "<!-- bench-programming:results:begin -->"
END = "<!-- bench-programming:results:end -->"
COMMITTED_P4INFO = ROOT / "k8s_dp" / "dpdk" / "k8s_dp.p4info.txtpb"
SCRATCH_P4INFO = Path("/tmp/scratch-k8s_dp.p4info.txtpb")
GATEWAY_MAC = "02:00:00:00:00:01"
UPDATES_PER_WRITE = 256  # the manager's default dataplane.maxUpdatesPerWrite (DataplaneConfig)
MANAGER_WRITES_IN_FLIGHT = 4  # the manager's maxWritesInFlight (DataplaneWiring)
TIMEOUT_PROFILE = 3  # DataplaneSettings.connectionTimeoutProfile (a service without affinity)
GOALS = {"objects_per_s": 200_000, "ratio": 20.0, "change_p99_ms": 2.0, "rss_mb": 100.0}


def log(message: str) -> None:
    print(f"bench-programming: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# P4Runtime stubs for the in-process client (generated at run time, never committed)


def generate_p4runtime_stubs(dest: Path) -> Path:
    """grpc_tools.protoc on the repository's protos/p4 and protos/google into `dest`
    (python packages p4.v1, p4.config.v1, google.rpc; `google` stays a namespace package
    next to the installed google.protobuf)."""
    from grpc_tools import protoc

    dest.mkdir(parents=True, exist_ok=True)
    bundled = Path(protoc.__file__).parent / "_proto"
    files = ["p4/v1/p4runtime.proto", "p4/v1/p4data.proto", "p4/config/v1/p4info.proto",
             "p4/config/v1/p4types.proto", "google/rpc/status.proto", "google/rpc/code.proto"]
    args = ["protoc", f"-I{support.PROTO_ROOT}", f"-I{bundled}", f"--python_out={dest}", f"--grpc_python_out={dest}"]
    status = protoc.main(args + [str(support.PROTO_ROOT / name) for name in files])
    if status != 0:
        raise RuntimeError(f"grpc_tools.protoc failed ({status}) on {files}")
    if str(dest) not in sys.path:
        sys.path.insert(0, str(dest))
    return dest


def canonical(value: int) -> bytes:
    """P4Runtime's canonical bytestring: shortest big-endian, zero is one 0x00 byte
    (EntityBuilding.canonical in the manager)."""
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def ipv4(a: int, b: int, c: int, d: int) -> int:
    return (a << 24) | (b << 16) | (c << 8) | d


def service_addresses(index: int, backends: int) -> tuple[int, list[tuple[int, int]]]:
    """Service `index` of infra-programming-bench's BulkServices (variant 0): cluster IP
    10.(96 + i / 65536).(i / 256 % 256).(i % 256), TCP port 80, backends
    10.(128 + b).(i / 256 % 256).(i % 256):8080, sorted by (address, port) as the manager does."""
    a, b, c = 96 + index // 65_536, index // 256 % 256, index % 256
    return ipv4(10, a, b, c), sorted((ipv4(10, 128 + k, b, c), 8080) for k in range(backends))


class Schema:
    """The ids the baseline needs, looked up by name in the P4Info."""

    @staticmethod
    def one(items, short):
        """The single P4Info object whose short name (or alias) is `short`; exits naming it otherwise."""
        found = [x for x in items if x.preamble.name.split(".")[-1] == short or x.preamble.alias == short]
        if len(found) != 1:
            raise SystemExit(f"the P4Info has {len(found)} objects named {short}")
        return found[0]

    def __init__(self, info):
        one = self.one

        def table(name):
            found = one(info.tables, name)
            return found.preamble.id, {f.name: f.id for f in found.match_fields}

        def action(name):
            found = one(info.actions, name)
            return found.preamble.id, {p.name: p.id for p in found.params}

        self.table, self.fields = table("service_lb")
        self.select_table, self.select_fields = table("service_select")
        self.slots_table, self.slots_fields = table("service_slots")
        profile = one(info.action_profiles, "service_backends")
        self.profile, self.slots = profile.preamble.id, profile.max_group_size
        self.to_service, self.to_service_params = action("to_service")
        self.dnat, self.params = action("dnat_to_backend")
        self.pick_slot, self.pick_slot_params = action("pick_slot")


class PythonClient:
    """A minimal P4Runtime controller on grpcio: one channel, one StreamChannel."""

    def __init__(self, address: str, device_id: int, tls_dir: Path, election_low: int = 1):
        import grpc
        from p4.v1 import p4runtime_pb2 as pb
        from p4.v1 import p4runtime_pb2_grpc as pbg

        self.pb = pb
        self.device_id = device_id
        self.election = pb.Uint128(high=0, low=election_low)
        # The emulator answers a wildcard Read with one large response.
        self.channel = grpc.secure_channel(address, support.credentials(tls_dir),
                                           options=[("grpc.max_receive_message_length", -1)])
        self.stub = pbg.P4RuntimeStub(self.channel)
        self._requests: queue.Queue = queue.Queue()
        self._stream = None

    def arbitrate(self) -> None:
        pb = self.pb

        def requests():
            while (item := self._requests.get()) is not None:
                yield item

        self._stream = self.stub.StreamChannel(requests())
        self._requests.put(pb.StreamMessageRequest(
            arbitration=pb.MasterArbitrationUpdate(device_id=self.device_id, election_id=self.election)))
        answer = next(self._stream)
        if not answer.HasField("arbitration") or answer.arbitration.status.code != 0:
            raise RuntimeError(f"arbitration refused: {answer}")

    def set_pipeline(self, info, cookie: int = 1) -> None:
        pb = self.pb
        self.stub.SetForwardingPipelineConfig(pb.SetForwardingPipelineConfigRequest(
            device_id=self.device_id, election_id=self.election,
            action=pb.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT,
            config=pb.ForwardingPipelineConfig(p4info=info, cookie=pb.ForwardingPipelineConfig.Cookie(cookie=cookie)),
        ), timeout=60)

    def write(self, updates: list) -> None:
        self.stub.Write(self.pb.WriteRequest(device_id=self.device_id, election_id=self.election, updates=updates), timeout=60)

    def read(self, entity) -> list:
        out = []
        for response in self.stub.Read(self.pb.ReadRequest(device_id=self.device_id, entities=[entity]), timeout=300):
            out.extend(response.entities)
        return out

    def close(self) -> None:
        self._requests.put(None)
        if self._stream is not None:
            self._stream.cancel()
        self.channel.close()


def exact(pb, field_id: int, value: int):
    return pb.FieldMatch(field_id=field_id, exact=pb.FieldMatch.Exact(value=canonical(value)))


def baseline_members(client: PythonClient, schema: Schema) -> None:
    """The selector's slot members (member k + 1 picks slot k), which the manager writes once
    when the target becomes ready, before any service: not part of the timed load."""
    pb = client.pb
    members = [pb.Update(type=pb.Update.INSERT, entity=pb.Entity(action_profile_member=pb.ActionProfileMember(
        action_profile_id=schema.profile, member_id=slot + 1,
        action=pb.Action(action_id=schema.pick_slot, params=[
            pb.Action.Param(param_id=schema.pick_slot_params["slot"], value=canonical(slot))]))))
        for slot in range(schema.slots)]
    for chunk in range(0, len(members), UPDATES_PER_WRITE):
        client.write(members[chunk:chunk + UPDATES_PER_WRITE])


def baseline_bulk(client: PythonClient, schema: Schema, services: int, backends: int, batch: int) -> dict:
    """Builds and writes the manager's objects for `services` services; returns timings.

    Service i gets service index and group id i + 1 (the manager allocates the same range, in
    the order it meets the services); its backends fill slots 0 ... backends - 1 in address
    order. Per batch of `batch` services, as one UpsertServices request reaches the target:
    every slot entry, then every group, then every service_select and service_lb entry, in
    Write requests of UPDATES_PER_WRITE updates (the manager's size), one after another."""
    pb = client.pb
    insert = pb.Update.INSERT
    fields, select_fields, slot_fields = schema.fields, schema.select_fields, schema.slots_fields
    writes = 0
    cpu0 = time.process_time()
    began = time.perf_counter()
    for start in range(0, services, batch):
        slots, groups, entries = [], [], []
        for i in range(start, min(start + batch, services)):
            index = i + 1
            cluster_ip, targets = service_addresses(i, backends)
            for slot, (address, port) in enumerate(targets):
                slots.append(pb.Update(type=insert, entity=pb.Entity(table_entry=pb.TableEntry(
                    table_id=schema.slots_table,
                    match=sorted([exact(pb, slot_fields["meta.service_index"], index), exact(pb, slot_fields["meta.lb_slot"], slot)],
                                 key=lambda m: m.field_id),
                    action=pb.TableAction(action=pb.Action(action_id=schema.dnat, params=[
                        pb.Action.Param(param_id=schema.params["backend_ip"], value=canonical(address)),
                        pb.Action.Param(param_id=schema.params["backend_port"], value=canonical(port)),
                    ]))))))
            groups.append(pb.Update(type=insert, entity=pb.Entity(action_profile_group=pb.ActionProfileGroup(
                action_profile_id=schema.profile, group_id=index,
                members=[pb.ActionProfileGroup.Member(member_id=slot + 1, weight=1) for slot in range(len(targets))]))))
            entries.append(pb.Update(type=insert, entity=pb.Entity(table_entry=pb.TableEntry(
                table_id=schema.select_table, match=[exact(pb, select_fields["meta.service_index"], index)],
                action=pb.TableAction(action_profile_group_id=index)))))
            entries.append(pb.Update(type=insert, entity=pb.Entity(table_entry=pb.TableEntry(
                table_id=schema.table,
                match=sorted([
                    exact(pb, fields["hdr.ipv4.dst_addr"], cluster_ip), exact(pb, fields["hdr.ipv4.protocol"], 6),
                    exact(pb, fields["meta.l4_dst_port"], 80),
                ], key=lambda m: m.field_id),
                action=pb.TableAction(action=pb.Action(action_id=schema.to_service, params=[
                    pb.Action.Param(param_id=schema.to_service_params["service_index"], value=canonical(index)),
                    pb.Action.Param(param_id=schema.to_service_params["timeout_profile"], value=canonical(TIMEOUT_PROFILE)),
                ]))))))
        for phase in (slots, groups, entries):
            for chunk in range(0, len(phase), UPDATES_PER_WRITE):
                client.write(phase[chunk:chunk + UPDATES_PER_WRITE])
                writes += 1
    elapsed = time.perf_counter() - began
    objects = services * (backends + 3)
    return {"client": "python-grpcio", "services": services, "backendsPerService": backends, "objects": objects,
            "bulkSeconds": elapsed, "objectsPerSecond": objects / elapsed, "writes": writes,
            "clientCPUSeconds": time.process_time() - cpu0}


def read_back(client: PythonClient, schema: Schema) -> dict:
    """Counts and an id-free fingerprint of what the target holds for the services: slot
    entries by (slot, backend ip, port), groups by size, service_lb entries by match and
    timeout profile, and whether every service_select entry points at a group."""
    pb = client.pb
    slots = client.read(pb.Entity(table_entry=pb.TableEntry(table_id=schema.slots_table)))
    groups = client.read(pb.Entity(action_profile_group=pb.ActionProfileGroup(action_profile_id=schema.profile)))
    selects = client.read(pb.Entity(table_entry=pb.TableEntry(table_id=schema.select_table)))
    entries = client.read(pb.Entity(table_entry=pb.TableEntry(table_id=schema.table)))
    slot_field = schema.slots_fields["meta.lb_slot"]
    profile_param = schema.to_service_params["timeout_profile"]

    def slot_key(entity):
        entry = entity.table_entry
        slot = [m.exact.value for m in entry.match if m.field_id == slot_field]
        return (slot, tuple(p.value for p in entry.action.action.params))

    def entry_key(entity):
        entry = entity.table_entry
        profile = [p.value for p in entry.action.action.params if p.param_id == profile_param]
        return (tuple(m.exact.value for m in entry.match), entry.action.action.action_id, profile)

    fingerprint = (
        sorted(slot_key(e) for e in slots),
        sorted(len(e.action_profile_group.members) for e in groups),
        sorted(entry_key(e) for e in entries),
        len(selects), all(e.table_entry.action.action_profile_group_id for e in selects),
    )
    total = len(slots) + len(groups) + len(selects) + len(entries)
    return {"slots": len(slots), "groups": len(groups), "entries": len(selects) + len(entries),
            "total": total, "fingerprint": hash(repr(fingerprint))}


# --------------------------------------------------------------------------------------
# Processes


def proc_status(pid: int) -> dict:
    """VmRSS and VmHWM in MiB, and user+system CPU seconds, of a running process."""
    out = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) / 1024
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    out["cpu"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_bench(binary: Path, manager_address: str, identity: Path, args, changes: int) -> dict:
    cmd = [str(binary), "--address", manager_address, "--pki", str(identity), "--services", str(args.services),
           "--backends", str(args.backends), "--batch", str(args.batch), "--changes", str(changes)]
    log(" ".join(cmd))
    cpu0 = children_cpu()
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=args.max_seconds)
    sys.stderr.write(result.stderr)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"bench-programming: infra-programming-bench failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    report = json.loads(lines[-1])
    report["clientCPUSeconds"] = children_cpu() - cpu0
    return report


class Profiler:
    """`perf record -g` on each named process while a phase runs (--perf DIR); writes and
    prints the top symbols per process afterwards. Slows the processes down, so a profiled
    run never writes the docs."""

    def __init__(self, directory: Path | None):
        self.directory = directory
        self.running: list[tuple[subprocess.Popen, Path]] = []

    def start(self, phase: str, pids: dict[str, int]) -> None:
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, pid in pids.items():
            data = self.directory / f"{phase}-{name}.data"
            process = subprocess.Popen(["perf", "record", "-F", "999", "-g", "-o", str(data), "-p", str(pid)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.running.append((process, data))
        time.sleep(0.5)

    def stop(self) -> None:
        for process, _ in self.running:
            process.send_signal(2)
        for process, data in self.running:
            process.wait(60)
            report = subprocess.run(
                ["perf", "report", "-i", str(data), "--stdio", "--no-children", "--sort", "dso,sym",
                 "--percent-limit", "1.5", "-g", "none"], capture_output=True, text=True, timeout=300).stdout
            summary = data.with_suffix(".txt")
            summary.write_text(report)
            log(f"perf: {summary}")
            print("\n".join(line for line in report.splitlines()[:40] if line.strip() and not line.startswith("#")),
                  file=sys.stderr)
        self.running = []


def wait_until_ready(manager, pki: Path, stubs, timeout: float = 60.0) -> None:
    """Polls the manager's Status (operator identity) until its target is READY."""
    import grpc

    m, mg = stubs[0], stubs[1]
    channel = grpc.secure_channel(manager.address, support.credentials(pki / "operator-admin"))
    try:
        status = mg.InfraManagerStub(channel)
        for _ in range(int(timeout / 0.1)):
            if status.Status(m.StatusRequest(), timeout=10).target.state == m.TargetStatus.STATE_READY:
                return
            time.sleep(0.1)
    finally:
        channel.close()
    raise SystemExit(f"bench-programming: the manager's target never became READY; log:\n{manager.log()[-4000:]}")


def dataplane_yaml(emulator_address: str, pki: Path, p4info: Path, state: Path) -> str:
    client = pki / "p4rt-client"
    return (
        "dataplane:\n"
        f"  target: {emulator_address}\n"
        "  tls:\n"
        f"    caFile: {client / 'ca.crt'}\n"
        f"    certificateFile: {client / 'tls.crt'}\n"
        f"    keyFile: {client / 'tls.key'}\n"
        f"  p4info: {p4info}\n"
        f"  stateDirectory: {state}\n"
        "  ports: {pod0: 2}\n"
        f"  gatewayMAC: \"{GATEWAY_MAC}\"\n"
    )


# --------------------------------------------------------------------------------------
# Report


def command_output(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def machine() -> str:
    cpu = memory = "?"
    with open("/proc/cpuinfo") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "?")
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    debian = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else "?"
    return f"{os.cpu_count()} cores ({cpu}), {memory}, Linux {platform.release()}, Debian {debian}"


def fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def render(r: dict) -> str:
    swift, python, changes = r["swift"], r["python"], r["changes"]
    ratio = swift["objectsPerSecond"] / python["objectsPerSecond"]
    cpu = r["cpu"]
    rows = [
        "| Client | Objects written | Seconds | Objects/s | Client CPU s | Emulator CPU s | Manager CPU s | Read back from the emulator |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        f"| infra-manager (intents from infra-programming-bench) | {fmt(swift['objects'])} | {swift['bulkSeconds']:.2f} | "
        f"{fmt(swift['objectsPerSecond'])} | {cpu['swift_client']:.2f} | {cpu['swift_emulator']:.2f} | {cpu['manager']:.2f} | "
        f"{r['readback_swift']['slots']} slot entries, {r['readback_swift']['groups']} groups, {r['readback_swift']['entries']} other entries |",
        f"| Python grpcio P4Runtime client (baseline) | {fmt(python['objects'])} | {python['bulkSeconds']:.2f} | "
        f"{fmt(python['objectsPerSecond'])} | {python['clientCPUSeconds']:.2f} | {cpu['python_emulator']:.2f} | – | "
        f"{r['readback_python']['slots']} slot entries, {r['readback_python']['groups']} groups, {r['readback_python']['entries']} other entries |",
        f"| **manager / Python** | | | **{ratio:.2f}×** | | | | same objects (ids aside): {'yes' if r['same_objects'] else '**no**'} |",
    ]
    latency = [
        "",
        "| One service change among 10,000 (UpsertServices of one service, one backend replaced) | p50 (ms) | p99 (ms) | max (ms) |",
        "| --- | ---: | ---: | ---: |",
        f"| {changes['changes']} changes, one after another | {changes['changeP50Micros'] / 1000:.2f} | "
        f"{changes['changeP99Micros'] / 1000:.2f} | {changes['changeMaxMicros'] / 1000:.2f} |",
        "",
        "| infra-manager memory | VmRSS (MiB) | VmHWM (MiB) |",
        "| --- | ---: | ---: |",
        f"| idle, target READY, before the load | {r['rss']['ready']['VmRSS']:.1f} | {r['rss']['ready']['VmHWM']:.1f} |",
        f"| after the bulk load ({fmt(swift['objects'])} objects) | {r['rss']['bulk']['VmRSS']:.1f} | {r['rss']['bulk']['VmHWM']:.1f} |",
        f"| after the re-send and the changes | {r['rss']['changes']['VmRSS']:.1f} | {r['rss']['changes']['VmHWM']:.1f} |",
    ]
    peak = max(r["rss"]["changes"]["VmHWM"], r["rss"]["bulk"]["VmHWM"])
    p99_ms = changes["changeP99Micros"] / 1000
    goals = [
        "",
        "| Goal (issue 3) | Measured | |",
        "| --- | ---: | --- |",
        f"| ≥ 200,000 objects/s | {fmt(swift['objectsPerSecond'])} | {verdict(swift['objectsPerSecond'] >= GOALS['objects_per_s'])} |",
        f"| ≥ 20× the Python baseline | {ratio:.2f}× | {verdict(ratio >= GOALS['ratio'])} |",
        f"| one change p99 < 2 ms | {p99_ms:.2f} ms | {verdict(p99_ms < GOALS['change_p99_ms'])} |",
        f"| manager RSS < 100 MB | peak {peak:.1f} MiB ({peak * 1.048576:.1f} MB) | {verdict(peak * 1.048576 < GOALS['rss_mb'])} |",
    ]
    return "\n".join(rows + latency + goals)


def replace_marked_block(path: Path, block: str, begin: str, end: str, tool: str) -> None:
    """Replaces what lies between a benchmark's two markers in `path` (the section must hold them)."""
    text = path.read_text()
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise SystemExit(f"{tool}: {path} lacks the markers {begin} ... {end}")
    path.write_text(text[: start + len(begin)] + "\n" + block + "\n" + text[stop:])


def write_docs(path: Path, block: str) -> None:
    """Replaces the recorded run in the section "Manager programming"."""
    replace_marked_block(path, block, BEGIN, END, "bench-programming")


# --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, type=Path, help="release bin directory")
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--backends", type=int, default=10)
    parser.add_argument("--batch", type=int, default=500, help="services per UpsertServices request (and per baseline batch)")
    parser.add_argument("--changes", type=int, default=2_000)
    parser.add_argument("--p4info", type=Path, help=f"default: {COMMITTED_P4INFO.relative_to(ROOT)}, else {SCRATCH_P4INFO}")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="cap per infra-programming-bench run")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--perf", type=Path, help="profile manager + emulator with perf into DIR (implies --no-docs)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--pki-tool", type=Path, help="infra-pki binary that makes the PKI (default: --bin's)")
    args = parser.parse_args()
    if args.perf:
        args.perf = args.perf.resolve()
        args.no_docs = True

    p4info = args.p4info or (COMMITTED_P4INFO if COMMITTED_P4INFO.is_file() else SCRATCH_P4INFO)
    if not p4info.is_file():
        raise SystemExit(f"bench-programming: no P4Info at {p4info}")
    if p4info != COMMITTED_P4INFO:
        log(f"warning: using {p4info}, not the committed {COMMITTED_P4INFO.relative_to(ROOT)}")

    from google.protobuf import text_format
    from google.protobuf.internal import api_implementation

    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    work = support.temp_dir("infra-bench-programming-")
    processes = []
    try:
        generate_p4runtime_stubs(work / "p4stubs")
        from p4.config.v1 import p4info_pb2

        info = p4info_pb2.P4Info()
        text_format.Parse(p4info.read_text(), info)
        pipeline = p4info
        schema = Schema(info)
        stubs = support.import_stubs(support.generate_stubs(work / "stubs"))

        profile = work / "profile.yaml"
        profile.write_text(support.DEFAULT_PROFILE.read_text())
        try:
            pki = support.apply_pki(args.pki_tool or args.bin / "infra-pki", profile, work / "pki")
        except RuntimeError as error:
            debug_tool = ROOT / ".build" / "debug" / "infra-pki"
            if args.pki_tool or not debug_tool.is_file():
                raise
            # The release infra-pki has crashed (SIGSEGV) on this toolchain; see bench-channel's note.
            log(f"the release infra-pki failed ({str(error).splitlines()[0]}); making the PKI with {debug_tool}")
            shutil.rmtree(work / "pki", ignore_errors=True)
            args.pki_tool = debug_tool
            pki = support.apply_pki(debug_tool, profile, work / "pki")
        client_tls = pki / "p4rt-client"

        # ---- manager run
        emulator = p4support.EmulatorProcess(args.bin / "infra-p4-emulator", work / "emulator-manager", tls_dir=pki / "infrap4d")
        processes.append(emulator.start())
        manager = support.ManagerProcess(
            args.bin / "infra-manager", work / "manager", pki, log_level="warning",
            extra_yaml=dataplane_yaml(emulator.address, pki, pipeline, work / "manager-state"),
        )
        processes.append(manager.start())
        wait_until_ready(manager, pki, stubs)
        log(f"release infra-manager on {manager.address} is READY with infra-p4-emulator on {emulator.address}")
        mpid, epid = manager.process.pid, emulator.process.pid
        rss = {"ready": proc_status(mpid)}
        m0, e0 = rss["ready"]["cpu"], proc_status(epid)["cpu"]

        profiler = Profiler(args.perf)
        profiler.start("bulk", {"manager": mpid, "emulator": epid})
        swift = run_bench(args.bin / "infra-programming-bench", manager.address, pki / "agent-node-1", args, changes=0)
        profiler.stop()
        rss["bulk"] = proc_status(mpid)
        cpu = {"manager": rss["bulk"]["cpu"] - m0, "swift_emulator": proc_status(epid)["cpu"] - e0,
               "swift_client": swift["clientCPUSeconds"]}
        log(f"manager: {swift['objects']} objects in {swift['bulkSeconds']:.2f} s ({swift['objectsPerSecond']:,.0f}/s)")
        reader = PythonClient(emulator.address, 1, client_tls)
        try:
            readback_swift = read_back(reader, schema)
        finally:
            reader.close()

        profiler.start("changes", {"manager": mpid, "emulator": epid})
        changes = run_bench(args.bin / "infra-programming-bench", manager.address, pki / "agent-node-1", args, changes=args.changes)
        profiler.stop()
        rss["changes"] = proc_status(mpid)
        log(f"changes: p50 {changes['changeP50Micros']:.0f} µs, p99 {changes['changeP99Micros']:.0f} µs; "
            f"re-send of unchanged services took {changes['bulkSeconds']:.2f} s")
        code, _ = manager.terminate()
        if code != 0:
            log(f"warning: infra-manager exited {code} after SIGTERM")
        emulator.stop()

        # ---- Python baseline
        emulator2 = p4support.EmulatorProcess(args.bin / "infra-p4-emulator", work / "emulator-python", tls_dir=pki / "infrap4d")
        processes.append(emulator2.start())
        client = PythonClient(emulator2.address, 1, client_tls)
        try:
            client.arbitrate()
            client.set_pipeline(info)
            baseline_members(client, schema)
            e1 = proc_status(emulator2.process.pid)["cpu"]
            profiler.start("python", {"emulator": emulator2.process.pid})
            python = baseline_bulk(client, schema, args.services, args.backends, args.batch)
            profiler.stop()
            cpu["python_emulator"] = proc_status(emulator2.process.pid)["cpu"] - e1
            log(f"python: {python['objects']} objects in {python['bulkSeconds']:.2f} s ({python['objectsPerSecond']:,.0f}/s)")
            readback_python = read_back(client, schema)
        finally:
            client.close()
        emulator2.stop()

        expected = args.services * (args.backends + 3)
        for name, counted in (("manager", readback_swift), ("python", readback_python)):
            if counted["total"] != expected:
                log(f"warning: the {name} run's emulator holds {counted['total']} service objects, not {expected}")
        results = {"swift": swift, "python": python, "changes": changes, "rss": rss, "cpu": cpu,
                   "readback_swift": readback_swift, "readback_python": readback_python,
                   "same_objects": readback_swift["fingerprint"] == readback_python["fingerprint"]}
        table = render(results)

        import google.protobuf
        import grpc

        commit = command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
        dirty = command_output(["git", "-C", str(ROOT), "status", "--porcelain", "--", "Sources", "Package.swift"])
        toolchain = command_output(["swift", "--version"]).splitlines()
        p4info_label = str(p4info.relative_to(ROOT)) if p4info.is_relative_to(ROOT) else f"{p4info} (scratch, not committed)"
        facts = [
            ("Date (UTC)", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")),
            ("Commit", commit + (" (with uncommitted changes under Sources/)" if dirty else "")),
            ("Machine", machine()),
            ("Sharing", "the emulator, infra-manager and the client run at the same time on the same 2 cores; "
                        "the manager run and the Python run come one after the other, each with its own fresh emulator"),
            ("Load average before the run", f"{load_before} (1, 5, 15 min)"),
            ("Builds", f"release (swift build -c release) infra-manager, infra-p4-emulator, infra-programming-bench; "
                       f"{toolchain[0] if toolchain else '?'}"),
            ("TLS", "mutual TLS 1.3 on every link: agent → manager (agent identity), manager → emulator and Python "
                    "client → emulator (p4rt-client identity; the emulator presents infrap4d), all from one infra-pki PKI"),
            ("Pipeline", f"{p4info_label}; emulator infra-p4-emulator --device-id 1, log level info"),
            ("Workload", f"{args.services:,} services × 1 port (TCP 80) × {args.backends} backends = "
                         f"{expected:,} objects ({args.services * args.backends:,} service_slots entries, "
                         f"{args.services:,} groups, {args.services:,} service_select and {args.services:,} service_lb entries; "
                         "the selectors' slot members are written before, untimed); BulkServices' formula"),
            ("Manager side", f"UpsertServices of {args.batch} services, one after another; the manager answers after "
                             f"the target acknowledged every Write; Writes of {UPDATES_PER_WRITE} updates "
                             f"(slot entries, then groups, then entries), up to {MANAGER_WRITES_IN_FLIGHT} Writes of a phase "
                             "in flight, manager log level warning"),
            ("Python side", f"grpcio {grpc.__version__}, protobuf {google.protobuf.__version__} "
                            f"({api_implementation.Type()} backend), Python {platform.python_version()}; "
                            f"per {args.batch} services: slot entries, groups, entries in Writes of {UPDATES_PER_WRITE}, "
                            "one after another; timed from the first object built to the last Write acknowledged"),
            ("Changes", f"after the load, a second infra-programming-bench run re-sends all {args.services:,} services "
                        f"unchanged ({changes['bulkSeconds']:.2f} s, nothing written to the target), then times "
                        f"{args.changes:,} UpsertServices of one service each whose last backend moved to another port "
                        "(one service_slots entry modified, nothing else)"),
            ("CPU", "user + system seconds of each process during the bulk load (/proc/<pid>/stat; the clients' own "
                    "from getrusage / process_time)"),
            ("PKI", f"pki/profile.yaml, made by {args.pki_tool or 'the release infra-pki'} (not measured)"),
        ]
        raw = [json.dumps({k: v for k, v in x.items() if k != "fingerprint"}, separators=(",", ":"), sort_keys=True)
               for x in (swift, changes, python, {"rss": rss, "cpu": cpu}, readback_swift, readback_python)]
        block = "\n".join(
            ["### Latest run (written by scripts/bench-programming)", ""]
            + [f"- **{k}:** {v}" for k, v in facts]
            + ["", table, "", "Raw lines (bulk, changes, Python baseline, memory/CPU, read-backs):", "", "```"] + raw + ["```"]
        )
        print()
        print(table)
        if not args.no_docs:
            write_docs(args.docs, block)
            log(f"wrote {args.docs}")
        return 0
    finally:
        for process in reversed(processes):
            process.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
