import Foundation
import GRPCCore
import InfraAPI
import InfraChannel
import InfraDaemon
import Logging

/// The infra.v1 InfraManager service: validates agent requests into intents and applies
/// them to the node's desired state.
///
/// Handlers stay thin: decoding lives in `IntentDecoding`, the state rules in `DesiredState`,
/// and this type only ties a request to one `DesiredStateStore.apply` call.
public final class ManagerService: Infra_V1_InfraManager.SimpleServiceProtocol, Sendable {
    public struct Settings: Sendable {
        /// The node whose IPU this manager drives; agents of other nodes are refused.
        public var nodeName: String
        /// How often Attach streams carry a heartbeat.
        public var heartbeat: Duration
        /// Whether callers are authenticated (false only in explicit insecure mode).
        public var authenticated: Bool

        public init(nodeName: String, heartbeat: Duration = .seconds(10), authenticated: Bool = true) {
            self.nodeName = nodeName
            self.heartbeat = heartbeat
            self.authenticated = authenticated
        }
    }

    public let store: DesiredStateStore
    public let agents: AgentRegistry
    let settings: Settings
    let statusSource: StatusSource
    let stop: GracefulStop
    let logger: Logger

    public init(
        settings: Settings, store: DesiredStateStore, agents: AgentRegistry, statusSource: StatusSource,
        stop: GracefulStop, logger: Logger
    ) {
        self.settings = settings
        self.store = store
        self.agents = agents
        self.statusSource = statusSource
        self.stop = stop
        self.logger = logger
    }

    // MARK: Writes

    public func setupHostInterface(
        request: Infra_V1_SetupHostInterfaceRequest, context: ServerContext
    ) async throws -> Infra_V1_ApplyResponse {
        try checkWriter(context)
        let host = try decode { try IntentDecoding.hostInterface(request.hostInterface, at: "host_interface") }
        return try await apply { state in
            let changes = Self.replaceHostInterface(&state, with: host)
            return (changes, changes.changedAnything)
        }
    }

    public func createPodNetwork(
        request: Infra_V1_CreatePodNetworkRequest, context: ServerContext
    ) async throws -> Infra_V1_ApplyResponse {
        try checkWriter(context)
        let pod = try decode { try IntentDecoding.pod(request.pod, at: "pod") }
        return try await apply { state in
            let changes = state.pods.upsert(pod, for: pod.key)
            return (changes, changes.changedAnything)
        }
    }

    public func deletePodNetwork(
        request: Infra_V1_DeletePodNetworkRequest, context: ServerContext
    ) async throws -> Infra_V1_ApplyResponse {
        try checkWriter(context)
        let key = try decode { try IntentDecoding.podKey(request.key, at: "key") }
        return try await apply { state in
            let changes = state.pods.remove(key)
            return (changes, changes.changedAnything)
        }
    }

    public func upsertServices(
        request: Infra_V1_UpsertServicesRequest, context: ServerContext
    ) async throws -> Infra_V1_ApplyResponse {
        try checkWriter(context)
        let services = try decode { try Self.uniqueServices(request.services, at: "services") }
        return try await apply { state in
            let changes = services.values.reduce(ObjectChanges()) { $0 + state.services.upsert($1, for: $1.name) }
            return (changes, changes.changedAnything)
        }
    }

    public func deleteServices(
        request: Infra_V1_DeleteServicesRequest, context: ServerContext
    ) async throws -> Infra_V1_ApplyResponse {
        try checkWriter(context)
        let names = try decode {
            try request.keys.enumerated().map { try IntentDecoding.serviceName($1, at: "keys[\($0)]") }
        }
        return try await apply { state in
            let changes = Set(names).reduce(ObjectChanges()) { $0 + state.services.remove($1) }
            return (changes, changes.changedAnything)
        }
    }

    public func updatePolicies(
        request: Infra_V1_UpdatePoliciesRequest, context: ServerContext
    ) async throws -> Infra_V1_ApplyResponse {
        try checkWriter(context)
        let (policies, endpoints) = try decode {
            (
                try Self.uniquePolicies(request.upsertPolicies, at: "upsert_policies"),
                try Self.uniqueEndpoints(request.upsertEndpoints, at: "upsert_endpoints")
            )
        }
        return try await apply { state in
            var changes = ObjectChanges()
            for policy in policies.values { changes = changes + state.policies.upsert(policy, for: policy.id) }
            for endpoint in endpoints.values { changes = changes + state.endpoints.upsert(endpoint, for: endpoint.id) }
            for id in Set(request.removeEndpointIds) { changes = changes + state.endpoints.remove(id) }
            for id in Set(request.removePolicyIds) { changes = changes + state.policies.remove(id) }
            return (changes, changes.changedAnything)
        }
    }

    public func sync(request: Infra_V1_SyncRequest, context: ServerContext) async throws -> Infra_V1_SyncResponse {
        try await sync(request, headerScope: nil, context: context)
    }

