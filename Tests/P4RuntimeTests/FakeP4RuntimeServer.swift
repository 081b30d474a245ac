import Foundation
import GRPCCore
import P4RuntimeAPI
import P4RuntimeClient
import Synchronization

/// Just enough of a P4Runtime server to drive the client: arbitration for one device and the
/// default role (high-water mark, notifications, no automatic promotion), Set/Get pipeline,
/// table-entry Write with per-update errors, wildcard Read split over several messages, and
/// Capabilities. The emulated target proper is a separate piece of work.
final class FakeP4RuntimeServer: P4_V1_P4Runtime.SimpleServiceProtocol, Sendable {
    static let deviceID: UInt64 = 1

    enum Outbound: Sendable {
        case message(P4_V1_StreamMessageResponse)
        case close(RPCError)
    }

    struct Stream {
        var electionID: ElectionID?
        let outbox: AsyncStream<Outbound>.Continuation
    }

    struct State {
        var streams: [UUID: Stream] = [:]
        var primary: UUID?
        var highest: ElectionID?
        var pipeline: P4_V1_ForwardingPipelineConfig?
        var entries: [Data: P4_V1_TableEntry] = [:]
        var writeCount = 0
        var lastArbitration: P4_V1_MasterArbitrationUpdate?
    }

    let state = Mutex(State())

    /// Ends every open stream with UNAVAILABLE, as a restart of the server's side would.
    func dropAllStreams() {
        state.withLock { state in
            for stream in state.streams.values { stream.outbox.yield(.close(RPCError(code: .unavailable, message: "dropped by test"))) }
        }
    }

    var writeCount: Int { state.withLock { $0.writeCount } }
    var lastArbitration: P4_V1_MasterArbitrationUpdate? { state.withLock { $0.lastArbitration } }

    // MARK: StreamChannel

