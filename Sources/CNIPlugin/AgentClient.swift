import CNISpec
import CalicoCNIAPI
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraAPI

/// What infra-cni needs from the agent: Calico's CniDataplane API (Add, Del) and the
/// standard health service. Nothing else, so the agent has one CNI implementation for both
/// Calico's plugin and ours.
public protocol AgentClient: Sendable {
    func add(_ request: Cni_AddRequest) async throws -> Cni_AddReply
    func del(_ request: Cni_DelRequest) async throws -> Cni_DelReply
    /// True when grpc.health.v1 answers SERVING for the server as a whole.
    func isServing() async throws -> Bool
}

/// The agent over gRPC on its unix socket (plaintext: the socket's 0600 mode is the access
/// control). Each call has `timeout` for connecting and answering, and does not wait for a
/// connection to become ready: a missing socket or refused connection fails at once.
public struct GRPCAgentClient: AgentClient {
    public var socketPath: String
    public var timeout: Duration

    public init(socketPath: String, timeout: Duration) {
        self.socketPath = socketPath
        self.timeout = timeout
    }

    public func add(_ request: Cni_AddRequest) async throws -> Cni_AddReply {
        try await withClient { client in
            try await Cni_CniDataplane.Client(wrapping: client).add(request, options: self.options)
        }
    }

    public func del(_ request: Cni_DelRequest) async throws -> Cni_DelReply {
        try await withClient { client in
            try await Cni_CniDataplane.Client(wrapping: client).del(request, options: self.options)
        }
    }

    public func isServing() async throws -> Bool {
        try await withClient { client in
            let response = try await Grpc_Health_V1_Health.Client(wrapping: client)
                .check(.with { $0.service = "" }, options: self.options)
            return response.status == .serving
        }
    }

    private var options: CallOptions {
        var options = CallOptions.defaults
        options.timeout = timeout
        options.waitForReady = false
        return options
    }

    private func withClient<R: Sendable>(_ body: @Sendable @escaping (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> R) async throws -> R {
        var config = HTTP2ClientTransport.Posix.Config.defaults
        config.backoff = .init(initial: .milliseconds(50), max: .milliseconds(200), multiplier: 2, jitter: 0)
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext, config: config
        )
        return try await withDeadline(timeout + .milliseconds(300)) {
            try await withGRPCClient(transport: transport) { client in
                try await body(client)
            }
        }
    }
}

/// Raised when an operation outlives its deadline.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public var description: String { "deadline exceeded" }
}

/// Runs `operation`, failing with `DeadlineExceeded` after `limit` whatever the operation
/// does (it is cancelled), so an agent that accepts but never answers cannot hang the plugin.
func withDeadline<R: Sendable>(_ limit: Duration, _ operation: @Sendable @escaping () async throws -> R) async throws -> R {
    try await withThrowingTaskGroup(of: R?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeadlineExceeded() }
        return value
    }
}
