"""An independent P4Runtime client built only on the PyPI `p4runtime` package's stubs.

It runs in its own venv (.venv-p4runtime, see requirements.txt beside this file), never in
the pytest process, because the p4runtime 1.6.0 wheel needs the pure-Python protobuf
backend and protobuf 7, which the other peers cannot share. Two ways to use it:

  python p4rt_peer.py serve
      A JSON-lines session on stdin/stdout: one request object per line, one answer per
      line. Requests carry protobuf messages in protobuf's JSON mapping (bytes in base64), so
      the caller needs no P4Runtime code; p4runtime_support.P4RuntimePeer drives it.

  python p4rt_peer.py dump --address 127.0.0.1:9559 [--device-id 1] [--tls-dir DIR]
      Prints every entry of the target as JSON (see `dump_target`): table entries per table,
      action profile members and groups, with names from the target's own P4Info and
      values as canonical hex, so two dumps compare with ==. Needs no arbitration.

Answers are {"ok": true, ...} or {"ok": false, "error": {code, code_name, message,
details: [per-update p4.v1.Error]}}.
"""

from __future__ import annotations

import os

# Must be set before protobuf is imported: the wheel's _pb2 modules fail on the upb backend.
os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")

import argparse  # noqa: E402
import json  # noqa: E402
import queue  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

import grpc  # noqa: E402
from google.protobuf import json_format, text_format  # noqa: E402
from google.rpc import code_pb2, status_pb2  # noqa: E402
from p4.config.v1 import p4info_pb2  # noqa: E402
from p4.v1 import p4runtime_pb2, p4runtime_pb2_grpc  # noqa: E402

STATUS_DETAILS_KEY = "grpc-status-details-bin"


def code_name(value: int) -> str:
    try:
        return code_pb2.Code.Name(value)
    except ValueError:
        return f"CODE_{value}"


def to_json(message) -> dict:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def uint128(high: int, low: int) -> p4runtime_pb2.Uint128:
    return p4runtime_pb2.Uint128(high=high, low=low)


def load_p4info(path: str) -> p4info_pb2.P4Info:
    """Parses a P4Info text file.

    The p4runtime wheel's old-style generated code on the pure-Python protobuf backend (the
    only one it imports on) cannot parse map fields in text format ("'RepeatedCompositeField
    Container' object has no attribute 'GetEntryClass'"). p4c writes one map: `type_info {
    new_types {...} }` (PortId_t's translation). When the whole text fails on that, the
    top-level `type_info` block is left out: nothing this peer encodes depends on it.
    """
    text = Path(path).read_text()
    info = p4info_pb2.P4Info()
    try:
        text_format.Parse(text, info)
    except AttributeError:
        info = p4info_pb2.P4Info()
        text_format.Parse(_without_block(text, "type_info"), info)
    return info


def _without_block(text: str, name: str) -> str:
    """`text` without the top-level `name { ... }` block (braces counted; strings in P4Info
    text never contain braces)."""
    start = text.find(f"\n{name} {{")
    if start < 0:
        return text
    depth = 0
    for index in range(start + 1, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[:start] + text[index + 1:]
    return text


def make_channel(address: str, tls_dir: str | None, server_name: str | None) -> grpc.Channel:
    if tls_dir is None:
        return grpc.insecure_channel(address)
    directory = Path(tls_dir)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=(directory / "ca.crt").read_bytes(),
        private_key=(directory / "tls.key").read_bytes(),
        certificate_chain=(directory / "tls.crt").read_bytes(),
    )
    options = [("grpc.ssl_target_name_override", server_name)] if server_name else []
    return grpc.secure_channel(address, credentials, options=options)


def rpc_error(error: grpc.RpcError) -> dict:
    """The gRPC status of a failed call, with the p4.v1.Error details of its
    google.rpc.Status trailer (one per update of a Write, per entity of a Read)."""
    details = []
    for key, value in error.trailing_metadata() or ():
        if key != STATUS_DETAILS_KEY:
            continue
        status = status_pb2.Status()
        status.ParseFromString(value)
        for packed in status.details:
            item = p4runtime_pb2.Error()
            if not packed.Unpack(item):
                details.append({"type_url": packed.type_url})
                continue
            details.append({
                "canonical_code": item.canonical_code,
                "code_name": code_name(item.canonical_code),
                "message": item.message,
                "space": item.space,
                "code": item.code,
            })
    code = error.code()
    return {"code": code.value[0], "code_name": code.name, "message": error.details() or "", "details": details}