    func streamChannel(
        request: RPCAsyncSequence<P4_V1_StreamMessageRequest, any Error>,
        response: RPCWriter<P4_V1_StreamMessageResponse>,
        context: ServerContext
    ) async throws {
        let id = UUID()
        let (outbox, continuation) = AsyncStream.makeStream(of: Outbound.self)
        state.withLock { $0.streams[id] = Stream(electionID: nil, outbox: continuation) }
        defer { disconnect(id) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await item in outbox {
                    switch item {
                    case .message(let message): try await response.write(message)
                    case .close(let error): throw error
                    }
                }
            }
            group.addTask {
                for try await message in request {
                    if case .arbitration(let update)? = message.update { try self.arbitrate(id, update) }
                }
                continuation.finish()
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private func arbitrate(_ id: UUID, _ update: P4_V1_MasterArbitrationUpdate) throws {
        guard update.deviceID == Self.deviceID else { throw RPCError(code: .notFound, message: "unknown device \(update.deviceID)") }
        let election = ElectionID(update.electionID)
        try state.withLock { state in
            state.lastArbitration = update
            if state.streams.contains(where: { $0.key != id && $0.value.electionID == election }) {
                throw RPCError(code: .invalidArgument, message: "election id \(election) is in use")
            }
            state.streams[id]?.electionID = election
            if state.highest.map({ election >= $0 }) ?? true {
                state.highest = election
                state.primary = id
                Self.notifyAll(&state)
            } else {
                Self.notify(id, &state)
            }
        }
    }

    private func disconnect(_ id: UUID) {
        state.withLock { state in
            state.streams.removeValue(forKey: id)
            if state.primary == id {
                state.primary = nil
                Self.notifyAll(&state)
            }
        }
    }

    private static func notifyAll(_ state: inout State) {
        for id in state.streams.keys where state.streams[id]?.electionID != nil { notify(id, &state) }
    }

    private static func notify(_ id: UUID, _ state: inout State) {
        let code: Google_Rpc_Code = state.primary == id ? .ok : (state.primary == nil ? .notFound : .alreadyExists)
        let message = P4_V1_StreamMessageResponse.with {
            $0.arbitration = .with {
                $0.deviceID = deviceID
                if let highest = state.highest { $0.electionID = highest.proto }
                $0.status = .with { $0.code = Int32(code.rawValue) }
            }
        }
        state.streams[id]?.outbox.yield(.message(message))
    }

    // MARK: Unary RPCs

    func capabilities(request: P4_V1_CapabilitiesRequest, context: ServerContext) async throws -> P4_V1_CapabilitiesResponse {
        .with { $0.p4RuntimeApiVersion = "1.5.0" }
    }

    func setForwardingPipelineConfig(
        request: P4_V1_SetForwardingPipelineConfigRequest, context: ServerContext
    ) async throws -> P4_V1_SetForwardingPipelineConfigResponse {
        try state.withLock { state in
            try Self.checkPrimary(request.deviceID, request.electionID, state)
            switch request.action {
            case .verifyAndCommit:
                state.pipeline = request.config
                state.entries = [:]
            case .reconcileAndCommit:
                throw RPCError(code: .unimplemented, message: "RECONCILE_AND_COMMIT is not supported")
            default:
                throw RPCError(code: .invalidArgument, message: "action \(request.action) not handled by the fake")
            }
        }
        return .init()
    }

    func getForwardingPipelineConfig(
        request: P4_V1_GetForwardingPipelineConfigRequest, context: ServerContext
    ) async throws -> P4_V1_GetForwardingPipelineConfigResponse {
        state.withLock { state in .with { if let pipeline = state.pipeline { $0.config = pipeline } } }
    }

    func write(request: P4_V1_WriteRequest, context: ServerContext) async throws -> P4_V1_WriteResponse {
        try state.withLock { state in
            try Self.checkPrimary(request.deviceID, request.electionID, state)
            guard state.pipeline != nil else { throw RPCError(code: .failedPrecondition, message: "no pipeline") }
            state.writeCount += 1
            var failures: [P4UpdateFailure] = []
            for (index, update) in request.updates.enumerated() {
                if let (code, message) = Self.apply(update, to: &state.entries) {
                    failures.append(P4UpdateFailure(index: index, canonicalCode: code, message: message))
                }
            }
            guard failures.isEmpty else {
                let status = P4StatusDetails.status(
                    failures: failures, count: request.updates.count, message: "\(failures.count) of \(request.updates.count) updates failed")
                throw P4StatusDetails.rpcError(for: status)
            }
        }
        return .init()
    }

    private static func checkPrimary(_ deviceID: UInt64, _ electionID: P4_V1_Uint128, _ state: State) throws {
        guard deviceID == Self.deviceID else { throw RPCError(code: .notFound, message: "unknown device \(deviceID)") }
        guard let primary = state.primary, state.streams[primary]?.electionID == ElectionID(electionID) else {
            throw RPCError(code: .permissionDenied, message: "not primary")
        }
    }

    private static func apply(_ update: P4_V1_Update, to entries: inout [Data: P4_V1_TableEntry]) -> (Google_Rpc_Code, String)? {
        guard case .tableEntry(let entry)? = update.entity.entity else { return (.unimplemented, "only table entries") }
        var key = P4_V1_TableEntry()
        key.tableID = entry.tableID
        key.match = entry.match.sorted { $0.fieldID < $1.fieldID }
        key.priority = entry.priority
        guard let keyBytes: Data = try? key.serializedBytes() else { return (.internal, "cannot key the entry") }
        switch update.type {
        case .insert:
            guard entries[keyBytes] == nil else { return (.alreadyExists, "entry already exists in table \(entry.tableID)") }
            entries[keyBytes] = entry
        case .modify:
            guard entries[keyBytes] != nil else { return (.notFound, "no such entry") }
            entries[keyBytes] = entry
        case .delete:
            guard entries.removeValue(forKey: keyBytes) != nil else { return (.notFound, "no such entry") }
        default:
            return (.invalidArgument, "update type \(update.type)")
        }
        return nil
    }

    // MARK: Read

    func read(request: P4_V1_ReadRequest, response: RPCWriter<P4_V1_ReadResponse>, context: ServerContext) async throws {
        let entries = try state.withLock { state in
            guard request.deviceID == Self.deviceID else { throw RPCError(code: .notFound, message: "unknown device") }
            return Array(state.entries.values)
        }
        var found: [P4_V1_Entity] = []
        var failures: [P4UpdateFailure] = []
        for (index, entity) in request.entities.enumerated() {
            guard case .tableEntry(let filter)? = entity.entity else {
                failures.append(P4UpdateFailure(index: index, canonicalCode: .unimplemented, message: "only table entries"))
                continue
            }
            found += entries.filter { filter.tableID == 0 || $0.tableID == filter.tableID }.map { P4_V1_Entity($0) }
        }
        // Two entities per message, so clients must handle an answer split over a stream.
        for start in stride(from: 0, to: found.count, by: 2) {
            try await response.write(.with { $0.entities = Array(found[start..<min(start + 2, found.count)]) })
        }
        // §13.3: what could be read is streamed first, then one p4.v1.Error per entity.
        if !failures.isEmpty {
            let status = P4StatusDetails.status(failures: failures, count: request.entities.count, message: "read failed")
            throw P4StatusDetails.rpcError(for: status)
        }
    }
}
