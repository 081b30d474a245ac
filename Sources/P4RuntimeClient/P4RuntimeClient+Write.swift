import GRPCCore
import GRPCProtobuf
import P4RuntimeAPI

extension P4RuntimeClient {
    /// `Write`: sends `updates` in as few requests as `maxUpdatesPerWrite` allows (one round
    /// trip per request, §12.1), up to `maxWritesInFlight` of them at a time.
    ///
    /// With the default `.continueOnError` every update is tried; if any fail this throws
    /// `P4RuntimeError(.updatesFailed)` whose `failures` list each failed update by its index in
    /// `updates`, with canonical code and message, and all the others are committed. Other
    /// atomicity modes are never split (splitting would break their all-or-nothing promise).
    /// An RPC-wide failure (not primary, no pipeline, ...) stops sending at once (requests
    /// already in flight finish); its message says how many updates other requests may have
    /// committed. The updates of one call carry no order: the server may reorder a batch and
    /// requests may overlap, so dependent updates (member → group → entry) go in separate calls.
    public func write(_ updates: [P4_V1_Update], atomicity: P4_V1_WriteRequest.Atomicity = .continueOnError) async throws {
        try await write(encoded: updates.map(P4EncodedUpdate.init), atomicity: atomicity)
    }

    /// `write(_:atomicity:)` for updates whose entities are already encoded: they go into the
    /// requests as they are, without a decode and encode per object.
    public func write(encoded updates: [P4EncodedUpdate], atomicity: P4_V1_WriteRequest.Atomicity = .continueOnError) async throws {
        let size = atomicity == .continueOnError ? configuration.maxUpdatesPerWrite : max(1, updates.count)
        let inFlight = atomicity == .continueOnError ? configuration.maxWritesInFlight : 1
        var failures: [P4UpdateFailure] = []
        if updates.count <= size {
            // One request (every small change): no child task to hop through.
            guard !updates.isEmpty else { return }
            do {
                try await writeRequest(updates[...], atomicity: atomicity)
            } catch let error as P4RuntimeError where error.code == .updatesFailed {
                failures = error.failures
            }
        } else {
            failures = try await writeConcurrently(updates, size: size, inFlight: inFlight, atomicity: atomicity)
        }
        guard failures.isEmpty else {
            failures.sort { $0.index < $1.index }
            throw P4RuntimeError(.updatesFailed, "Write: \(failures.count) of \(updates.count) updates failed", rpcCode: .unknown, failures: failures)
        }
    }

    /// `updates` in requests of `size`, up to `inFlight` at a time; returns the per-update
    /// failures (indexes into `updates`) and throws the first RPC-wide failure.
    private func writeConcurrently(
        _ updates: [P4EncodedUpdate], size: Int, inFlight: Int, atomicity: P4_V1_WriteRequest.Atomicity
    ) async throws -> [P4UpdateFailure] {
        var failures: [P4UpdateFailure] = []
        var starts = stride(from: 0, to: updates.count, by: size).makeIterator()
        var stopped: (start: Int, error: any Error)?
        await withTaskGroup(of: (start: Int, error: (any Error)?).self) { group in
            var running = 0
            while true {
                while running < inFlight, stopped == nil, let start = starts.next() {
                    let batch = updates[start..<min(start + size, updates.count)]
                    group.addTask {
                        do {
                            try await self.writeRequest(batch, atomicity: atomicity)
                            return (start, nil)
                        } catch {
                            return (start, error)
                        }
                    }
                    running += 1
                }
                guard let (start, error) = await group.next() else { break }
                running -= 1
                switch error {
                case nil:
                    break
                case let error as P4RuntimeError where error.code == .updatesFailed:
                    failures += error.failures.map { var failure = $0; failure.index += start; return failure }
                case let error?:
                    if stopped.map({ start < $0.start }) ?? true { stopped = (start, error) }
                }
            }
        }
        if let (start, error) = stopped {
            guard var error = error as? P4RuntimeError, start > 0 || inFlight > 1 else { throw error }
            error.message += inFlight > 1
                ? " (the \(start) updates before this request, and up to \((inFlight - 1) * size) sent alongside it, may have been committed; see earlier results)"
                : " (the \(start) updates before this request were sent; see earlier results)"
            throw error
        }
        return failures
    }

    /// One Write request.
    private func writeRequest(_ updates: ArraySlice<P4EncodedUpdate>, atomicity: P4_V1_WriteRequest.Atomicity) async throws {
        let header = P4_V1_WriteRequest.with {
            $0.deviceID = configuration.deviceID
            $0.role = roleName
            $0.electionID = configuration.electionID.proto
            $0.atomicity = atomicity
        }
        let request = ClientRequest(message: EncodedWriteRequest(header: header, updates: updates))
        _ = try await call("Write", count: updates.count) {
            try await grpc.unary(
                request: request, descriptor: P4_V1_P4Runtime.Method.Write.descriptor,
                serializer: EncodedWriteRequest.Serializer(), deserializer: ProtobufDeserializer<P4_V1_WriteResponse>(),
                options: .defaults
            ) { try $0.message }
        }
    }
}

extension P4_V1_Update {
    public init(_ type: P4_V1_Update.TypeEnum, _ entity: P4_V1_Entity) {
        self.init()
        self.type = type
        self.entity = entity
    }

    public static func insert(_ entity: P4_V1_Entity) -> Self { Self(.insert, entity) }
    public static func modify(_ entity: P4_V1_Entity) -> Self { Self(.modify, entity) }
    public static func delete(_ entity: P4_V1_Entity) -> Self { Self(.delete, entity) }
}

extension P4_V1_Entity {
    public init(_ entry: P4_V1_TableEntry) { self.init(); tableEntry = entry }
    public init(_ member: P4_V1_ActionProfileMember) { self.init(); actionProfileMember = member }
    public init(_ group: P4_V1_ActionProfileGroup) { self.init(); actionProfileGroup = group }
    public init(_ counter: P4_V1_CounterEntry) { self.init(); counterEntry = counter }
    public init(_ counter: P4_V1_DirectCounterEntry) { self.init(); directCounterEntry = counter }
}
