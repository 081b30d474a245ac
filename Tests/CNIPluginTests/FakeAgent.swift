import CalicoCNIAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraAPI

/// A stand-in for the infra-agent's CNI server, serving cni.CniDataplane and grpc.health.v1
/// on a unix socket in a temporary directory. It records the requests and answers the way
/// the agent does (upstream-facts §2.2: success with the pod interface's MAC and the pool
/// interface name). It stands in only until the agent's own CNI server lands; then these
/// tests should run against that.
final class FakeAgent: Cni_CniDataplane.SimpleServiceProtocol, @unchecked Sendable {
    static let mac = "02:1a:fe:00:00:07"
    static let poolInterface = "infra-pool3"

    private let lock = NSLock()
    private var _adds: [Cni_AddRequest] = []
    private var _dels: [Cni_DelRequest] = []
    private var _refusal: String?
    private var _serving = true

    var adds: [Cni_AddRequest] { lock.withLock { _adds } }
    var dels: [Cni_DelRequest] { lock.withLock { _dels } }
    /// When set, Add answers successful = false with this message.
    func refuse(with message: String?) { lock.withLock { _refusal = message } }
    func setServing(_ serving: Bool) { lock.withLock { _serving = serving } }

    func add(request: Cni_AddRequest, context: ServerContext) async throws -> Cni_AddReply {
        let refusal = lock.withLock { () -> String? in
            _adds.append(request)
            return _refusal
        }
        if let refusal {
            return .with {
                $0.successful = false
                $0.errorMessage = refusal
            }
        }
        return .with {
            $0.successful = true
            $0.containerMac = Self.mac
            $0.hostInterfaceName = Self.poolInterface
        }
    }

    func del(request: Cni_DelRequest, context: ServerContext) async throws -> Cni_DelReply {
        lock.withLock { _dels.append(request) }
        return .with { $0.successful = true }
    }

    var serving: Bool { lock.withLock { _serving } }
}

/// The fake agent's grpc.health.v1: SERVING unless the agent was set not serving.
struct FakeHealth: Grpc_Health_V1_Health.SimpleServiceProtocol {
    let agent: FakeAgent

    func check(request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext) async throws -> Grpc_Health_V1_HealthCheckResponse {
        let serving = agent.serving
        return .with { $0.status = serving ? .serving : .notServing }
    }

    func list(request: Grpc_Health_V1_HealthListRequest, context: ServerContext) async throws -> Grpc_Health_V1_HealthListResponse {
        throw RPCError(code: .unimplemented, message: "not in the fake")
    }

    func watch(
        request: Grpc_Health_V1_HealthCheckRequest, response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>, context: ServerContext
    ) async throws {
        throw RPCError(code: .unimplemented, message: "not in the fake")
    }
}

/// The fake agent serving on `socketPath` until `stop()`.
final class FakeAgentServer: @unchecked Sendable {
    let agent = FakeAgent()
    let socketPath: String
    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let task: Task<Void, any Error>

    init(socketPath: String) async throws {
        self.socketPath = socketPath
        let transport = HTTP2ServerTransport.Posix(
            address: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext
        )
        let server = GRPCServer(transport: transport, services: [agent, FakeHealth(agent: agent)])
        self.server = server
        task = Task { try await server.serve() }
        _ = try await transport.listeningAddress
    }

    func stop() async {
        server.beginGracefulShutdown()
        _ = try? await task.value
        unlink(socketPath)
    }
}
