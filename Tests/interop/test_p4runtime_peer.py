"""The real infra-p4-emulator against an independent P4Runtime client: the PyPI `p4runtime`
1.6.0 package's stubs with grpcio, run in their own venv (p4runtime/p4rt_peer.py).

Entities are built here by field and action names from the P4Info, encoded by the peer's
protobuf, and read back with wildcard reads; refusals are checked by gRPC code and by the
p4.v1.Error of each update in the google.rpc.Status trailer (P4Runtime §12.3)."""

from __future__ import annotations

import json

import pytest

import p4runtime_support as p4
from p4runtime_support import delete, insert, modify

DEVICE_ID = 7
PRIMARY = (0, 100)
OK, INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, OUT_OF_RANGE = 0, 3, 5, 6, 7, 11


@pytest.fixture(scope="session")
def p4rt_python():
    try:
        return p4.p4runtime_python()
    except FileNotFoundError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def emulator_binary():
    path = p4.support.bin_dir() / "infra-p4-emulator"
    if not path.is_file():
        pytest.fail(f"{path} is missing: build it (swift build --product infra-p4-emulator) or set INFRA_BIN")
    return path


@pytest.fixture()
def emulator(emulator_binary, tmp_path):
    process = p4.EmulatorProcess(emulator_binary, tmp_path / "emulator", device_id=DEVICE_ID).start()
    yield process
    process.stop()


@pytest.fixture()
def primary(p4rt_python, emulator):
    """A peer that is primary and has pushed the fixture P4Info (cookie 41)."""
    with p4.P4RuntimePeer(p4rt_python) as peer:
        peer.connect(emulator.address, DEVICE_ID)
        answer = peer.arbitrate(PRIMARY)
        assert answer["arbitration"].get("status", {}).get("code", OK) == OK, answer
        peer.call("set_pipeline", p4info_path=str(p4.FIXTURE_P4INFO), cookie=41)
        yield peer


@pytest.fixture()
def schema(primary):
    return p4.Schema.load(primary, p4.FIXTURE_P4INFO)


def canonical(entities: list[dict]) -> list[str]:
    return sorted(json.dumps(e, sort_keys=True) for e in entities)


def routes(schema: p4.Schema) -> list[dict]:
    return [
        schema.table_entry("pod_route", {"hdr.ipv4.dst_addr": ("lpm", 0x0A000000 | (i << 8), 24)},
                           action="to_port", params={"port": i, "dmac": 0x02AA00000000 | i})
        for i in range(1, 4)
    ]


def acls(schema: p4.Schema) -> list[dict]:
    return [
        schema.table_entry("policy_acl", {"hdr.ipv4.src_addr": ("ternary", 0x0A000000, 0xFF000000), "hdr.ipv4.protocol": ("exact", 6)},
                           action="permit", priority=20),
        schema.table_entry("policy_acl", {"hdr.ipv4.protocol": ("exact", 17)}, action="deny", priority=10),
    ]


def backends(schema: p4.Schema) -> tuple[list[dict], list[dict], list[dict]]:
    members = [schema.member("backend_selector", m, "to_port", {"port": m, "dmac": 0x02BB00000000 | m}) for m in (1, 2, 3)]
    groups = [schema.group("backend_selector", 100, [1, 2, 3], max_size=8)]
    entries = [
        schema.table_entry("service_backends", {"meta.service_id": ("exact", 80)}, group_id=100),
        schema.table_entry("service_backends", {"meta.service_id": ("exact", 443)}, member_id=2),
    ]
    return members, groups, entries


def test_capabilities_and_arbitration(p4rt_python, emulator):
    with p4.P4RuntimePeer(p4rt_python) as peer:
        peer.connect(emulator.address, DEVICE_ID)
        assert peer.call("capabilities")["version"] == "1.5.0"
        answer = peer.arbitrate(PRIMARY)["arbitration"]
        assert int(answer["device_id"]) == DEVICE_ID
        assert answer.get("status", {}).get("code", OK) == OK, answer
        assert int(answer["election_id"].get("low", 0)) == PRIMARY[1]
        assert "role" not in answer, "the default role is left unset"
        # No pipeline yet: Get answers OK without a config (§15), Read is refused.
        assert peer.call("get_pipeline")["config"] == {}
        with pytest.raises(p4.PeerError) as refused:
            peer.read([{"table_entry": {"table_id": 0}}])
        assert refused.value.code_name == "FAILED_PRECONDITION"


