import P4RuntimeAPI

extension P4RuntimeClient {
    /// `Read`, streaming: `body` gets each ReadResponse's entities as they arrive, so a large
    /// table is never held whole. Wildcards follow §9/§13 (e.g. a TableEntry with only
    /// `table_id` set reads every entry of that table). Entities read before a failure are
    /// still delivered; the failure then throws `P4RuntimeError(.readFailed)` per entity.
    public func read(_ entities: [P4_V1_Entity], _ body: @escaping @Sendable ([P4_V1_Entity]) async throws -> Void) async throws {
        let request = readRequest(entities)
        try await call("Read", count: entities.count) {
            try await self.stub.read(request) { response in
                for try await message in response.messages {
                    try await body(message.entities)
                }
            }
        }
    }

    /// `Read`, collected into one array.
    public func read(_ entities: [P4_V1_Entity]) async throws -> [P4_V1_Entity] {
        let request = readRequest(entities)
        return try await call("Read", count: entities.count) {
            try await self.stub.read(request) { response in
                var all: [P4_V1_Entity] = []
                for try await message in response.messages { all.append(contentsOf: message.entities) }
                return all
            }
        }
    }

    private func readRequest(_ entities: [P4_V1_Entity]) -> P4_V1_ReadRequest {
        .with {
            $0.deviceID = configuration.deviceID
            $0.role = roleName
            $0.entities = entities
        }
    }

    /// Every non-default entry of the table named `table` (full name or alias).
    public func readTableEntries(_ table: String) async throws -> [P4_V1_TableEntry] {
        let wildcard = try requireP4Info(for: "reading table \"\(table)\"").allEntries(ofTable: table)
        return try await read([wildcard]).compactMap { entity in
            if case .tableEntry(let entry)? = entity.entity { return entry }
            return nil
        }
    }
}
