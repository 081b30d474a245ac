"""infra.v1.InfraManager through an independent client (grpcio, C-core) over mTLS 1.3.

All tests share one manager; every test that looks at counts first sets the whole desired
state with Sync, so the order of tests does not matter.
"""

from __future__ import annotations

import re
import urllib.request

import grpc
import pytest
from health.v1 import health_pb2, health_pb2_grpc
from infra.v1 import manager_pb2 as m
from infra.v1 import objects_pb2 as o

TIMEOUT = 10


def pod(n: int, ip: str | None = None) -> o.PodNetwork:
    return o.PodNetwork(
        key=o.PodInterfaceKey(container_id=f"c{n:04d}", interface_name="eth0"),
        namespace="default",
        pod_name=f"pod-{n}",
        host_interface=f"vport{n}",
        mac_address=f"02:00:00:00:01:{n:02x}",
        ip_addresses=[ip or f"10.244.1.{n}/32"],
    )


def service(name: str, port: int = 80) -> o.Service:
    return o.Service(
        key=o.ServiceKey(namespace="default", name=name),
        cluster_ips=["10.96.0.10"],
        ports=[
            o.ServicePort(
                name="http", protocol=o.PROTOCOL_TCP, port=port,
                backends=[o.Backend(ip_address="10.244.1.1", port=8080)],
            )
        ],
    )


def policy(policy_id: str) -> o.Policy:
    return o.Policy(
        id=policy_id,
        ingress=[o.Rule(action=o.RULE_ACTION_ALLOW, protocol=o.PROTOCOL_TCP, ports=[o.PortRange(first=80, last=80)])],
    )


def endpoint(endpoint_id: str, *policy_ids: str) -> o.Endpoint:
    return o.Endpoint(
        id=endpoint_id,
        pod=o.PodInterfaceKey(container_id="c0001", interface_name="eth0"),
        ip_addresses=["10.244.1.1"],
        ingress_policy_ids=list(policy_ids),
    )


def sync(agent, **state) -> m.SyncResponse:
    return agent.Sync(m.SyncRequest(node_name="node-1", **state), timeout=TIMEOUT)


def status(stub) -> m.StatusResponse:
    return stub.Status(m.StatusRequest(), timeout=TIMEOUT)


def rpc_error(call, *args, **kwargs) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call(*args, timeout=TIMEOUT, **kwargs)
    return raised.value


# ---------------------------------------------------------------------------------------
# Agent identity: reads and writes


def test_agent_sync_then_status_shows_the_state(agent):
    response = sync(agent, pods=[pod(1), pod(2)], services=[service("web")])
    assert response.generation > 0
    current = status(agent)
    assert current.node_name == "node-1"
    assert current.api_version == "infra.v1"
    assert current.manager_version
    assert current.generation == response.generation
    assert (current.desired.pods, current.desired.services) == (2, 1)
    assert any(c.role == "server" and c.identity == "spiffe://infra.cluster.local/manager" for c in current.certificates)


def test_same_sync_twice_keeps_the_generation_and_counts_unchanged(agent):
    state = dict(pods=[pod(1), pod(2), pod(3)], services=[service("web"), service("api")], policies=[policy("default.allow-web")])
    first = sync(agent, **state)
    second = sync(agent, **state)
    assert second.generation == first.generation
    assert (second.pods.unchanged, second.services.unchanged, second.policies.unchanged) == (3, 2, 1)
    for changes in (second.pods, second.services, second.policies, second.endpoints):
        assert (changes.created, changes.updated, changes.deleted) == (0, 0, 0)


def test_sync_replaces_state_and_counts_what_changed(agent):
    sync(agent, pods=[pod(1), pod(2)])
    changed = pod(2, ip="10.244.1.99/32")
    response = sync(agent, pods=[changed, pod(3)])
    assert (response.pods.created, response.pods.updated, response.pods.deleted, response.pods.unchanged) == (1, 1, 1, 0)
    assert status(agent).desired.pods == 2


def test_scoped_sync_leaves_the_kinds_it_does_not_list(agent):
    sync(agent, pods=[pod(1)], services=[service("web"), service("api")])
    request = m.SyncRequest(node_name="node-1", pods=[pod(2)], scope=[m.SYNC_KIND_HOST_INTERFACE, m.SYNC_KIND_PODS])
    response = agent.Sync(request, timeout=TIMEOUT)
    assert (response.pods.created, response.pods.deleted) == (1, 1)
    assert (response.services.created, response.services.deleted, response.services.unchanged) == (0, 0, 0)
    assert (status(agent).desired.pods, status(agent).desired.services) == (1, 2)
    error = rpc_error(agent.Sync, m.SyncRequest(node_name="node-1", scope=[m.SYNC_KIND_PODS, m.SYNC_KIND_PODS]))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "scope[1]" in error.details()
    assert status(agent).desired.services == 2


def test_sync_for_another_node_is_refused(agent):
    before = sync(agent, pods=[pod(1)]).generation
    error = rpc_error(agent.Sync, m.SyncRequest(node_name="node-2", pods=[]))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "node-2" in error.details()
    assert status(agent).generation == before


def test_invalid_address_names_field_path_and_value(agent):
    before = sync(agent, pods=[pod(1)]).generation
    error = rpc_error(agent.Sync, m.SyncRequest(node_name="node-1", pods=[pod(1, ip="10.0.0.300/32")]))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "pods[0].ip_addresses[0]" in error.details()
    assert "10.0.0.300/32" in error.details()
    after = status(agent)
    assert (after.generation, after.desired.pods) == (before, 1)


def test_invalid_field_deep_in_a_batch_is_named(agent):
    bad = service("web")
    bad.ports[0].backends.add(ip_address="10.244.1.2", port=70000)
    error = rpc_error(agent.UpsertServices, m.UpsertServicesRequest(services=[service("ok"), bad]))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "services[1].ports[0].backends[1].port" in error.details()
    assert "70000" in error.details()