def test_arbitration_for_another_device_is_refused(p4rt_python, emulator):
    with p4.P4RuntimePeer(p4rt_python) as peer:
        peer.connect(emulator.address, DEVICE_ID)
        answer = peer.call("arbitrate", election_id=list(PRIMARY), device_id=DEVICE_ID + 1)
        assert "closed" in answer, answer
        assert answer["closed"]["code_name"] == "NOT_FOUND", answer


def test_pipeline_is_set_and_read_back(primary, schema):
    config = primary.call("get_pipeline")["config"]
    assert int(config["cookie"]["cookie"]) == 41
    names = {t["preamble"]["name"] for t in config["p4info"]["tables"]}
    assert names == {"ingress.pod_route", "ingress.policy_acl", "ingress.service_backends"}
    assert config["p4info"] == schema.p4info, "the target returns the P4Info it was given"


def test_write_batch_and_wildcard_read(primary, schema):
    members, groups, entries = backends(schema)
    primary.write([insert(e) for e in routes(schema) + acls(schema)])
    # Members, then groups, then the entries that use them: a server may reorder one batch.
    primary.write([insert(m) for m in members])
    primary.write([insert(g) for g in groups])
    primary.write([insert(e) for e in entries])

    assert canonical(primary.read([schema.all_entries("pod_route")])) == canonical(routes(schema))
    assert canonical(primary.read([schema.all_entries("policy_acl")])) == canonical(acls(schema))
    everything = primary.read([schema.all_entries(), {"action_profile_member": {}}, {"action_profile_group": {}}])
    assert canonical(everything) == canonical(routes(schema) + acls(schema) + entries + members + groups)

    # MODIFY and DELETE are seen by the next read.
    changed = schema.table_entry("pod_route", {"hdr.ipv4.dst_addr": ("lpm", 0x0A000100, 24)}, action="deny")
    primary.write([modify(changed), delete(routes(schema)[2])])
    assert canonical(primary.read([schema.all_entries("pod_route")])) == canonical([changed, routes(schema)[1]])

    # A read of one key finds that entry only.
    key = schema.table_entry("policy_acl", {"hdr.ipv4.protocol": ("exact", 17)}, priority=10)
    assert canonical(primary.read([key])) == canonical([acls(schema)[1]])


def test_refusals_carry_a_p4_error_per_update(primary, schema):
    good = schema.table_entry("policy_acl", {"hdr.ipv4.protocol": ("exact", 1)}, action="deny", priority=5)
    unknown_table = json.loads(json.dumps(good))
    unknown_table["table_entry"]["table_id"] = 33559999
    too_wide_match = schema.table_entry("policy_acl", {"hdr.ipv4.protocol": ("exact", 0x1FF)}, action="deny", priority=5)
    too_wide_param = schema.table_entry("pod_route", {"hdr.ipv4.dst_addr": ("lpm", 0x0B000000, 8)},
                                        action="to_port", params={"port": 0x200, "dmac": 1})
    no_priority = schema.table_entry("policy_acl", {"hdr.ipv4.protocol": ("exact", 2)}, action="deny")
    default_only = schema.table_entry("pod_route", {"hdr.ipv4.dst_addr": ("lpm", 0x0C000000, 8)}, action="NoAction")
    also_good = schema.table_entry("pod_route", {"hdr.ipv4.dst_addr": ("lpm", 0x0D000000, 8)}, action="deny")
    batch = [good, unknown_table, too_wide_match, too_wide_param, no_priority, default_only, also_good]

    with pytest.raises(p4.PeerError) as refused:
        primary.write([insert(e) for e in batch])
    assert refused.value.code_name == "UNKNOWN", "a batch with failed updates is UNKNOWN overall (§12.3)"
    details = refused.value.details
    assert [d["canonical_code"] for d in details] == [
        OK, INVALID_ARGUMENT, OUT_OF_RANGE, OUT_OF_RANGE, INVALID_ARGUMENT, PERMISSION_DENIED, OK,
    ], details
    assert "33559999" in details[1]["message"]
    assert "priority" in details[4]["message"]
    # The updates that were fine are committed (CONTINUE_ON_ERROR).
    stored = primary.read([schema.all_entries()])
    assert canonical(stored) == canonical([good, also_good])

    # Duplicates and missing keys: ALREADY_EXISTS and NOT_FOUND, per update.
    missing = schema.table_entry("pod_route", {"hdr.ipv4.dst_addr": ("lpm", 0x0E000000, 8)}, action="deny")
    with pytest.raises(p4.PeerError) as refused:
        primary.write([insert(good), delete(missing), modify(missing)])
    assert [d["canonical_code"] for d in refused.value.details] == [ALREADY_EXISTS, NOT_FOUND, NOT_FOUND]

    # A group naming a member that does not exist is refused, and so is an entry pointing at
    # a group that does not exist.
    with pytest.raises(p4.PeerError) as refused:
        primary.write([insert(schema.group("backend_selector", 7, [99]))])
    assert refused.value.details[0]["canonical_code"] == NOT_FOUND, refused.value.details
    with pytest.raises(p4.PeerError) as refused:
        primary.write([insert(schema.table_entry("service_backends", {"meta.service_id": ("exact", 1)}, group_id=7))])
    assert refused.value.details[0]["canonical_code"] == NOT_FOUND, refused.value.details