# --------------------------------------------------------------------------------------
# Dump: everything a target holds, by name, canonical values


def canonical_hex(data: bytes) -> str:
    """A bytestring as the number it encodes, so b"\\x00\\x05" and b"\\x05" are both 0x5."""
    return hex(int.from_bytes(data, "big"))


class Names:
    """Id to name lookups over one P4Info."""

    def __init__(self, info: p4info_pb2.P4Info):
        self.tables = {t.preamble.id: t for t in info.tables}
        self.actions = {a.preamble.id: a for a in info.actions}
        self.profiles = {p.preamble.id: p for p in info.action_profiles}

    def table(self, table_id: int) -> str:
        table = self.tables.get(table_id)
        return table.preamble.name if table else f"table#{table_id}"

    def field(self, table_id: int, field_id: int) -> str:
        table = self.tables.get(table_id)
        for field in table.match_fields if table else ():
            if field.id == field_id:
                return field.name
        return f"field#{field_id}"

    def profile(self, profile_id: int) -> str:
        profile = self.profiles.get(profile_id)
        return profile.preamble.name if profile else f"action_profile#{profile_id}"

    def action(self, action: p4runtime_pb2.Action) -> dict:
        info = self.actions.get(action.action_id)
        param_names = {p.id: p.name for p in info.params} if info else {}
        return {
            "name": info.preamble.name if info else f"action#{action.action_id}",
            "params": {param_names.get(p.param_id, f"param#{p.param_id}"): canonical_hex(p.value) for p in action.params},
        }


def describe_match(names: Names, table_id: int, match: p4runtime_pb2.FieldMatch) -> tuple[str, dict]:
    kind = match.WhichOneof("field_match_type")
    value = getattr(match, kind)
    if kind == "exact":
        shown = {"exact": canonical_hex(value.value)}
    elif kind == "ternary":
        shown = {"ternary": {"value": canonical_hex(value.value), "mask": canonical_hex(value.mask)}}
    elif kind == "lpm":
        shown = {"lpm": {"value": canonical_hex(value.value), "prefix_len": value.prefix_len}}
    elif kind == "range":
        shown = {"range": {"low": canonical_hex(value.low), "high": canonical_hex(value.high)}}
    elif kind == "optional":
        shown = {"optional": canonical_hex(value.value)}
    else:
        shown = {kind or "unset": to_json(match)}
    return names.field(table_id, match.field_id), shown


def describe_table_entry(names: Names, entry: p4runtime_pb2.TableEntry) -> dict:
    out: dict = {"match": dict(describe_match(names, entry.table_id, m) for m in entry.match)}
    if entry.priority:
        out["priority"] = entry.priority
    if entry.is_default_action:
        out["is_default_action"] = True
    which = entry.action.WhichOneof("type") if entry.HasField("action") else None
    if which == "action":
        out["action"] = names.action(entry.action.action)
    elif which == "action_profile_member_id":
        out["member_id"] = entry.action.action_profile_member_id
    elif which == "action_profile_group_id":
        out["group_id"] = entry.action.action_profile_group_id
    elif which is not None:
        out[which] = to_json(getattr(entry.action, which))
    if entry.controller_metadata:
        out["controller_metadata"] = entry.controller_metadata
    if entry.metadata:
        out["metadata"] = canonical_hex(entry.metadata)
    if entry.idle_timeout_ns:
        out["idle_timeout_ns"] = entry.idle_timeout_ns
    return out