def test_create_pod_then_delete_twice_is_idempotent(agent):
    base = sync(agent).generation
    created = agent.CreatePodNetwork(m.CreatePodNetworkRequest(pod=pod(7)), timeout=TIMEOUT)
    assert created.changes.created == 1
    assert created.generation == base + 1
    again = agent.CreatePodNetwork(m.CreatePodNetworkRequest(pod=pod(7)), timeout=TIMEOUT)
    assert (again.changes.unchanged, again.generation) == (1, created.generation)

    key = o.PodInterfaceKey(container_id="c0007", interface_name="eth0")
    deleted = agent.DeletePodNetwork(m.DeletePodNetworkRequest(key=key), timeout=TIMEOUT)
    assert deleted.changes.deleted == 1
    assert deleted.generation == created.generation + 1
    deleted_again = agent.DeletePodNetwork(m.DeletePodNetworkRequest(key=key), timeout=TIMEOUT)
    assert (deleted_again.changes.deleted, deleted_again.changes.unchanged) == (0, 1)
    assert deleted_again.generation == deleted.generation
    assert status(agent).desired.pods == 0


def test_upsert_services_with_duplicate_key_applies_nothing(agent):
    before = sync(agent, services=[service("existing")]).generation
    request = m.UpsertServicesRequest(services=[service("a"), service("b"), service("a", port=81)])
    error = rpc_error(agent.UpsertServices, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "services[2]" in error.details()
    assert "default/a" in error.details() or '"a"' in error.details()
    after = status(agent)
    assert (after.generation, after.desired.services) == (before, 1)


def test_upsert_services_batch_applies_all(agent):
    before = sync(agent).generation
    response = agent.UpsertServices(m.UpsertServicesRequest(services=[service("a"), service("b")]), timeout=TIMEOUT)
    assert (response.changes.created, response.generation) == (2, before + 1)
    assert status(agent).desired.services == 2


def test_policy_batch_referencing_unknown_policy_applies_nothing(agent):
    before = sync(agent, pods=[pod(1)], policies=[policy("default.p1")]).generation
    request = m.UpdatePoliciesRequest(
        upsert_policies=[policy("default.p2")],
        upsert_endpoints=[endpoint("wep-1", "default.p2", "default.missing")],
    )
    error = rpc_error(agent.UpdatePolicies, request)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "default.missing" in error.details()
    after = status(agent)
    assert (after.generation, after.desired.policies, after.desired.endpoints) == (before, 1, 0)

    # The same batch without the dangling reference goes through whole.
    request.upsert_endpoints[0].ingress_policy_ids.remove("default.missing")
    applied = agent.UpdatePolicies(request, timeout=TIMEOUT)
    assert (applied.changes.created, applied.generation) == (2, before + 1)


def test_removing_a_policy_still_in_use_applies_nothing(agent):
    before = sync(agent, policies=[policy("default.p1")], endpoints=[endpoint("wep-1", "default.p1")]).generation
    error = rpc_error(agent.UpdatePolicies, m.UpdatePoliciesRequest(remove_policy_ids=["default.p1"]))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    after = status(agent)
    assert (after.generation, after.desired.policies, after.desired.endpoints) == (before, 1, 1)


# ---------------------------------------------------------------------------------------
# Operator identity: read-only


def test_operator_can_read_status(operator):
    assert status(operator).node_name == "node-1"


def test_operator_sync_is_denied_as_read_only(operator, agent):
    before = status(agent).generation
    error = rpc_error(operator.Sync, m.SyncRequest(node_name="node-1", pods=[pod(9)]))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "read-only" in error.details()
    assert status(agent).generation == before


def test_operator_create_pod_is_denied(operator):
    error = rpc_error(operator.CreatePodNetwork, m.CreatePodNetworkRequest(pod=pod(9)))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


# ---------------------------------------------------------------------------------------
# Health and metrics


@pytest.mark.parametrize("service_name", ["", "infra.v1.InfraManager"])
def test_health_check_serving(agent_channel, service_name):
    response = health_pb2_grpc.HealthStub(agent_channel).Check(
        health_pb2.HealthCheckRequest(service=service_name), timeout=TIMEOUT
    )
    assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_operator_may_check_health(operator_channel):
    response = health_pb2_grpc.HealthStub(operator_channel).Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT)
    assert response.status == health_pb2.HealthCheckResponse.SERVING


def _request_counts(manager) -> dict[tuple[str, str], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{manager.metrics_port}/metrics", timeout=TIMEOUT) as reply:
        assert reply.status == 200
        text = reply.read().decode()
    counts: dict[tuple[str, str], float] = {}
    for line in text.splitlines():
        if not line.startswith("infra_rpc_requests_total{"):
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.index("}") + 1]))
        counts[(labels["method"], labels["code"])] = float(line.rsplit(" ", 1)[1])
    return counts


def test_metrics_count_requests_by_method_and_code(manager, agent, operator):
    before = _request_counts(manager)
    for _ in range(3):
        status(agent)
    rpc_error(operator.Sync, m.SyncRequest(node_name="node-1"))
    after = _request_counts(manager)

    def delta(method: str, code_pattern: str) -> float:
        keys = {k for k in after if k[0] == method and re.fullmatch(code_pattern, k[1], re.IGNORECASE)}
        assert keys, f"no infra_rpc_requests_total sample for {method} code~{code_pattern}: {sorted(after)}"
        return sum(after[k] - before.get(k, 0) for k in keys)

    assert delta("infra.v1.InfraManager/Status", "ok") == 3
    assert delta("infra.v1.InfraManager/Sync", "permission_?denied") == 1