def test_padded_bytestrings_name_the_same_entry_and_read_back_canonical(primary, schema):
    """§8.3: a server accepts values padded to the field's full width and reads back the
    canonical (shortest) form; padded and canonical spellings are one key."""
    padded = schema.table_entry("policy_acl", {"hdr.ipv4.src_addr": ("ternary", 0x0A000000, 0xFF000000),
                                               "hdr.ipv4.protocol": ("exact", 6)}, action="permit", priority=3)
    padded["table_entry"]["match"][1]["exact"]["value"] = p4.encode(6, bitwidth=8)
    route = schema.table_entry("pod_route", {"hdr.ipv4.dst_addr": ("lpm", 0x0A000000, 8)}, action="to_port",
                               params={"port": 1, "dmac": 0x02})
    route["table_entry"]["match"][0]["lpm"]["value"] = p4.encode(0x0A000000, bitwidth=32)
    route["table_entry"]["action"]["action"]["params"] = [
        {"param_id": 1, "value": p4.encode(1, bitwidth=9)}, {"param_id": 2, "value": p4.encode(0x02, bitwidth=48)}]
    assert route["table_entry"]["action"]["action"]["params"][1]["value"] == "AAAAAAAC", "six bytes on the wire"
    primary.write([insert(padded), insert(route)])

    canonical_route = schema.table_entry("pod_route", {"hdr.ipv4.dst_addr": ("lpm", 0x0A000000, 8)}, action="to_port",
                                         params={"port": 1, "dmac": 0x02})
    read = primary.read([schema.all_entries("pod_route")])
    assert read == [canonical_route], read
    with pytest.raises(p4.PeerError) as refused:
        primary.write([insert(canonical_route)])
    assert [d["canonical_code"] for d in refused.value.details] == [ALREADY_EXISTS]


def test_non_primary_writer_is_refused(p4rt_python, emulator, primary, schema):
    entry = routes(schema)[0]
    with p4.P4RuntimePeer(p4rt_python) as backup:
        backup.connect(emulator.address, DEVICE_ID)
        answer = backup.arbitrate((0, 50))["arbitration"]
        # A backup hears ALREADY_EXISTS while a primary is connected, with the primary's id (§5.4).
        assert answer["status"]["code"] == ALREADY_EXISTS, answer
        assert int(answer["election_id"]["low"]) == PRIMARY[1]
        with pytest.raises(p4.PeerError) as refused:
            backup.write([insert(entry)])
        assert refused.value.code_name == "PERMISSION_DENIED"
        with pytest.raises(p4.PeerError) as refused:
            backup.call("set_pipeline", p4info_path=str(p4.FIXTURE_P4INFO), election_id=[0, 50])
        assert refused.value.code_name == "PERMISSION_DENIED"
        # Any election id other than the primary's is refused (here one above it, never
        # arbitrated); reads need no primacy.
        with pytest.raises(p4.PeerError) as refused:
            backup.write([insert(entry)], election_id=[0, 101])
        assert refused.value.code_name == "PERMISSION_DENIED"
        assert backup.read([schema.all_entries()]) == []

    # The primary is unaffected and its write lands.
    primary.write([insert(entry)])
    assert canonical(primary.read([schema.all_entries("pod_route")])) == canonical([entry])


