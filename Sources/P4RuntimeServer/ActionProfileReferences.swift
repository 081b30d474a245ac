import P4RuntimeAPI

/// Who refers to which action-profile member and group: groups listing members, and table
/// entries pointing at members or groups. A backend keeps one beside its state so the core's
/// reference checks (a member still in a group, a group still used by an entry) and the
/// capacity check cost O(1) per update instead of a scan of every entry — with 100,000
/// members a scan per update made bulk programming quadratic.
public struct ActionProfileReferences: Sendable {
    private var groupsByMember: [UInt32: [UInt32: Set<UInt32>]] = [:]
    private var membersInEntries: [UInt32: [UInt32: Int]] = [:]
    private var groupsInEntries: [UInt32: [UInt32: Int]] = [:]

    public init() {}

    /// Records that table `tableID`'s entry changed from `old` to `new` (nil: absent).
    public mutating func entryChanged(tableID: UInt32, from old: P4_V1_TableEntry?, to new: P4_V1_TableEntry?) {
        if let old { count(old, tableID: tableID, by: -1) }
        if let new { count(new, tableID: tableID, by: 1) }
    }

    private mutating func count(_ entry: P4_V1_TableEntry, tableID: UInt32, by delta: Int) {
        switch entry.action.type {
        case .actionProfileMemberID(let member)?:
            Self.add(delta, to: member, in: &membersInEntries[tableID, default: [:]])
        case .actionProfileGroupID(let group)?:
            Self.add(delta, to: group, in: &groupsInEntries[tableID, default: [:]])
        default:
            break
        }
    }

    /// Adds `delta` to the count of `id`, dropping it at zero; one lookup for a known id.
    private static func add(_ delta: Int, to id: UInt32, in counts: inout [UInt32: Int]) {
        guard let index = counts.index(forKey: id) else {
            if delta != 0 { counts[id] = delta }
            return
        }
        let count = counts.values[index] + delta
        if count == 0 {
            counts.remove(at: index)
        } else {
            counts.values[index] = count
        }
    }

    /// Records that a group changed from `old` to `new` (nil: absent).
    public mutating func groupChanged(profileID: UInt32, from old: P4_V1_ActionProfileGroup?, to new: P4_V1_ActionProfileGroup?) {
        for member in old?.members ?? [] {
            groupsByMember[profileID]?[member.memberID]?.remove(old!.groupID)
            if groupsByMember[profileID]?[member.memberID]?.isEmpty == true { groupsByMember[profileID]?[member.memberID] = nil }
        }
        for member in new?.members ?? [] {
            groupsByMember[profileID, default: [:]][member.memberID, default: []].insert(new!.groupID)
        }
    }

    /// A group of the profile that lists `memberID`.
    public func group(listing memberID: UInt32, profileID: UInt32) -> UInt32? {
        groupsByMember[profileID]?[memberID]?.min()
    }

    /// The first of `tableIDs` with an entry pointing at member `memberID`.
    public func table(referencingMember memberID: UInt32, in tableIDs: [UInt32]) -> UInt32? {
        tableIDs.first { membersInEntries[$0]?[memberID] != nil }
    }

    /// The first of `tableIDs` with an entry pointing at group `groupID`.
    public func table(referencingGroup groupID: UInt32, in tableIDs: [UInt32]) -> UInt32? {
        tableIDs.first { groupsInEntries[$0]?[groupID] != nil }
    }
}
