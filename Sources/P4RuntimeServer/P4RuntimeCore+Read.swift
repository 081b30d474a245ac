import P4Info
import P4RuntimeAPI

extension P4RuntimeCore {
    /// Read (§13): anyone may read; device → NOT_FOUND, no pipeline → FAILED_PRECONDITION.
    ///
    /// Returns one batch of entities per requested entity, taken under the lock so the Read
    /// sees each Write whole. When some entity cannot be read, the caller streams what was
    /// read and then fails with `failure` (UNKNOWN with one `p4.v1.Error` per entity, §13.3).
    public func read(_ request: P4_V1_ReadRequest) throws -> (batches: [[P4_V1_Entity]], failure: P4ServerError?) {
        try checkDevice(request.deviceID)
        return try state.withLock { state in
            guard let pipeline = state.current else {
                throw P4ServerError(.failedPrecondition, "no forwarding pipeline is set")
            }
            let reader = EntityReader(index: pipeline.index, backend: state.currentBackend)
            var batches: [[P4_V1_Entity]] = []
            var results: [P4_V1_Error] = []
            var failures = 0
            for entity in request.entities {
                do {
                    batches.append(try reader.read(entity))
                    results.append(P4_V1_Error())
                } catch {
                    failures += 1
                    results.append(P4ServerError.wrapping(error).p4Error)
                }
            }
            let failure = failures == 0 ? nil : P4ServerError(.unknown, "\(failures) of \(request.entities.count) entities could not be read", details: results)
            return (batches, failure)
        }
    }
}

/// Wildcard reads (§9.1.6, §13.2): zero/unset means "all".
struct EntityReader {
    let index: P4InfoIndex
    let backend: any P4TargetBackend

    func read(_ entity: P4_V1_Entity) throws -> [P4_V1_Entity] {
        switch entity.entity {
        case .tableEntry(let filter)?:
            return try tableEntries(filter).map { .init(.tableEntry($0)) }
        case .actionProfileMember(let filter)?:
            return try profiles(filter.actionProfileID).flatMap { backend.members(profileID: $0.id) }
                .filter { filter.memberID == 0 || $0.memberID == filter.memberID }
                .map { .init(.actionProfileMember($0)) }
        case .actionProfileGroup(let filter)?:
            return try profiles(filter.actionProfileID).flatMap { backend.groups(profileID: $0.id) }
                .filter { filter.groupID == 0 || $0.groupID == filter.groupID }
                .map { .init(.actionProfileGroup($0)) }
        case .counterEntry(let filter)?:
            return try counterEntries(filter).map { .init(.counterEntry($0)) }
        case .directCounterEntry(let filter)?:
            return try directCounterEntries(filter).map { .init(.directCounterEntry($0)) }
        case nil:
            throw P4ServerError(.invalidArgument, "entity has nothing set; there is no read-everything request")
        case .some(let other):
            throw P4ServerError(.unimplemented, "reading \(UpdateApplier.kindName(other)) is not supported by this target")
        }
    }

    private func profiles(_ id: UInt32) throws -> [P4ActionProfileInfo] {
        if id == 0 { return index.allActionProfiles }
        guard let profile = index.actionProfile(id: id) else { throw P4ServerError(.notFound, "unknown action profile id \(id)") }
        return [profile]
    }

    private func tableEntries(_ filter: P4_V1_TableEntry) throws -> [P4_V1_TableEntry] {
        let tables: [P4TableInfo]
        if filter.tableID == 0 {
            tables = index.allTables
        } else {
            guard let table = index.table(id: filter.tableID) else { throw P4ServerError(.notFound, "unknown table id \(filter.tableID)") }
            tables = [table]
        }
        var result: [P4_V1_TableEntry] = []
        for table in tables {
            if filter.isDefaultAction {
                if let entry = backend.defaultEntry(tableID: table.id) { result.append(entry) }
                continue
            }
            var entries: [P4_V1_TableEntry]
            if filter.match.isEmpty {
                entries = backend.tableEntries(tableID: table.id)
            } else {
                // A key lookup: the key is checked like a write's so padding and order do not matter.
                let validator = EntryValidator(index: index)
                let match = try validator.canonicalMatch(filter.match, table: table)
                let key = P4TableEntryKey(tableID: table.id, sortedMatch: match, priority: filter.priority)
                entries = backend.tableEntry(key).map { [$0] } ?? []
            }
            if filter.priority != 0 { entries = entries.filter { $0.priority == filter.priority } }
            if filter.hasAction, case .action(let action)? = filter.action.type {
                entries = entries.filter { $0.action.action.actionID == action.actionID }
            }
            if !filter.metadata.isEmpty { entries = entries.filter { $0.metadata == filter.metadata } }
            if filter.controllerMetadata != 0 { entries = entries.filter { $0.controllerMetadata == filter.controllerMetadata } }
            let hasDirectCounter = index.directCounter(of: table) != nil
            entries = entries.map { entry in
                var entry = entry
                if !filter.hasCounterData {
                    // Direct counters come back only when asked for (§9.1.7).
                    entry.clearCounterData()
                } else if hasDirectCounter && !entry.hasCounterData {
                    entry.counterData = P4_V1_CounterData()  // never written: zero, but present
                }
                return entry
            }
            result += entries
        }
        return result
    }
}

extension P4_V1_Entity {
    /// An entity holding one read result.
    init(_ entity: OneOf_Entity) {
        self.init()
        self.entity = entity
    }
}