    /// Sync with its request headers. `SyncRequest.scope` names the kinds the agent replaces;
    /// when it is empty, the `infra-sync-scope` header of the previous agent build does (see
    /// `SyncScope`); without either every kind is replaced.
    public func sync(
        request: ServerRequest<Infra_V1_SyncRequest>, context: ServerContext
    ) async throws -> ServerResponse<Infra_V1_SyncResponse> {
        let header = request.metadata[stringValues: SyncScope.headerName].first(where: { _ in true })
        return ServerResponse(message: try await sync(request.message, headerScope: header, context: context), metadata: [:])
    }

    /// The scope an agent of the previous build sent as a header; nil without one.
    private static func legacyScope(_ header: String?) throws -> SyncScope? {
        guard let header else { return nil }
        guard let parsed = SyncScope(headerValue: header) else {
            throw RPCError(
                code: .invalidArgument,
                message: "header \(SyncScope.headerName): \"\(header)\" is not a comma-separated list of distinct kinds (\(SyncScope.knownNames))"
            )
        }
        return parsed
    }

    /// The kinds a Sync replaces: its `scope` field, else the legacy header, else every kind.
    private func sync(_ request: Infra_V1_SyncRequest, headerScope header: String?, context: ServerContext) async throws -> Infra_V1_SyncResponse {
        try checkWriter(context)
        let scope = try decode { try SyncDecoding.scope(request.scope) } ?? Self.legacyScope(header) ?? .all
        guard request.nodeName == settings.nodeName else {
            throw RPCError(
                code: .failedPrecondition,
                message: "node_name: \"\(request.nodeName)\" is not the node this manager serves (\(settings.nodeName))"
            )
        }
        let desired = try decode { try SyncDecoding.decode(request) }
        let (changes, generation) = try await store.apply { state in
            let changes = SyncDecoding.replace(&state, with: desired, scope: scope)
            return (changes, changes.changedAnything)
        }
        await agents.recordSync(identity: CallerIdentity(context: context).description, generation: generation)
        logger.info("sync applied", metadata: ["generation": "\(generation)", "scope": "\(scope)", "changes": "\(changes)"])
        return changes.response(generation: generation)
    }

    // MARK: Reads and sessions

    public func status(request: Infra_V1_StatusRequest, context: ServerContext) async throws -> Infra_V1_StatusResponse {
        await statusSource.makeStatus(store: store, agents: agents)
    }

    public func attach(
        request: Infra_V1_AttachRequest, response: RPCWriter<Infra_V1_ManagerEvent>, context: ServerContext
    ) async throws {
        try checkWriter(context)
        let caller = CallerIdentity(context: context)
        let session = await agents.attach(identity: caller.description, nodeName: request.nodeName, peer: context.remotePeer)
        logger.info("agent attached", metadata: ["identity": "\(caller)", "peer": "\(context.remotePeer)"])
        defer {
            let agents = self.agents
            Task { await agents.detach(session) }
        }
        let generation = await store.generation
        try await response.write(.with {
            $0.attached = .with {
                $0.managerVersion = InfraVersion.release
                $0.generation = generation
                $0.heartbeatSeconds = UInt32(settings.heartbeat.components.seconds)
            }
        })
        let heartbeat = settings.heartbeat
        let store = self.store
        let stop = self.stop
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await stop.wait() }
            group.addTask {
                while true {
                    try await Task.sleep(for: heartbeat)
                    let generation = await store.generation
                    try await response.write(.with { $0.heartbeat = .with { $0.generation = generation } })
                }
            }
            try await group.next()
            group.cancelAll()
        }
        logger.info("agent detached", metadata: ["identity": "\(caller)"])
    }

    // MARK: Helpers

    /// Agents may only change the node they run on; other writers (an operator granted
    /// read-write) are not node-bound.
    func checkWriter(_ context: ServerContext) throws {
        guard settings.authenticated else { return }
        let caller = CallerIdentity(context: context)
        if let node = caller.agentNode, node != settings.nodeName {
            throw RPCError(
                code: .permissionDenied,
                message: "agent of node \(node) may not change node \(settings.nodeName)"
            )
        }
    }

    func decode<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as IntentError {
            throw error.rpcError
        }
    }

    /// From this many objects in one request on, its transient memory is worth handing back.
    static let largeRequestObjects = 100

    func apply(
        _ mutation: @Sendable (inout DesiredState) throws -> (ObjectChanges, changed: Bool)
    ) async throws -> Infra_V1_ApplyResponse {
        do {
            let (changes, generation) = try await store.apply(mutation)
            if changes.created + changes.updated + changes.deleted + changes.unchanged >= Self.largeRequestObjects {
                // A bulk load or an agent's resync: its decoded request, translation and Write
                // buffers are freed now; hand the pages back instead of keeping them resident.
                HeapRelease.afterLargeTransientWork()
            }
            return .with {
                $0.generation = generation
                $0.changes = changes.wire
            }
        } catch let error as IntentError {
            throw error.rpcError
        }
    }

    static func replaceHostInterface(_ state: inout DesiredState, with host: HostInterfaceIntent?) -> ObjectChanges {
        var changes = ObjectChanges()
        switch (state.hostInterface, host) {
        case (nil, nil): changes.unchanged = 1
        case (nil, _?): changes.created = 1
        case (_?, nil): changes.deleted = 1
        case (let old?, let new?): if old == new { changes.unchanged = 1 } else { changes.updated = 1 }
        }
        state.hostInterface = host
        return changes
    }
}
