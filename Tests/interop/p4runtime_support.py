"""Pytest-side helpers for the P4Runtime peer tests: the emulator process, the independent
client (p4runtime/p4rt_peer.py in its own venv, driven over JSON lines), entity builders
and `dump_target`.

Nothing here imports P4Runtime code: the pytest venv (.venv-interop) has no P4Runtime
stubs, and the peer venv (.venv-p4runtime) does all protobuf encoding with the PyPI
`p4runtime` package. Entities travel as protobuf JSON (bytes in base64).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import interop_support as support

HERE = Path(__file__).resolve().parent
PEER_SCRIPT = HERE / "p4runtime" / "p4rt_peer.py"
FIXTURE_P4INFO = HERE / "p4runtime" / "interop.p4info.txtpb"
# k8s_dp's compiled P4Info; the tests use it once it is committed.
K8S_DP_P4INFO = support.REPO_ROOT / "k8s_dp" / "dpdk" / "k8s_dp.p4info.txtpb"

SETUP_HINT = "run scripts/setup --test (it creates the peer venvs)"


def peer_python(env_var: str, venv_name: str) -> Path:
    """The interpreter of a peer venv: $env_var, else <repo>/.venv-<venv_name>/bin/python.
    Raises FileNotFoundError naming the fix when it does not exist."""
    path = Path(os.environ.get(env_var) or support.REPO_ROOT / f".venv-{venv_name}" / "bin" / "python")
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing ({env_var} unset or wrong): {SETUP_HINT}")
    return path


def p4runtime_python() -> Path:
    return peer_python("INFRA_P4RUNTIME_PYTHON", "p4runtime")


def pipeline_p4info() -> Path:
    """k8s_dp's P4Info when it is committed, the hand-written fixture otherwise."""
    return K8S_DP_P4INFO if K8S_DP_P4INFO.is_file() else FIXTURE_P4INFO


# --------------------------------------------------------------------------------------
# infra-p4-emulator


@dataclass
class EmulatorProcess:
    """infra-p4-emulator on 127.0.0.1 and a free port; plaintext unless `tls_dir`."""

    binary: Path
    workdir: Path
    device_id: int = 1
    tls_dir: Path | None = None
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "emulator.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, ready_timeout: float = 30.0) -> "EmulatorProcess":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = support.free_port()
        security = ["--tls-directory", str(self.tls_dir)] if self.tls_dir else ["--insecure"]
        command = [str(self.binary), *security, "--listen", self.address, "--device-id", str(self.device_id)]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + ready_timeout
        while "P4Runtime target listening on" not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"infra-p4-emulator did not start ({command}); log:\n{self.log()}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def emulator_tls_dir(identity: Path, out: Path) -> Path:
    """infra-pki writes the infrap4d identity as ca.crt, stratum.crt, stratum.key (the names
    infrap4d reads); infra-p4-emulator's --tls-directory wants ca.crt, tls.crt, tls.key.
    Returns a directory with the latter names linked to the former."""
    out.mkdir(parents=True, exist_ok=True)
    for target, source in (("ca.crt", "ca.crt"), ("tls.crt", "stratum.crt"), ("tls.key", "stratum.key")):
        link = out / target
        if not link.exists():
            link.symlink_to(identity / source)
    return out


# --------------------------------------------------------------------------------------
# The independent client


class PeerError(Exception):
    """A request the peer answered with ok=false: a gRPC status with its p4.v1.Error details."""

    def __init__(self, op: str, error: dict):
        self.op = op
        self.error = error
        super().__init__(f"{op}: {error.get('code_name')}: {error.get('message')} {error.get('details', '')}")

    @property
    def code_name(self) -> str:
        return self.error.get("code_name", "")

    @property
    def details(self) -> list[dict]:
        return self.error.get("details", [])


