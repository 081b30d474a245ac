import GRPCCore
import InfraAPI
import InfraChannel
import InfraManagerCore
import Logging
import XCTest

/// The manager's request semantics, called directly: validation, idempotency, all-or-nothing.
final class ManagerServiceTests: XCTestCase {
    var service: ManagerService!

    override func setUp() {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        service = ManagerService(
            settings: .init(nodeName: "node-1", authenticated: false),
            store: DesiredStateStore(), agents: AgentRegistry(),
            statusSource: StatusSource(nodeName: "node-1", serverTLS: nil), stop: GracefulStop(), logger: logger
        )
    }

    func withContext<T: Sendable>(_ body: (ServerContext) async throws -> T) async throws -> T {
        try await withServerContextRPCCancellationHandle { handle in
            let context = ServerContext(
                descriptor: MethodDescriptor(fullyQualifiedService: "infra.v1.InfraManager", method: "Test"),
                remotePeer: "in-process", localPeer: "in-process", cancellation: handle
            )
            return try await body(context)
        }
    }

    func pod(_ id: String, ip: String, port: String, mac: String = "02:00:00:00:00:0a") -> Infra_V1_PodNetwork {
        .with {
            $0.key = .with { $0.containerID = id; $0.interfaceName = "eth0" }
            $0.namespace = "default"
            $0.podName = "pod-\(id)"
            $0.hostInterface = port
            $0.macAddress = mac
            $0.ipAddresses = [ip]
        }
    }

    func service(_ name: String, backends: [String]) -> Infra_V1_Service {
        .with {
            $0.key = .with { $0.namespace = "default"; $0.name = name }
            $0.clusterIps = ["10.96.0.10"]
            $0.ports = [.with {
                $0.name = "http"
                $0.protocol = .tcp
                $0.port = 80
                $0.backends = backends.map { ip in .with { $0.ipAddress = ip; $0.port = 8080 } }
            }]
        }
    }

