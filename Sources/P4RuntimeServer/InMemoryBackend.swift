import Foundation
import P4Info
import P4RuntimeAPI

/// Forwarding state kept in dictionaries: the emulator's target. Nothing is persisted, so a
/// restart loses it, as a real switch loses its tables on reboot.
///
/// Each entry keeps the sequence number of its INSERT so reads come back in write order
/// (stable test expectations and operator output) while a DELETE stays O(1); the sort is paid
/// by the rarer wildcard read.
public struct InMemoryBackend: P4TargetBackend {
    private struct Stored: Sendable {
        var sequence: Int
        var entry: P4_V1_TableEntry
    }

    private var entries: [UInt32: [P4TableEntryKey: Stored]] = [:]
    private var nextSequence = 0
    private var defaults: [UInt32: P4_V1_TableEntry] = [:]
    private var profileMembers: [UInt32: [UInt32: P4_V1_ActionProfileMember]] = [:]
    private var profileGroups: [UInt32: [UInt32: P4_V1_ActionProfileGroup]] = [:]
    /// Only cells holding a non-zero value: counters can have millions of cells and most
    /// stay zero in an emulator where no packets flow.
    private var counterCells: [UInt32: [Int64: P4_V1_CounterData]] = [:]
    public private(set) var references = ActionProfileReferences()

    public init() {}

    /// Memory holds anything a P4Info describes.
    public func verify(_ pipeline: P4InfoIndex, deviceConfig: Data) throws {}

    public mutating func realize(_ pipeline: P4InfoIndex, deviceConfig: Data) throws {
        self = InMemoryBackend()
    }

    public func tableEntry(_ key: P4TableEntryKey) -> P4_V1_TableEntry? { entries[key.tableID]?[key]?.entry }

    public func tableEntries(tableID: UInt32) -> [P4_V1_TableEntry] {
        guard let table = entries[tableID] else { return [] }
        return table.values.sorted { $0.sequence < $1.sequence }.map(\.entry)
    }

    public func tableEntryCount(tableID: UInt32) -> Int { entries[tableID]?.count ?? 0 }

    public mutating func putTableEntry(_ entry: P4_V1_TableEntry, key: P4TableEntryKey) throws {
        // One hash lookup: a new key lands with sequence -1 and takes the next one here.
        let previous = Self.put(entry, in: &entries[key.tableID, default: [:]][key, default: Stored(sequence: -1, entry: entry)], sequence: nextSequence)
        if previous == nil { nextSequence += 1 }
        references.entryChanged(tableID: key.tableID, from: previous, to: entry)
    }

    /// Stores `entry` in `slot` and returns the entry it replaced, nil for a new slot.
    private static func put(_ entry: P4_V1_TableEntry, in slot: inout Stored, sequence: Int) -> P4_V1_TableEntry? {
        guard slot.sequence >= 0 else {
            slot.sequence = sequence
            return nil
        }
        let previous = slot.entry
        slot.entry = entry
        return previous
    }

    /// The entry's place in read order, for a backend that may have to put it back (undo).
    public func readPosition(_ key: P4TableEntryKey) -> Int? { entries[key.tableID]?[key]?.sequence }

    /// Puts back an entry removed earlier at `readPosition` (from `readPosition(_:)`), so an
    /// undone remove leaves reads exactly as they were.
    public mutating func restoreTableEntry(_ entry: P4_V1_TableEntry, key: P4TableEntryKey, readPosition: Int) {
        let previous = entries[key.tableID, default: [:]].updateValue(Stored(sequence: readPosition, entry: entry), forKey: key)
        references.entryChanged(tableID: key.tableID, from: previous?.entry, to: entry)
    }

    public mutating func removeTableEntry(_ key: P4TableEntryKey) throws {
        let previous = entries[key.tableID]?.removeValue(forKey: key)
        references.entryChanged(tableID: key.tableID, from: previous?.entry, to: nil)
    }

    public func defaultEntry(tableID: UInt32) -> P4_V1_TableEntry? { defaults[tableID] }

    public mutating func setDefaultEntry(_ entry: P4_V1_TableEntry?, tableID: UInt32) throws {
        defaults[tableID] = entry
    }

    public func member(profileID: UInt32, memberID: UInt32) -> P4_V1_ActionProfileMember? {
        profileMembers[profileID]?[memberID]
    }

    public func members(profileID: UInt32) -> [P4_V1_ActionProfileMember] {
        (profileMembers[profileID] ?? [:]).values.sorted { $0.memberID < $1.memberID }
    }

    public func memberCount(profileID: UInt32) -> Int { profileMembers[profileID]?.count ?? 0 }

    public mutating func putMember(_ member: P4_V1_ActionProfileMember) throws {
        profileMembers[member.actionProfileID, default: [:]][member.memberID] = member
    }

    public mutating func removeMember(profileID: UInt32, memberID: UInt32) throws {
        profileMembers[profileID]?[memberID] = nil
    }

    public func group(profileID: UInt32, groupID: UInt32) -> P4_V1_ActionProfileGroup? {
        profileGroups[profileID]?[groupID]
    }

    public func groups(profileID: UInt32) -> [P4_V1_ActionProfileGroup] {
        (profileGroups[profileID] ?? [:]).values.sorted { $0.groupID < $1.groupID }
    }

    public mutating func putGroup(_ group: P4_V1_ActionProfileGroup) throws {
        references.groupChanged(profileID: group.actionProfileID, from: profileGroups[group.actionProfileID]?[group.groupID], to: group)
        profileGroups[group.actionProfileID, default: [:]][group.groupID] = group
    }

    public mutating func removeGroup(profileID: UInt32, groupID: UInt32) throws {
        references.groupChanged(profileID: profileID, from: profileGroups[profileID]?[groupID], to: nil)
        profileGroups[profileID]?[groupID] = nil
    }

    /// Every change is final when made: nothing to commit.
    public mutating func finishWrite() throws {}

    public func counterData(counterID: UInt32, index: Int64) -> P4_V1_CounterData {
        counterCells[counterID]?[index] ?? P4_V1_CounterData()
    }

    public mutating func setCounterData(_ data: P4_V1_CounterData, counterID: UInt32, indices: Range<Int64>) throws {
        let zero = data == P4_V1_CounterData()
        if zero {
            // A reset touches only the stored cells, however large the range.
            counterCells[counterID] = counterCells[counterID]?.filter { !indices.contains($0.key) }
        } else {
            for index in indices { counterCells[counterID, default: [:]][index] = data }
        }
    }
}
