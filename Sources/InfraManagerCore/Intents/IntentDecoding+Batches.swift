import InfraAPI

// Batch decoding: a batch that names the same object twice is ambiguous (which one wins?),
// so it is refused instead of silently keeping the last.

extension ManagerService {
    static func uniqueServices(_ services: [Infra_V1_Service], at path: String) throws -> [ServiceName: ServiceIntent] {
        try unique(services, at: path, decode: IntentDecoding.service, key: \.name.description) { $0.name }
    }

    static func uniquePolicies(_ policies: [Infra_V1_Policy], at path: String) throws -> [String: PolicyIntent] {
        try unique(policies, at: path, decode: IntentDecoding.policy, key: \.id) { $0.id }
    }

    static func uniqueEndpoints(_ endpoints: [Infra_V1_Endpoint], at path: String) throws -> [String: EndpointIntent] {
        try unique(endpoints, at: path, decode: IntentDecoding.endpoint, key: \.id) { $0.id }
    }

    static func uniquePods(_ pods: [Infra_V1_PodNetwork], at path: String) throws -> [PodKey: PodNetworkIntent] {
        try unique(pods, at: path, decode: IntentDecoding.pod, key: \.key.description) { $0.key }
    }

    private static func unique<Message, Intent, Key: Hashable>(
        _ messages: [Message], at path: String,
        decode: (Message, String) throws -> Intent,
        key shownKey: KeyPath<Intent, String>,
        keyedBy key: (Intent) -> Key
    ) throws -> [Key: Intent] {
        var result: [Key: Intent] = [:]
        for (index, message) in messages.enumerated() {
            let intent = try decode(message, "\(path)[\(index)]")
            guard result.updateValue(intent, forKey: key(intent)) == nil else {
                throw IntentError(field: "\(path)[\(index)]", value: intent[keyPath: shownKey], reason: "appears twice in this request")
            }
        }
        return result
    }
}

/// The whole desired state carried by a Sync request.
struct SyncDecoding {
    var hostInterface: HostInterfaceIntent?
    var pods: [PodKey: PodNetworkIntent]
    var services: [ServiceName: ServiceIntent]
    var policies: [String: PolicyIntent]
    var endpoints: [String: EndpointIntent]

    static func decode(_ request: Infra_V1_SyncRequest) throws -> SyncDecoding {
        SyncDecoding(
            hostInterface: request.hasHostInterface
                ? try IntentDecoding.hostInterface(request.hostInterface, at: "host_interface") : nil,
            pods: try ManagerService.uniquePods(request.pods, at: "pods"),
            services: try ManagerService.uniqueServices(request.services, at: "services"),
            policies: try ManagerService.uniquePolicies(request.policies, at: "policies"),
            endpoints: try ManagerService.uniqueEndpoints(request.endpoints, at: "endpoints")
        )
    }

    /// The kinds `SyncRequest.scope` lists; nil when it lists none (the request replaces
    /// every kind). Each entry must name a known kind, once.
    static func scope(_ kinds: [Infra_V1_SyncKind]) throws -> SyncScope? {
        guard !kinds.isEmpty else { return nil }
        var scope: SyncScope = []
        for (index, wire) in kinds.enumerated() {
            guard let kind = SyncScope(wire: wire) else {
                throw IntentError(field: "scope[\(index)]", value: "\(wire)", reason: "is not a kind a Sync can replace (\(SyncScope.knownNames))")
            }
            guard !scope.contains(kind) else {
                throw IntentError(field: "scope[\(index)]", value: "\(wire)", reason: "is listed twice")
            }
            scope.insert(kind)
        }
        return scope
    }

    struct Changes: CustomStringConvertible {
        var host = ObjectChanges(), pods = ObjectChanges(), services = ObjectChanges()
        var policies = ObjectChanges(), endpoints = ObjectChanges()

        var changedAnything: Bool {
            [host, pods, services, policies, endpoints].contains { $0.changedAnything }
        }

        var description: String {
            "host=\(host.summary) pods=\(pods.summary) services=\(services.summary) policies=\(policies.summary) endpoints=\(endpoints.summary)"
        }

        func response(generation: UInt64) -> Infra_V1_SyncResponse {
            .with {
                $0.generation = generation
                $0.hostInterface = host.wire
                $0.pods = pods.wire
                $0.services = services.wire
                $0.policies = policies.wire
                $0.endpoints = endpoints.wire
            }
        }
    }

    /// Replaces the kinds in `scope` with the agent's view; the others stay as they are (and
    /// report no change).
    static func replace(_ state: inout DesiredState, with desired: SyncDecoding, scope: SyncScope = .all) -> Changes {
        var changes = Changes()
        if scope.contains(.hostInterface) { changes.host = ManagerService.replaceHostInterface(&state, with: desired.hostInterface) }
        if scope.contains(.pods) { changes.pods = state.pods.replaceAll(with: desired.pods) }
        if scope.contains(.services) { changes.services = state.services.replaceAll(with: desired.services) }
        if scope.contains(.policies) { changes.policies = state.policies.replaceAll(with: desired.policies) }
        if scope.contains(.endpoints) { changes.endpoints = state.endpoints.replaceAll(with: desired.endpoints) }
        return changes
    }
}

extension ObjectChanges {
    var wire: Infra_V1_Changes {
        .with {
            $0.created = UInt32(created)
            $0.updated = UInt32(updated)
            $0.deleted = UInt32(deleted)
            $0.unchanged = UInt32(unchanged)
        }
    }

    var summary: String { "+\(created)~\(updated)-\(deleted)=\(unchanged)" }
}
