"""Programming workloads of scripts/bench-dpdk (see bench_dpdk.py), each run the same way
into infra-p4-dpdk and into infra-p4-emulator so the difference is the target's.

- `bulk_services`: the objects infra-manager writes for `services` services of `backends`
  backends (bench-programming's baseline: per service its service_slots entries, its
  selector group, its service_select and service_lb entries; Writes of 64 updates, one after
  another; the selector's slot members before, untimed).
- `service_changes`: with those services present, one service's first backend replaced, as
  the manager does it: one Write modifying that slot's service_slots entry, timed from the
  request to the answer (the group and the other entries do not change).
- `acl_rules`: wildcard-table rules (acl_egress_rules, a port range each) written one update
  per Write and then 64 per Write: DPDK rebuilds a wildcard table on every commit, so this
  shows what one commit per Write saves.
- `intents`: infra-manager + infra-programming-bench (UpsertServices) as
  scripts/bench-programming runs them, against either target.
"""

from __future__ import annotations

import statistics
import time

from bench_programming import PythonClient, Schema, baseline_bulk, baseline_members, canonical, exact, service_addresses

UPDATES_PER_WRITE = 64


class Ids(Schema):
    """The P4Info ids these workloads use: bench-programming's Schema (the Service tables,
    their fields, actions and the selector) plus the ACL and route tables."""

    def __init__(self, info):
        super().__init__(info)
        one = self.one
        acl = one(info.tables, "acl_egress_rules")
        self.acl = acl.preamble.id
        self.acl_fields = {f.name: f.id for f in acl.match_fields}
        self.acl_allow = one(info.actions, "acl_allow").preamble.id
        route = one(info.tables, "ipv4_to_port")
        self.route = route.preamble.id
        self.route_field = route.match_fields[0].id
        to_pod = one(info.actions, "to_pod")
        self.to_pod = to_pod.preamble.id
        self.to_pod_params = {p.name: p.id for p in to_pod.params}


def slot_entry(pb, ids: Ids, service: int, slot: int, address: int, port: int):
    """service_slots: slot `slot` of service index `service` DNATs to address:port."""
    fields = ids.slots_fields
    return pb.Entity(table_entry=pb.TableEntry(
        table_id=ids.slots_table,
        match=sorted([exact(pb, fields["meta.service_index"], service), exact(pb, fields["meta.lb_slot"], slot)], key=lambda m: m.field_id),
        action=pb.TableAction(action=pb.Action(action_id=ids.dnat, params=[
            pb.Action.Param(param_id=ids.params["backend_ip"], value=canonical(address)),
            pb.Action.Param(param_id=ids.params["backend_port"], value=canonical(port)),
        ]))))


def service_updates(pb, ids: Ids, service: int, address: int, port: int, protocol: int, backend: tuple[int, int]) -> list:
    """A service with one backend, in dependency order: slot member 1 (slot 0), the slot's
    entry, group `service` listing it, the select entry and the frontend (to_service, timeout
    profile 1). Each as its own Write, so it works on a target that reorders within one."""
    insert = pb.Update.INSERT
    select_fields, fields = ids.select_fields, ids.fields
    return [
        pb.Update(type=insert, entity=pb.Entity(action_profile_member=pb.ActionProfileMember(
            action_profile_id=ids.profile, member_id=1, action=pb.Action(action_id=ids.pick_slot, params=[
                pb.Action.Param(param_id=ids.pick_slot_params["slot"], value=canonical(0))])))),
        pb.Update(type=insert, entity=slot_entry(pb, ids, service, 0, *backend)),
        pb.Update(type=insert, entity=pb.Entity(action_profile_group=pb.ActionProfileGroup(
            action_profile_id=ids.profile, group_id=service, members=[pb.ActionProfileGroup.Member(member_id=1, weight=1)]))),
        pb.Update(type=insert, entity=pb.Entity(table_entry=pb.TableEntry(
            table_id=ids.select_table, match=[exact(pb, select_fields["meta.service_index"], service)],
            action=pb.TableAction(action_profile_group_id=service)))),
        pb.Update(type=insert, entity=pb.Entity(table_entry=pb.TableEntry(
            table_id=ids.table,
            match=sorted([exact(pb, fields["hdr.ipv4.dst_addr"], address), exact(pb, fields["hdr.ipv4.protocol"], protocol),
                          exact(pb, fields["meta.l4_dst_port"], port)], key=lambda m: m.field_id),
            action=pb.TableAction(action=pb.Action(action_id=ids.to_service, params=[
                pb.Action.Param(param_id=ids.to_service_params["service_index"], value=canonical(service)),
                pb.Action.Param(param_id=ids.to_service_params["timeout_profile"], value=canonical(1)),
            ]))))),
    ]


