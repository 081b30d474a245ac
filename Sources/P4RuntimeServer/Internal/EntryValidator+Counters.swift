import P4Info
import P4RuntimeAPI

/// Counter rules shared by Write and Read (§9.3, facts §4.8).
extension EntryValidator {
    /// An indexed counter by id. Unknown ids are NOT_FOUND in Writes too: a counter cell is
    /// addressed like an existing object, never created.
    func counter(_ id: UInt32) throws -> P4CounterInfo {
        guard let counter = index.counter(id: id) else { throw P4ServerError(.notFound, "unknown counter id \(id)") }
        return counter
    }

    /// The cells an `Index` addresses: all of them when unset, else the one cell; negative →
    /// INVALID_ARGUMENT, past the counter's size → OUT_OF_RANGE.
    func cells(_ entry: P4_V1_CounterEntry, of counter: P4CounterInfo) throws -> Range<Int64> {
        guard entry.hasIndex else { return 0..<max(counter.size, 0) }
        let cell = entry.index.index
        guard cell >= 0 else { throw P4ServerError(.invalidArgument, "counter index \(cell) is negative") }
        guard cell < counter.size else {
            throw P4ServerError(.outOfRange, "index \(cell) is past the end of counter \"\(counter.name)\" (size \(counter.size))")
        }
        return cell..<cell + 1
    }

    /// The table of a DirectCounterEntry; it must have a direct counter.
    func directCounterTable(_ table: P4TableInfo) throws -> P4DirectCounterInfo {
        guard let counter = index.directCounter(of: table) else {
            throw P4ServerError(.invalidArgument, "table \"\(table.name)\" has no direct counter")
        }
        return counter
    }

    /// The key of the entry a DirectCounterEntry refers to (only key fields count, §9.3.2).
    func directCounterKey(_ entry: P4_V1_TableEntry, table: P4TableInfo) throws -> P4TableEntryKey {
        if entry.isDefaultAction {
            throw P4ServerError(.unimplemented, "the direct counter of a default entry is not supported by this target")
        }
        let match = try canonicalMatch(entry.match, table: table)
        try checkPriority(entry.priority, table: table)
        return P4TableEntryKey(tableID: table.id, sortedMatch: match, priority: entry.priority)
    }

    func checkCounterData(_ data: P4_V1_CounterData) throws {
        guard data.byteCount >= 0, data.packetCount >= 0 else {
            throw P4ServerError(.invalidArgument, "counter data cannot be negative (bytes \(data.byteCount), packets \(data.packetCount))")
        }
    }
}