def _sorted(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


def dump_target(stub, device_id: int) -> dict:
    """Every table entry, default entry override, action profile member and group of the
    target, by name. Tables and profiles without entries appear with empty lists, so two
    dumps of the same pipeline have the same keys."""
    pipeline = stub.GetForwardingPipelineConfig(p4runtime_pb2.GetForwardingPipelineConfigRequest(
        device_id=device_id, response_type=p4runtime_pb2.GetForwardingPipelineConfigRequest.P4INFO_AND_COOKIE), timeout=30)
    if not pipeline.config.HasField("p4info"):
        return {"device_id": device_id, "pipeline": False}
    names = Names(pipeline.config.p4info)
    request = p4runtime_pb2.ReadRequest(device_id=device_id)
    request.entities.add().table_entry.table_id = 0
    request.entities.add().action_profile_member.action_profile_id = 0
    request.entities.add().action_profile_group.action_profile_id = 0
    tables: dict[str, list] = {names.table(i): [] for i in names.tables}
    members: dict[str, list] = {names.profile(i): [] for i in names.profiles}
    groups: dict[str, list] = {names.profile(i): [] for i in names.profiles}
    for response in stub.Read(request, timeout=60):
        for entity in response.entities:
            kind = entity.WhichOneof("entity")
            if kind == "table_entry":
                entry = entity.table_entry
                tables.setdefault(names.table(entry.table_id), []).append(describe_table_entry(names, entry))
            elif kind == "action_profile_member":
                member = entity.action_profile_member
                members.setdefault(names.profile(member.action_profile_id), []).append(
                    {"member_id": member.member_id, "action": names.action(member.action)})
            elif kind == "action_profile_group":
                group = entity.action_profile_group
                groups.setdefault(names.profile(group.action_profile_id), []).append({
                    "group_id": group.group_id,
                    "max_size": group.max_size,
                    "members": sorted(
                        ({"member_id": m.member_id, "weight": m.weight} for m in group.members),
                        key=lambda m: m["member_id"]),
                })
    return {
        "device_id": device_id,
        "pipeline": True,
        "cookie": pipeline.config.cookie.cookie,
        "tables": {name: _sorted(entries) for name, entries in sorted(tables.items())},
        "action_profile_members": {name: _sorted(items) for name, items in sorted(members.items())},
        "action_profile_groups": {name: _sorted(items) for name, items in sorted(groups.items())},
    }


# --------------------------------------------------------------------------------------
# The JSON-lines session


class Session:
    """One client: a channel, and after `arbitrate` an open StreamChannel."""

    def __init__(self):
        self.channel: grpc.Channel | None = None
        self.stub = None
        self.device_id = 0
        self.election_id: p4runtime_pb2.Uint128 | None = None
        self.role = ""
        self._outbound: queue.Queue | None = None
        self._stream_messages: queue.Queue = queue.Queue()
        self._stream_thread: threading.Thread | None = None

    # Requests ---------------------------------------------------------------------------

    def op_connect(self, address: str, device_id: int = 1, tls_dir: str | None = None, server_name: str | None = None) -> dict:
        self.channel = make_channel(address, tls_dir, server_name)
        grpc.channel_ready_future(self.channel).result(timeout=15)
        self.stub = p4runtime_pb2_grpc.P4RuntimeStub(self.channel)
        self.device_id = device_id
        return {}

    def op_capabilities(self) -> dict:
        response = self.stub.Capabilities(p4runtime_pb2.CapabilitiesRequest(device_id=self.device_id))
        return {"version": response.p4runtime_api_version}

    def op_arbitrate(self, election_id: list[int], device_id: int | None = None, role: str = "", timeout: float = 15) -> dict:
        """Opens the StreamChannel (once) and sends a MasterArbitrationUpdate; returns the
        first arbitration answer."""
        self.election_id = uint128(*election_id)
        self.role = role
        update = p4runtime_pb2.StreamMessageRequest()
        update.arbitration.device_id = self.device_id if device_id is None else device_id
        update.arbitration.election_id.CopyFrom(self.election_id)
        if role:
            update.arbitration.role.name = role
        if self._outbound is None:
            self._outbound = queue.Queue()
            responses = self.stub.StreamChannel(iter(self._outbound.get, None))
            self._stream_thread = threading.Thread(target=self._pump, args=(responses,), daemon=True)
            self._stream_thread.start()
        self._outbound.put(update)
        return self.op_next_stream_message(timeout=timeout)

    def op_next_stream_message(self, timeout: float = 15) -> dict:
        kind, payload = self._stream_messages.get(timeout=timeout)
        if kind == "closed":
            return {"closed": payload}
        return {"message": payload}

    def op_set_pipeline(self, p4info_path: str, cookie: int = 0, election_id: list[int] | None = None) -> dict:
        request = p4runtime_pb2.SetForwardingPipelineConfigRequest(
            device_id=self.device_id, role=self.role,
            action=p4runtime_pb2.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT)
        request.election_id.CopyFrom(uint128(*election_id) if election_id else self.election_id)
        request.config.p4info.CopyFrom(load_p4info(p4info_path))
        request.config.cookie.cookie = cookie
        self.stub.SetForwardingPipelineConfig(request)
        return {}

    def op_get_pipeline(self) -> dict:
        response = self.stub.GetForwardingPipelineConfig(
            p4runtime_pb2.GetForwardingPipelineConfigRequest(device_id=self.device_id))
        return {"config": to_json(response.config)}

    def op_write(self, updates: list[dict], election_id: list[int] | None = None,
                 atomicity: str = "CONTINUE_ON_ERROR") -> dict:
        request = p4runtime_pb2.WriteRequest(device_id=self.device_id, role=self.role)
        chosen = uint128(*election_id) if election_id else self.election_id
        if chosen is not None:
            request.election_id.CopyFrom(chosen)
        request.atomicity = p4runtime_pb2.WriteRequest.Atomicity.Value(atomicity)
        for update in updates:
            json_format.ParseDict(update, request.updates.add())
        self.stub.Write(request)
        return {}

    def op_read(self, entities: list[dict]) -> dict:
        request = p4runtime_pb2.ReadRequest(device_id=self.device_id, role=self.role)
        for entity in entities:
            json_format.ParseDict(entity, request.entities.add())
        out = []
        responses = 0
        for response in self.stub.Read(request):
            responses += 1
            out.extend(to_json(e) for e in response.entities)
        return {"entities": out, "responses": responses}

    def op_dump(self) -> dict:
        return {"dump": dump_target(self.stub, self.device_id)}

    def op_p4info(self, path: str) -> dict:
        """The P4Info text file parsed by this package's p4info_pb2, as JSON (for name lookups)."""
        return {"p4info": to_json(load_p4info(path))}

    def op_close(self) -> dict:
        self.close()
        return {}

    # Plumbing -------------------------------------------------------------------------

    def _pump(self, responses) -> None:
        try:
            for message in responses:
                self._stream_messages.put(("message", to_json(message)))
            self._stream_messages.put(("closed", {"code_name": "OK"}))
        except grpc.RpcError as error:
            self._stream_messages.put(("closed", rpc_error(error)))

    def close(self) -> None:
        if self._outbound is not None:
            self._outbound.put(None)
            self._outbound = None
        if self.channel is not None:
            self.channel.close()
            self.channel = None

    def handle(self, request: dict) -> dict:
        op = request.pop("op", None)
        method = getattr(self, f"op_{op}", None)
        if method is None:
            return {"ok": False, "error": {"code_name": "BAD_REQUEST", "message": f"unknown op {op!r}"}}
        try:
            return {"ok": True, **method(**request)}
        except grpc.RpcError as error:
            return {"ok": False, "error": rpc_error(error)}
        except queue.Empty:
            return {"ok": False, "error": {"code_name": "NO_STREAM_MESSAGE", "message": "no stream message in time"}}
        except Exception as error:  # report, keep the session alive
            return {"ok": False, "error": {"code_name": "PEER_EXCEPTION", "message": f"{type(error).__name__}: {error}"}}


def serve() -> int:
    session = Session()
    print(json.dumps({"ok": True, "ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        answer = session.handle(json.loads(line))
        print(json.dumps(answer), flush=True)
    session.close()
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="JSON-lines session on stdin/stdout")
    dump = commands.add_parser("dump", help="print every entry of a target as JSON")
    dump.add_argument("--address", required=True)
    dump.add_argument("--device-id", type=int, default=1)
    dump.add_argument("--tls-dir", help="client identity directory (ca.crt, tls.crt, tls.key) for mTLS")
    dump.add_argument("--server-name", help="name to verify the server certificate against")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve()
    channel = make_channel(args.address, args.tls_dir, args.server_name)
    try:
        # No wait for readiness: a target that cannot be reached fails the first call at once.
        stub = p4runtime_pb2_grpc.P4RuntimeStub(channel)
        json.dump(dump_target(stub, args.device_id), sys.stdout, indent=2, sort_keys=True)
        print()
    except grpc.RpcError as error:
        print(json.dumps({"error": rpc_error(error)}), file=sys.stderr)
        return 1
    finally:
        channel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
