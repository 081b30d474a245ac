"""Programming workloads of scripts/bench-dpdk (see bench_dpdk.py), each run the same way
into infra-p4-dpdk and into infra-p4-emulator so the difference is the target's.

- `bulk_services`: per service, `backends` service_backends members and one service_lb entry
  pointing at its first member (a Python grpcio P4Runtime client, Writes of 64 updates, one
  after another). No selector groups: DPDK 22.11's selector only takes member ids below its
  group size (64 for k8s_dp), so 10,000 services' groups cannot be committed (`intents`
  shows where the manager's own workload stops).
- `service_changes`: with those services present, one service's backend replaced, as the
  manager does it: insert the new member, point the entry at it, delete the old member
  (three Writes), timed from the first request to the last answer.
- `acl_rules`: wildcard-table rules (acl_egress_rules, a port range each) written one update
  per Write and then 64 per Write: DPDK rebuilds a wildcard table on every commit, so this
  shows what one commit per Write saves.
- `intents`: infra-manager + infra-programming-bench (UpsertServices) as
  scripts/bench-programming runs them, against either target.
"""

from __future__ import annotations

import statistics
import time

from bench_programming import PythonClient, Schema, canonical, service_addresses

UPDATES_PER_WRITE = 64


class Ids(Schema):
    """The P4Info ids these workloads use: bench-programming's Schema (service_lb, its
    fields, service_backends, dnat_to_backend and its params) plus the ACL and route tables."""

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


def member(pb, ids: Ids, member_id: int, address: int, port: int, service: int):
    params = ids.params
    return pb.Entity(action_profile_member=pb.ActionProfileMember(
        action_profile_id=ids.profile, member_id=member_id,
        action=pb.Action(action_id=ids.dnat, params=[
            pb.Action.Param(param_id=params["backend_ip"], value=canonical(address)),
            pb.Action.Param(param_id=params["backend_port"], value=canonical(port)),
            pb.Action.Param(param_id=params["service_index"], value=canonical(service)),
            pb.Action.Param(param_id=params["timeout_profile"], value=canonical(1)),
        ])))


def service_entry(pb, ids: Ids, address: int, port: int, protocol: int, *, member_id: int = 0, group_id: int = 0):
    fields = ids.fields
    action = pb.TableAction(action_profile_group_id=group_id) if group_id else pb.TableAction(action_profile_member_id=member_id)
    return pb.Entity(table_entry=pb.TableEntry(
        table_id=ids.table,
        match=sorted([
            pb.FieldMatch(field_id=fields["hdr.ipv4.dst_addr"], exact=pb.FieldMatch.Exact(value=canonical(address))),
            pb.FieldMatch(field_id=fields["hdr.ipv4.protocol"], exact=pb.FieldMatch.Exact(value=canonical(protocol))),
            pb.FieldMatch(field_id=fields["meta.l4_dst_port"], exact=pb.FieldMatch.Exact(value=canonical(port))),
        ], key=lambda m: m.field_id),
        action=action))


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
    pb = client.pb
    insert = pb.Update.INSERT
    began = time.perf_counter()
    members, entries = [], []
    for i in range(services):
        cluster_ip, targets = service_addresses(i, backends)
        for k, (address, port) in enumerate(targets):
            members.append(pb.Update(type=insert, entity=member(pb, ids, i * backends + k + 1, address, port, i + 1)))
        entries.append(pb.Update(type=insert, entity=service_entry(pb, ids, cluster_ip, 80, 6, member_id=i * backends + 1)))
    writes = write_all(client, members, UPDATES_PER_WRITE) + write_all(client, entries, UPDATES_PER_WRITE)
    seconds = time.perf_counter() - began
    objects = len(members) + len(entries)
    return {"services": services, "backends": backends, "objects": objects, "writes": writes,
            "seconds": seconds, "objectsPerSecond": objects / seconds}


def service_changes(client: PythonClient, ids: Ids, services: int, backends: int, changes: int) -> dict:
    """Service i (spread over the table) gets a new first backend: insert member, repoint the
    entry, delete the old member."""
    pb = client.pb
    samples = []
    next_id = services * backends + 1
    current = {}
    for n in range(changes):
        i = (n * 7919) % services
        cluster_ip, targets = service_addresses(i, backends)
        old = current.get(i, i * backends + 1)
        new = next_id
        next_id += 1
        address, port = targets[0]
        began = time.perf_counter()
        client.write([pb.Update(type=pb.Update.INSERT, entity=member(pb, ids, new, address, port + 1 + n, i + 1))])
        client.write([pb.Update(type=pb.Update.MODIFY, entity=service_entry(pb, ids, cluster_ip, 80, 6, member_id=new))])
        client.write([pb.Update(type=pb.Update.DELETE, entity=pb.Entity(action_profile_member=pb.ActionProfileMember(
            action_profile_id=ids.profile, member_id=old)))])
        samples.append(time.perf_counter() - began)
        current[i] = new
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
