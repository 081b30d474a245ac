import P4Info
import P4RuntimeAPI

/// CounterEntry and DirectCounterEntry writes (§9.3): MODIFY only, which presets cells;
/// `data` unset changes nothing.
extension UpdateApplier {
    mutating func applyCounter(_ entry: P4_V1_CounterEntry, _ type: P4_V1_Update.TypeEnum) throws {
        try Self.checkModifyOnly(type, "a counter cell")
        guard entry.counterID != 0 else { throw P4ServerError(.invalidArgument, "counter_id 0 is not a valid id in a write") }
        let counter = try validator.counter(entry.counterID)
        let cells = try validator.cells(entry, of: counter)
        guard entry.hasData else { return }
        try validator.checkCounterData(entry.data)
        try backend.setCounterData(entry.data, counterID: counter.id, indices: cells)
    }

    mutating func applyDirectCounter(_ entry: P4_V1_DirectCounterEntry, _ type: P4_V1_Update.TypeEnum) throws {
        try Self.checkModifyOnly(type, "a direct counter")
        let table = try validator.table(entry.tableEntry.tableID)
        _ = try validator.directCounterTable(table)
        let key = try validator.directCounterKey(entry.tableEntry, table: table)
        guard var stored = backend.tableEntry(key) else {
            throw P4ServerError(.notFound, "no entry with this key in \"\(table.name)\"; a direct counter lives with its entry")
        }
        guard entry.hasData else { return }
        try validator.checkCounterData(entry.data)
        stored.counterData = entry.data
        try backend.putTableEntry(stored, key: key)
    }

    private static func checkModifyOnly(_ type: P4_V1_Update.TypeEnum, _ what: String) throws {
        guard type == .modify else {
            throw P4ServerError(.invalidArgument, "\(what) always exists; only MODIFY applies to it, not \(type)")
        }
    }
}
