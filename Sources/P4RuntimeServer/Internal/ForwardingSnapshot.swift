import P4Info
import P4RuntimeAPI

/// The forwarding state a client wrote, copied out of a backend so it can be replayed into a
/// freshly realized one: how COMMIT applies the Writes made after VERIFY_AND_SAVE, and how
/// RECONCILE_AND_COMMIT keeps entries across a pipeline change (§14).
///
/// Only client-made state is taken: table entries, default entries that differ from the
/// program's initial default, members, groups and non-zero counter cells. Everything else is
/// what `realize` plus the initial defaults produce anyway.
struct ForwardingSnapshot {
    var entries: [UInt32: [P4_V1_TableEntry]] = [:]
    var defaults: [UInt32: P4_V1_TableEntry?] = [:]
    var members: [UInt32: [P4_V1_ActionProfileMember]] = [:]
    var groups: [UInt32: [P4_V1_ActionProfileGroup]] = [:]
    var counterCells: [UInt32: [(index: Int64, data: P4_V1_CounterData)]] = [:]

    /// Takes the state of every object `index` describes.
    init(of backend: any P4TargetBackend, index: P4InfoIndex) {
        for table in index.allTables {
            let tableEntries = backend.tableEntries(tableID: table.id)
            if !tableEntries.isEmpty { entries[table.id] = tableEntries }
            let current = backend.defaultEntry(tableID: table.id)
            if current != P4RuntimeCore.initialDefaultEntry(table) { defaults[table.id] = current }
        }
        for profile in index.allActionProfiles {
            let profileMembers = backend.members(profileID: profile.id)
            if !profileMembers.isEmpty { members[profile.id] = profileMembers }
            let profileGroups = backend.groups(profileID: profile.id)
            if !profileGroups.isEmpty { groups[profile.id] = profileGroups }
        }
        for counter in index.allCounters where counter.size > 0 {
            let cells = (0..<counter.size).compactMap { cell -> (index: Int64, data: P4_V1_CounterData)? in
                let data = backend.counterData(counterID: counter.id, index: cell)
                return data == P4_V1_CounterData() ? nil : (cell, data)
            }
            if !cells.isEmpty { counterCells[counter.id] = cells }
        }
    }

    /// Tables whose state would be lost if their definition changed.
    var tableIDs: Set<UInt32> { Set(entries.keys).union(defaults.keys) }
    var profileIDs: Set<UInt32> { Set(members.keys).union(groups.keys) }
    var counterIDs: Set<UInt32> { Set(counterCells.keys) }

    /// Writes the state into `backend` in dependency order: members before the groups and
    /// entries that refer to them.
    func replay(into backend: inout any P4TargetBackend) throws {
        for member in members.values.joined() { try backend.putMember(member) }
        for group in groups.values.joined() { try backend.putGroup(group) }
        for entry in entries.values.joined() {
            try backend.putTableEntry(entry, key: P4TableEntryKey(tableID: entry.tableID, sortedMatch: entry.match, priority: entry.priority))
        }
        for (tableID, entry) in defaults { try backend.setDefaultEntry(entry, tableID: tableID) }
        for (counterID, cells) in counterCells {
            for cell in cells { try backend.setCounterData(cell.data, counterID: counterID, indices: cell.index..<cell.index + 1) }
        }
    }
}