    func assertStatus(_ code: RPCError.Code, mentioning needles: [String], file: StaticString = #filePath, line: UInt = #line, _ call: () async throws -> Void) async {
        do {
            try await call()
            XCTFail("expected \(code)", file: file, line: line)
        } catch let error as RPCError {
            XCTAssertEqual(error.code, code, error.message, file: file, line: line)
            for needle in needles {
                XCTAssertTrue(error.message.contains(needle), "\(error.message) should mention \(needle)", file: file, line: line)
            }
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }

    func testCreateIsIdempotentAndDeleteOfUnknownSucceeds() async throws {
        let request = Infra_V1_CreatePodNetworkRequest.with { $0.pod = pod("a", ip: "10.244.1.7/32", port: "tap0") }
        let first = try await withContext { try await service.createPodNetwork(request: request, context: $0) }
        let second = try await withContext { try await service.createPodNetwork(request: request, context: $0) }
        XCTAssertEqual(first.changes.created, 1)
        XCTAssertEqual(second.changes.unchanged, 1)
        XCTAssertEqual(first.generation, second.generation)

        let delete = Infra_V1_DeletePodNetworkRequest.with { $0.key = request.pod.key }
        let deleted = try await withContext { try await service.deletePodNetwork(request: delete, context: $0) }
        let again = try await withContext { try await service.deletePodNetwork(request: delete, context: $0) }
        XCTAssertEqual(deleted.changes.deleted, 1)
        XCTAssertEqual(again.changes.unchanged, 1)
        XCTAssertEqual(again.generation, deleted.generation)
    }

    func testInvalidFieldsAreNamedWithTheirValue() async {
        await assertStatus(.invalidArgument, mentioning: ["pod.ip_addresses[0]", "10.0.0.300/32"]) {
            _ = try await withContext { try await service.createPodNetwork(request: .with { $0.pod = pod("a", ip: "10.0.0.300/32", port: "tap0") }, context: $0) }
        }
        await assertStatus(.invalidArgument, mentioning: ["pod.mac_address", "01:00:5e:00:00:01"]) {
            _ = try await withContext { try await service.createPodNetwork(request: .with { $0.pod = pod("a", ip: "10.0.0.3/32", port: "tap0", mac: "01:00:5e:00:00:01") }, context: $0) }
        }
        await assertStatus(.invalidArgument, mentioning: ["services[0].ports[0].backends[1].ip_address", "nope"]) {
            _ = try await withContext { try await service.upsertServices(request: .with { $0.services = [service("web", backends: ["10.244.1.7", "nope"])] }, context: $0) }
        }
    }

    func testBatchesAreAllOrNothing() async throws {
        // The second service is invalid: the first must not be applied either.
        await assertStatus(.invalidArgument, mentioning: ["services[1]"]) {
            _ = try await withContext { try await service.upsertServices(request: .with {
                $0.services = [service("web", backends: ["10.244.1.7"]), service("", backends: [])]
            }, context: $0) }
        }
        await assertStatus(.invalidArgument, mentioning: ["appears twice"]) {
            _ = try await withContext { try await service.upsertServices(request: .with {
                $0.services = [service("web", backends: ["10.244.1.7"]), service("web", backends: ["10.244.1.8"])]
            }, context: $0) }
        }
        // An endpoint that refers to a missing policy: a conflict, and the policy in the same
        // batch must not be stored.
        await assertStatus(.failedPrecondition, mentioning: ["missing-policy"]) {
            _ = try await withContext { try await service.updatePolicies(request: .with {
                $0.upsertPolicies = [.with { $0.id = "allow-web"; $0.ingress = [.with { $0.action = .allow }] }]
                $0.upsertEndpoints = [.with { $0.id = "ep1"; $0.ingressPolicyIds = ["allow-web", "missing-policy"] }]
            }, context: $0) }
        }
        let state = await service.store.state
        XCTAssertEqual(state.services.count, 0)
        XCTAssertEqual(state.policies.count, 0)
        XCTAssertEqual(state.endpoints.count, 0)
        let generation = await service.store.generation
        XCTAssertEqual(generation, 0)
    }

    func testPodsMayNotShareAnAddressOrPort() async throws {
        _ = try await withContext { try await service.createPodNetwork(request: .with { $0.pod = pod("a", ip: "10.244.1.7/32", port: "tap0") }, context: $0) }
        await assertStatus(.failedPrecondition, mentioning: ["10.244.1.7", "already used"]) {
            _ = try await withContext { try await service.createPodNetwork(request: .with { $0.pod = pod("b", ip: "10.244.1.7/32", port: "tap1") }, context: $0) }
        }
        await assertStatus(.failedPrecondition, mentioning: ["tap0"]) {
            _ = try await withContext { try await service.createPodNetwork(request: .with { $0.pod = pod("b", ip: "10.244.1.8/32", port: "tap0") }, context: $0) }
        }
    }

    func testSyncReplacesTheWholeStateAndChecksTheNode() async throws {
        _ = try await withContext { try await service.createPodNetwork(request: .with { $0.pod = pod("stale", ip: "10.244.1.9/32", port: "tap9") }, context: $0) }
        let sync = Infra_V1_SyncRequest.with {
            $0.nodeName = "node-1"
            $0.pods = [pod("a", ip: "10.244.1.7/32", port: "tap0")]
            $0.services = [service("web", backends: ["10.244.1.7"])]
        }
        let response = try await withContext { try await service.sync(request: sync, context: $0) }
        XCTAssertEqual(response.pods.created, 1)
        XCTAssertEqual(response.pods.deleted, 1, "the pod the agent no longer reports must go")
        XCTAssertEqual(response.services.created, 1)
        let replay = try await withContext { try await service.sync(request: sync, context: $0) }
        XCTAssertEqual(replay.generation, response.generation)
        XCTAssertEqual(replay.pods.unchanged, 1)

        await assertStatus(.failedPrecondition, mentioning: ["node-2"]) {
            _ = try await withContext { try await service.sync(request: .with { $0.nodeName = "node-2" }, context: $0) }
        }
    }

    /// The agent's Sync names the kinds it is the source of (`SyncRequest.scope`); Services an
    /// operator applied survive it, and a scope naming no known kind, or one kind twice, is
    /// refused naming the entry.
    func testSyncWithAScopeReplacesOnlyTheKindsItNames() async throws {
        _ = try await withContext { try await service.upsertServices(request: .with { $0.services = [service("web", backends: ["10.244.1.7"])] }, context: $0) }
        _ = try await withContext { try await service.createPodNetwork(request: .with { $0.pod = pod("stale", ip: "10.244.1.9/32", port: "tap9") }, context: $0) }
        var sync = Infra_V1_SyncRequest.with {
            $0.nodeName = "node-1"
            $0.pods = [pod("a", ip: "10.244.1.7/32", port: "tap0")]
        }
        sync.scope = SyncScope([.hostInterface, .pods]).wire
        XCTAssertEqual(sync.scope, [.hostInterface, .pods])
        // A header saying otherwise is ignored once the field is set.
        let scoped = ServerRequest(metadata: [SyncScope.headerName: .string("services")], message: sync)
        let response = try await withContext { try await service.sync(request: scoped, context: $0) }.message
        XCTAssertEqual(response.pods.created, 1)
        XCTAssertEqual(response.pods.deleted, 1, "pods are in the scope: the stale one goes")
        XCTAssertEqual(response.services, Infra_V1_Changes(), "services are outside the scope: untouched, not even counted")
        let status = try await withContext { try await service.status(request: .init(), context: $0) }
        XCTAssertEqual(status.desired.services, 1)
        XCTAssertEqual(status.desired.pods, 1)

        for (bad, entry, value) in [([Infra_V1_SyncKind.pods, .unspecified], "scope[1]", "unspecified"), ([.pods, .pods], "scope[1]", "pods"), ([.UNRECOGNIZED(9)], "scope[0]", "UNRECOGNIZED(9)")] {
            var wrong = sync
            wrong.scope = bad
            await assertStatus(.invalidArgument, mentioning: [entry, value]) {
                _ = try await withContext { try await service.sync(request: ServerRequest(metadata: [:], message: wrong), context: $0) }
            }
        }
        let afterRefusals = try await withContext { try await service.status(request: .init(), context: $0) }
        XCTAssertEqual(afterRefusals.desired.services, 1, "a refused Sync changed nothing")

        // The previous agent build's header still scopes a Sync whose field is empty.
        sync.scope = []
        let legacy = ServerRequest(metadata: [SyncScope.headerName: .string("host-interface,pods")], message: sync)
        _ = try await withContext { try await service.sync(request: legacy, context: $0) }
        let afterLegacy = try await withContext { try await service.status(request: .init(), context: $0) }
        XCTAssertEqual(afterLegacy.desired.services, 1, "services are outside the header's scope")

        // Without a scope a Sync replaces every kind, as before scopes existed.
        _ = try await withContext { try await service.sync(request: ServerRequest(metadata: [:], message: sync), context: $0) }
        let unscoped = try await withContext { try await service.status(request: .init(), context: $0) }
        XCTAssertEqual(unscoped.desired.services, 0)

        for bad in ["pods,gateways", "pods,pods", ""] {
            await assertStatus(.invalidArgument, mentioning: [SyncScope.headerName, "\"\(bad)\"", "host-interface, pods"]) {
                _ = try await withContext {
                    try await service.sync(request: ServerRequest(metadata: [SyncScope.headerName: .string(bad)], message: sync), context: $0)
                }
            }
        }
        XCTAssertEqual(SyncScope(headerValue: " pods , host-interface"), [.pods, .hostInterface])
        XCTAssertEqual(SyncScope.all.headerValue, "host-interface,pods,services,policies,endpoints")
    }
}