class P4RuntimePeer:
    """One p4rt_peer.py session (one gRPC channel, at most one StreamChannel)."""

    def __init__(self, python: Path | None = None):
        self.python = python or p4runtime_python()
        env = dict(os.environ, PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION="python")
        self.process = subprocess.Popen(
            [str(self.python), str(PEER_SCRIPT), "serve"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        hello = self._answer()
        if not hello.get("ready"):
            raise RuntimeError(f"p4rt_peer did not start: {hello}")

    def _answer(self) -> dict:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(10)
            stderr = self.process.stderr.read() if self.process.stderr else ""
            raise RuntimeError(f"p4rt_peer exited {self.process.returncode}:\n{stderr}")
        return json.loads(line)

    def request(self, op: str, **arguments) -> dict:
        """Sends one request; returns the raw answer (ok true or false)."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, **arguments}) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def call(self, op: str, **arguments) -> dict:
        """Sends one request; raises PeerError unless it succeeded."""
        answer = self.request(op, **arguments)
        if not answer.get("ok"):
            raise PeerError(op, answer.get("error", {}))
        return answer

    # Conveniences
    def connect(self, address: str, device_id: int, tls_dir: Path | None = None, server_name: str | None = None) -> None:
        self.call("connect", address=address, device_id=device_id,
                  tls_dir=str(tls_dir) if tls_dir else None, server_name=server_name)

    def arbitrate(self, election_id: tuple[int, int], **arguments) -> dict:
        """The first StreamMessageResponse after our MasterArbitrationUpdate, as JSON."""
        return self.call("arbitrate", election_id=list(election_id), **arguments)["message"]

    def write(self, updates: list[dict], **arguments) -> None:
        self.call("write", updates=updates, **arguments)

    def read(self, entities: list[dict]) -> list[dict]:
        return self.call("read", entities=entities)["entities"]

    def dump(self) -> dict:
        return self.call("dump")["dump"]

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.request("close")
                assert self.process.stdin is not None
                self.process.stdin.close()
                self.process.wait(10)
            except (OSError, RuntimeError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(5)

    def __enter__(self) -> "P4RuntimePeer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def dump_target(address: str, device_id: int = 1, tls_dir: Path | None = None, server_name: str | None = None,
                python: Path | None = None) -> dict:
    """Everything the P4Runtime target at `address` holds, read by the independent client
    (no arbitration needed), as JSON-ready data:

        {"device_id": 1, "pipeline": true, "cookie": 7,
         "tables": {"<table name>": [{"match": {"<field>": {"lpm": {"value": "0xa000000", "prefix_len": 8}}},
                                      "priority": 10,            # only when non-zero
                                      "action": {"name": "<action>", "params": {"<param>": "0x1"}}
                                      # or "member_id": N / "group_id": N
                                      }, ...]},
         "action_profile_members": {"<profile>": [{"member_id": 1, "action": {...}}]},
         "action_profile_groups": {"<profile>": [{"group_id": 1, "max_size": 0,
                                                 "members": [{"member_id": 1, "weight": 1}]}]}}

    Every table and profile of the pipeline is a key (empty list when it holds nothing);
    lists are sorted and values are canonical hex, so dumps compare with ==. Without a
    pipeline: {"device_id": N, "pipeline": false}. Raises RuntimeError on an RPC failure.
    """
    command = [str(python or p4runtime_python()), str(PEER_SCRIPT), "dump", "--address", address, "--device-id", str(device_id)]
    if tls_dir is not None:
        command += ["--tls-dir", str(tls_dir)]
    if server_name is not None:
        command += ["--server-name", server_name]
    env = dict(os.environ, PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION="python")
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"p4rt_peer dump exited {result.returncode}: {result.stderr}")
    return json.loads(result.stdout)


# --------------------------------------------------------------------------------------
# Entity builders (protobuf JSON for p4.v1 messages), names resolved through a P4Info


def encode(value: int, bitwidth: int | None = None) -> str:
    """A non-negative integer as the shortest big-endian bytestring (zero is one 0x00 byte),
    or padded to the full width of a bit<bitwidth> field, base64 for protobuf JSON. Widths are
    not checked here: that is the target's job."""
    length = max(1, (value.bit_length() + 7) // 8, ((bitwidth or 0) + 7) // 8)
    return base64.b64encode(value.to_bytes(length, "big")).decode()


@dataclass
class Schema:
    """Names to ids over a P4Info as p4rt_peer's `p4info` op returns it (protobuf JSON)."""

    p4info: dict
    _tables: dict = field(init=False)
    _actions: dict = field(init=False)
    _profiles: dict = field(init=False)

    def __post_init__(self):
        def by_name(items):
            out = {}
            for item in items:
                out[item["preamble"]["name"]] = item
                if "alias" in item["preamble"]:
                    out[item["preamble"]["alias"]] = item
            return out

        self._tables = by_name(self.p4info.get("tables", []))
        self._actions = by_name(self.p4info.get("actions", []))
        self._profiles = by_name(self.p4info.get("action_profiles", []))

    @classmethod
    def load(cls, peer: P4RuntimePeer, path: Path) -> "Schema":
        return cls(peer.call("p4info", path=str(path))["p4info"])

    def table_id(self, name: str) -> int:
        return self._tables[name]["preamble"]["id"]

    def table_name(self, name: str) -> str:
        return self._tables[name]["preamble"]["name"]

    def action_id(self, name: str) -> int:
        return self._actions[name]["preamble"]["id"]

    def profile_id(self, name: str) -> int:
        return self._profiles[name]["preamble"]["id"]

    def field_id(self, table: str, name: str) -> int:
        for match_field in self._tables[table]["match_fields"]:
            if match_field["name"] == name:
                return match_field["id"]
        raise KeyError(f"{table} has no match field {name}")

    def action(self, name: str, params: dict[str, int] | None = None) -> dict:
        specs = {p["name"]: p["id"] for p in self._actions[name].get("params", [])}
        out: dict = {"action_id": self.action_id(name)}
        if params:
            out["params"] = [{"param_id": specs[k], "value": encode(v)} for k, v in params.items()]
        return out

    def table_entry(self, table: str, match: dict[str, tuple], action: str | None = None,
                    params: dict[str, int] | None = None, priority: int = 0,
                    member_id: int | None = None, group_id: int | None = None) -> dict:
        """`match` maps field names to ("exact", v), ("lpm", v, prefix_len),
        ("ternary", v, mask), ("range", low, high) or ("optional", v)."""
        fields = []
        for name, (kind, *values) in match.items():
            entry: dict = {"field_id": self.field_id(table, name)}
            if kind in ("exact", "optional"):
                entry[kind] = {"value": encode(values[0])}
            elif kind == "lpm":
                entry[kind] = {"value": encode(values[0]), "prefix_len": values[1]}
            elif kind == "ternary":
                entry[kind] = {"value": encode(values[0]), "mask": encode(values[1])}
            elif kind == "range":
                entry[kind] = {"low": encode(values[0]), "high": encode(values[1])}
            else:
                raise ValueError(f"unknown match kind {kind}")
            fields.append(entry)
        out: dict = {"table_id": self.table_id(table), "match": fields}
        if priority:
            out["priority"] = priority
        if action is not None:
            out["action"] = {"action": self.action(action, params)}
        elif member_id is not None:
            out["action"] = {"action_profile_member_id": member_id}
        elif group_id is not None:
            out["action"] = {"action_profile_group_id": group_id}
        return {"table_entry": out}

    def member(self, profile: str, member_id: int, action: str, params: dict[str, int] | None = None) -> dict:
        return {"action_profile_member": {
            "action_profile_id": self.profile_id(profile), "member_id": member_id, "action": self.action(action, params)}}

    def group(self, profile: str, group_id: int, members: list[int], max_size: int = 0) -> dict:
        body: dict = {"action_profile_id": self.profile_id(profile), "group_id": group_id,
                      "members": [{"member_id": m, "weight": 1} for m in members]}
        if max_size:
            body["max_size"] = max_size
        return {"action_profile_group": body}

    def sample_entities(self) -> tuple[list[dict], list[dict], list[str]]:
        """One valid entry for every table a controller can write, built from the P4Info alone:
        (action profile members the entries use, table entries, names of the tables skipped
        and why). Every match field gets the value 1 in its kind (full-length LPM prefix,
        ternary mask 1, range 1..1), every action parameter 1, the priority 1 where needed;
        a table behind an action profile gets a member of its first action."""
        actions = {a["preamble"]["id"]: a for a in self.p4info.get("actions", [])}
        members: list[dict] = []
        entries: list[dict] = []
        skipped: list[str] = []
        for table in self.p4info.get("tables", []):
            name = table["preamble"]["name"]
            fields = table.get("match_fields", [])
            usable = [ref["id"] for ref in table.get("action_refs", [])
                      if ref.get("scope") != "DEFAULT_ONLY" and "@defaultonly" not in ref.get("annotations", [])]
            if table.get("is_const_table") or not fields or not usable:
                skipped.append(f"{name}: const, keyless or without an entry action")
                continue
            kinds = {"EXACT": lambda w: ("exact", 1), "LPM": lambda w: ("lpm", 1, w), "TERNARY": lambda w: ("ternary", 1, 1),
                     "RANGE": lambda w: ("range", 1, 1), "OPTIONAL": lambda w: ("optional", 1)}
            if any(f.get("match_type") not in kinds or not f.get("bitwidth") for f in fields):
                skipped.append(f"{name}: a match field of another kind or without a bitwidth")
                continue
            action = actions[usable[0]]
            if any(not p.get("bitwidth") for p in action.get("params", [])):
                skipped.append(f"{name}: action {action['preamble']['name']} has a parameter without a bitwidth")
                continue
            match = {f["name"]: kinds[f["match_type"]](f["bitwidth"]) for f in fields}
            priority = 1 if any(f["match_type"] != "EXACT" and f["match_type"] != "LPM" for f in fields) else 0
            params = {p["name"]: 1 for p in action.get("params", [])}
            if table.get("implementation_id"):
                profile = next(p for p in self.p4info.get("action_profiles", [])
                               if p["preamble"]["id"] == table["implementation_id"])
                member_id = len(members) + 1
                members.append(self.member(profile["preamble"]["name"], member_id, action["preamble"]["name"], params))
                entries.append(self.table_entry(name, match, priority=priority, member_id=member_id))
            else:
                entries.append(self.table_entry(name, match, action=action["preamble"]["name"], params=params, priority=priority))
        return members, entries, skipped

    def all_entries(self, table: str | None = None) -> dict:
        """Wildcard read of one table's entries, or of every table's when `table` is None."""
        return {"table_entry": {"table_id": self.table_id(table) if table else 0}}


def insert(entity: dict) -> dict:
    return {"type": "INSERT", "entity": entity}


def modify(entity: dict) -> dict:
    return {"type": "MODIFY", "entity": entity}


def delete(entity: dict) -> dict:
    return {"type": "DELETE", "entity": entity}