def test_dump_target_names_every_entry(primary, schema, emulator):
    members, groups, entries = backends(schema)
    primary.write([insert(e) for e in routes(schema)[:1] + acls(schema)[:1]])
    primary.write([insert(m) for m in members[:2]])
    primary.write([insert(schema.group("backend_selector", 100, [1, 2], max_size=8))])
    primary.write([insert(e) for e in entries])

    dumped = p4.dump_target(emulator.address, DEVICE_ID)
    expected = {
        "device_id": DEVICE_ID,
        "pipeline": True,
        "cookie": 41,
        "tables": {
            "ingress.pod_route": [{
                "match": {"hdr.ipv4.dst_addr": {"lpm": {"value": "0xa000100", "prefix_len": 24}}},
                "action": {"name": "ingress.to_port", "params": {"port": "0x1", "dmac": "0x2aa00000001"}},
            }],
            "ingress.policy_acl": [{
                "match": {"hdr.ipv4.src_addr": {"ternary": {"value": "0xa000000", "mask": "0xff000000"}},
                          "hdr.ipv4.protocol": {"exact": "0x6"}},
                "priority": 20,
                "action": {"name": "ingress.permit", "params": {}},
            }],
            "ingress.service_backends": [
                # Sorted by their JSON text, so the group entry comes first.
                {"match": {"meta.service_id": {"exact": "0x50"}}, "group_id": 100},
                {"match": {"meta.service_id": {"exact": "0x1bb"}}, "member_id": 2},
            ],
        },
        "action_profile_members": {"ingress.backend_selector": [
            {"member_id": m, "action": {"name": "ingress.to_port", "params": {"port": hex(m), "dmac": hex(0x02BB00000000 | m)}}}
            for m in (1, 2)
        ]},
        "action_profile_groups": {"ingress.backend_selector": [
            {"group_id": 100, "max_size": 8, "members": [{"member_id": 1, "weight": 1}, {"member_id": 2, "weight": 1}]},
        ]},
    }
    assert dumped == expected
    # The same through an open session, and the same after the writer has gone.
    assert primary.dump() == expected
    primary.close()
    assert p4.dump_target(emulator.address, DEVICE_ID) == expected


def test_pipeline_p4info_takes_an_entry_in_every_table(p4rt_python, emulator):
    """k8s_dp's P4Info once it is committed (the fixture until then): the target takes it, a
    dump lists every table of it, empty, and one entry per writable table, encoded by the
    independent client from the P4Info alone, is accepted and read back unchanged."""
    path = p4.pipeline_p4info()
    with p4.P4RuntimePeer(p4rt_python) as peer:
        peer.connect(emulator.address, DEVICE_ID)
        peer.arbitrate(PRIMARY)
        peer.call("set_pipeline", p4info_path=str(path), cookie=1)
        schema = p4.Schema.load(peer, path)
        empty = peer.dump()
        tables = {t["preamble"]["name"] for t in schema.p4info.get("tables", [])}
        assert tables, f"{path} has no tables"
        assert set(empty["tables"]) == tables
        assert all(entries == [] for entries in empty["tables"].values())

        members, entries, skipped = schema.sample_entities()
        assert entries, f"no table of {path} could be written: {skipped}"
        if members:
            peer.write([insert(m) for m in members])
        peer.write([insert(e) for e in entries])
        assert canonical(peer.read([schema.all_entries()])) == canonical(entries)
        assert canonical(peer.read([{"action_profile_member": {}}])) == canonical(members)
        filled = peer.dump()
    ids = {t["preamble"]["id"]: t["preamble"]["name"] for t in schema.p4info["tables"]}
    written = {ids[e["table_entry"]["table_id"]] for e in entries}
    assert {name for name, rows in filled["tables"].items() if rows} == written
    assert all(len(filled["tables"][name]) == 1 for name in written)


def test_mutual_tls(p4rt_python, emulator_binary, pki, tmp_path):
    """The emulator with infra-pki's infrap4d identity, the peer with the p4rt-client identity,
    grpcio (BoringSSL) verifying the chain and the 127.0.0.1 IP SAN."""
    tls_dir = p4.emulator_tls_dir(pki / "infrap4d", tmp_path / "emulator-tls")
    process = p4.EmulatorProcess(emulator_binary, tmp_path / "emulator", device_id=DEVICE_ID, tls_dir=tls_dir).start()
    try:
        assert "mTLS 1.3" in process.log()
        with p4.P4RuntimePeer(p4rt_python) as peer:
            peer.connect(process.address, DEVICE_ID, tls_dir=pki / "p4rt-client")
            answer = peer.arbitrate(PRIMARY)["arbitration"]
            assert answer.get("status", {}).get("code", OK) == OK, answer
            peer.call("set_pipeline", p4info_path=str(p4.FIXTURE_P4INFO), cookie=3)
            schema = p4.Schema.load(peer, p4.FIXTURE_P4INFO)
            peer.write([insert(e) for e in routes(schema)])
            assert canonical(peer.read([schema.all_entries("pod_route")])) == canonical(routes(schema))
        dumped = p4.dump_target(process.address, DEVICE_ID, tls_dir=pki / "p4rt-client")
        assert len(dumped["tables"]["ingress.pod_route"]) == 3
        # A plaintext client gets nothing from the mTLS listener.
        with pytest.raises(RuntimeError):
            p4.dump_target(process.address, DEVICE_ID)
    finally:
        process.stop()
