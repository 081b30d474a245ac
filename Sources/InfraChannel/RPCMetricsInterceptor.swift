import GRPCCore
import Metrics

/// Counts calls by method and status code and records their latency.
///
/// Latency runs until the handler has produced its response (for a server-streaming call,
/// until the stream is set up), which is what a caller waits for before its first message.
public struct RPCMetricsInterceptor: ServerInterceptor {
    public init() {}

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let method = context.descriptor.fullyQualifiedMethod
        let start = ContinuousClock.now
        var code = "ok"
        defer {
            let elapsed = ContinuousClock.now - start
            Counter(label: "infra_rpc_requests_total", dimensions: [("method", method), ("code", code)]).increment()
            Timer(label: "infra_rpc_duration_seconds", dimensions: [("method", method), ("code", code)])
                .recordNanoseconds(Int64(elapsed.components.seconds) * 1_000_000_000 + Int64(elapsed.components.attoseconds / 1_000_000_000))
        }
        do {
            let response = try await next(request, context)
            if case .failure(let error) = response.accepted { code = Self.name(of: error.code) }
            return response
        } catch let error as RPCError {
            code = Self.name(of: error.code)
            throw error
        } catch {
            code = "unknown"
            throw error
        }
    }

    /// `permissionDenied` → `permission_denied`, the spelling Prometheus labels usually use.
    static func name(of code: RPCError.Code) -> String {
        var name = ""
        for character in String(describing: code) {
            if character.isUppercase { name += "_" + character.lowercased() } else { name.append(character) }
        }
        return name
    }
}
