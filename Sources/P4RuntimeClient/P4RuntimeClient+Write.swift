import P4RuntimeAPI

extension P4RuntimeClient {
    /// `Write`: sends `updates` as one request (one round trip, §12.1).
    ///
    /// With the default `.continueOnError` every update is tried; if any fails this throws
    /// `P4RuntimeError(.updatesFailed)` whose `failures` list each failed update by its index
    /// here, with canonical code and message, and the others are committed. The server may
    /// reorder a batch: put dependent updates (member → group → entry) in separate calls.
    public func write(_ updates: [P4_V1_Update], atomicity: P4_V1_WriteRequest.Atomicity = .continueOnError) async throws {
        guard !updates.isEmpty else { return }
        let request = P4_V1_WriteRequest.with {
            $0.deviceID = configuration.deviceID
            $0.role = roleName
            $0.electionID = configuration.electionID.proto
            $0.updates = updates
            $0.atomicity = atomicity
        }
        _ = try await call("Write", count: updates.count) { try await self.stub.write(request) }
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