def route(pb, ids: Ids, address: int, port: int, pod_mac: bytes, gateway_mac: bytes):
    params = ids.to_pod_params
    return pb.Entity(table_entry=pb.TableEntry(
        table_id=ids.route,
        match=[pb.FieldMatch(field_id=ids.route_field, exact=pb.FieldMatch.Exact(value=canonical(address)))],
        action=pb.TableAction(action=pb.Action(action_id=ids.to_pod, params=[
            pb.Action.Param(param_id=params["port"], value=canonical(port)),
            pb.Action.Param(param_id=params["pod_mac"], value=pod_mac),
            pb.Action.Param(param_id=params["gateway_mac"], value=gateway_mac),
        ]))))


def write_all(client: PythonClient, updates: list, per_write: int) -> int:
    writes = 0
    for start in range(0, len(updates), per_write):
        client.write(updates[start:start + per_write])
        writes += 1
    return writes


def bulk_services(client: PythonClient, ids: Ids, services: int, backends: int) -> dict:
    baseline_members(client, ids)
    out = baseline_bulk(client, ids, services, backends, batch=services)
    return {"services": services, "backends": backends, "objects": out["objects"], "writes": out["writes"],
            "seconds": out["bulkSeconds"], "objectsPerSecond": out["objectsPerSecond"]}


def service_changes(client: PythonClient, ids: Ids, services: int, backends: int, changes: int) -> dict:
    """Service i (spread over the table) gets a new first backend: its slot 0 entry is
    modified (one Write), as the manager does it."""
    pb = client.pb
    samples = []
    for n in range(changes):
        i = (n * 7919) % services
        _, targets = service_addresses(i, backends)
        address, port = targets[0]
        update = pb.Update(type=pb.Update.MODIFY, entity=slot_entry(pb, ids, i + 1, 0, address, port + 1 + n))
        began = time.perf_counter()
        client.write([update])
        samples.append(time.perf_counter() - began)
    return summary(samples)


def acl_rules(client: PythonClient, ids: Ids, rules: int, per_write: int) -> dict:
    """`rules` rules (ACL id i, destination ports 1000-2000: several DPDK prefix entries each) in
    Writes of `per_write`, then deleted the same way (not timed)."""
    pb = client.pb
    fields = ids.acl_fields

    def rule(i: int):
        return pb.Entity(table_entry=pb.TableEntry(
            table_id=ids.acl, priority=10,
            match=sorted([
                pb.FieldMatch(field_id=fields["meta.acl_id"], exact=pb.FieldMatch.Exact(value=canonical(i + 1))),
                pb.FieldMatch(field_id=fields["meta.l4_dst_port"], range=pb.FieldMatch.Range(low=canonical(1000), high=canonical(2000))),
            ], key=lambda m: m.field_id),
            action=pb.TableAction(action=pb.Action(action_id=ids.acl_allow))))

    inserts = [pb.Update(type=pb.Update.INSERT, entity=rule(i)) for i in range(rules)]
    began = time.perf_counter()
    writes = write_all(client, inserts, per_write)
    seconds = time.perf_counter() - began
    write_all(client, [pb.Update(type=pb.Update.DELETE, entity=rule(i)) for i in range(rules)], UPDATES_PER_WRITE)
    return {"rules": rules, "perWrite": per_write, "writes": writes, "seconds": seconds, "rulesPerSecond": rules / seconds}


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3

    return {"count": len(ordered), "p50Ms": at(0.50), "p99Ms": at(0.99), "maxMs": ordered[-1] * 1e3,
            "meanMs": statistics.fmean(ordered) * 1e3}
