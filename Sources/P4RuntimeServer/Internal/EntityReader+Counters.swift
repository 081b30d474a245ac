import P4Info
import P4RuntimeAPI

/// CounterEntry and DirectCounterEntry reads (§9.3, §13.2): zero/unset means "all".
extension EntityReader {
    /// `counter_id` 0 → every indexed counter; `index` unset → every cell, set → that cell
    /// (with `counter_id` 0, that cell of each counter large enough to have it).
    func counterEntries(_ filter: P4_V1_CounterEntry) throws -> [P4_V1_CounterEntry] {
        let validator = EntryValidator(index: index)
        let counters = filter.counterID == 0 ? index.allCounters : [try validator.counter(filter.counterID)]
        var result: [P4_V1_CounterEntry] = []
        for counter in counters {
            if filter.counterID == 0 && filter.hasIndex && filter.index.index >= counter.size { continue }
            for cell in try validator.cells(filter, of: counter) {
                var entry = P4_V1_CounterEntry()
                entry.counterID = counter.id
                entry.index.index = cell
                entry.data = backend.counterData(counterID: counter.id, index: cell)
                result.append(entry)
            }
        }
        return result
    }

    /// `table_id` 0 → every table with a direct counter; `match` empty → every entry of the
    /// table; otherwise one key, NOT_FOUND when it has no entry.
    func directCounterEntries(_ filter: P4_V1_DirectCounterEntry) throws -> [P4_V1_DirectCounterEntry] {
        let validator = EntryValidator(index: index)
        let key = filter.tableEntry
        var entries: [P4_V1_TableEntry] = []
        if key.tableID == 0 {
            for table in index.allTables where index.directCounter(of: table) != nil {
                entries += backend.tableEntries(tableID: table.id)
            }
        } else {
            guard let table = index.table(id: key.tableID) else { throw P4ServerError(.notFound, "unknown table id \(key.tableID)") }
            _ = try validator.directCounterTable(table)
            if key.match.isEmpty && !key.isDefaultAction {
                entries = backend.tableEntries(tableID: table.id)
            } else {
                guard let entry = backend.tableEntry(try validator.directCounterKey(key, table: table)) else {
                    throw P4ServerError(.notFound, "no entry with this key in \"\(table.name)\"")
                }
                entries = [entry]
            }
        }
        return entries.map { entry in
            var out = P4_V1_DirectCounterEntry()
            out.tableEntry.tableID = entry.tableID
            out.tableEntry.match = entry.match
            out.tableEntry.priority = entry.priority
            out.data = entry.counterData
            return out
        }
    }
}
