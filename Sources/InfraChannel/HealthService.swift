import GRPCCore
import InfraAPI
import Synchronization

/// The standard gRPC health service, for probes and for agents checking their manager.
///
/// Each daemon registers the services it serves; the overall status ("") is SERVING only
/// while every registered service is. Watch streams status changes until the client leaves
/// or the server stops.
public final class HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol, Sendable {
    public typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus

    private struct State {
        var statuses: [String: Status] = [:]
        var watchers: [Int: AsyncStream<Void>.Continuation] = [:]
        var nextWatcher = 0
    }

    private let state = Mutex(State())
    private let stop: GracefulStop

    public init(services: [String], stop: GracefulStop) {
        self.stop = stop
        state.withLock { state in
            for service in services { state.statuses[service] = .notServing }
        }
    }

    /// Sets the status of every registered service at once.
    public func setAll(_ status: Status) {
        let watchers = state.withLock { state -> [AsyncStream<Void>.Continuation] in
            for key in state.statuses.keys { state.statuses[key] = status }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.yield() }
    }

    func status(of service: String) -> Status? {
        state.withLock { state in
            if service.isEmpty {
                return state.statuses.values.allSatisfy { $0 == .serving } ? .serving : .notServing
            }
            return state.statuses[service]
        }
    }

    public func check(
        request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext
    ) async throws -> Grpc_Health_V1_HealthCheckResponse {
        guard let status = status(of: request.service) else {
            throw RPCError(code: .notFound, message: "unknown service \"\(request.service)\"")
        }
        return .with { $0.status = status }
    }

    public func list(
        request: Grpc_Health_V1_HealthListRequest, context: ServerContext
    ) async throws -> Grpc_Health_V1_HealthListResponse {
        let statuses = state.withLock { $0.statuses }
        return .with { response in
            for (name, status) in statuses {
                response.statuses[name] = .with { $0.status = status }
            }
        }
    }

    public func watch(
        request: Grpc_Health_V1_HealthCheckRequest,
        response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
        context: ServerContext
    ) async throws {
        let (changes, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state -> Int in
            state.nextWatcher += 1
            state.watchers[state.nextWatcher] = continuation
            return state.nextWatcher
        }
        defer { _ = state.withLock { $0.watchers.removeValue(forKey: id) } }
        let stop = self.stop
        let stopper = Task { await stop.wait(); continuation.finish() }
        defer { stopper.cancel() }
        var last: Status?
        continuation.yield()
        for await _ in changes {
            let current = status(of: request.service) ?? .serviceUnknown
            if current != last {
                try await response.write(.with { $0.status = current })
                last = current
            }
        }
    }
}
