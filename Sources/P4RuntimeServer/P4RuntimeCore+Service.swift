import GRPCCore
import P4RuntimeAPI

/// The gRPC face of the core: the generated `p4.v1.P4Runtime` service. Each RPC calls the
/// same method tests call directly and turns a `P4ServerError` into its gRPC status (with the
/// `grpc-status-details-bin` trailer for per-update errors).
extension P4RuntimeCore: P4_V1_P4Runtime.SimpleServiceProtocol {
    public func write(request: P4_V1_WriteRequest, context: ServerContext) async throws -> P4_V1_WriteResponse {
        try mapped { try write(request) }
    }

    public func read(request: P4_V1_ReadRequest, response: RPCWriter<P4_V1_ReadResponse>, context: ServerContext) async throws {
        let (batches, failure) = try mapped { try read(request) }
        for batch in batches where !batch.isEmpty {
            var message = P4_V1_ReadResponse()
            message.entities = batch
            try await response.write(message)
        }
        if let failure { throw failure.rpcError }
    }

    public func setForwardingPipelineConfig(
        request: P4_V1_SetForwardingPipelineConfigRequest, context: ServerContext
    ) async throws -> P4_V1_SetForwardingPipelineConfigResponse {
        try mapped { try setForwardingPipelineConfig(request) }
    }

    public func getForwardingPipelineConfig(
        request: P4_V1_GetForwardingPipelineConfigRequest, context: ServerContext
    ) async throws -> P4_V1_GetForwardingPipelineConfigResponse {
        try mapped { try getForwardingPipelineConfig(request) }
    }

    public func capabilities(request: P4_V1_CapabilitiesRequest, context: ServerContext) async throws -> P4_V1_CapabilitiesResponse {
        try mapped { try capabilities(request) }
    }

    /// Requests go to the session; its notifications are forwarded by a child task until the
    /// stream closes. The stream ends when the client ends it or with an arbitration error.
    public func streamChannel(
        request: RPCAsyncSequence<P4_V1_StreamMessageRequest, any Error>,
        response: RPCWriter<P4_V1_StreamMessageResponse>,
        context: ServerContext
    ) async throws {
        let session = openStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in session.responses {
                    try await response.write(message)
                }
            }
            do {
                for try await message in request {
                    try session.receive(message)
                }
                session.close()
            } catch {
                session.close()
                group.cancelAll()
                throw (error as? P4ServerError)?.rpcError ?? error
            }
            try await group.waitForAll()
        }
    }

    private func mapped<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as P4ServerError {
            throw error.rpcError
        }
    }
}
