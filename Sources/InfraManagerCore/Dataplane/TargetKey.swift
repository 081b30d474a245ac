import P4RuntimeAPI

/// The identity of one object on the target, as P4Runtime defines it: a table entry by its
/// table, match and priority (§9.1); a table's default entry; an action-profile member or
/// group by profile and id.
///
/// Two desired objects with the same key are the same target object, which is how
/// conflicts between intents are found and how a diff pairs old with new.
enum TargetKey: Hashable, Sendable {
    case member(profile: UInt32, id: UInt32)
    case group(profile: UInt32, id: UInt32)
    case entry(table: UInt32, match: PackedMatch, priority: Int32)
    case defaultEntry(table: UInt32)

    /// Dependency order: members before the groups that list them, groups before the entries
    /// that point at them. Inserts and modifies go up this order, deletes come down it.
    var rank: Int {
        switch self {
        case .member: 0
        case .group: 1
        case .entry, .defaultEntry: 2
        }
    }

    /// The rank with the entries of `slotTables` counted as members: the data plane reaches
    /// them through a group's slot, so they must be there before the group and stay after it.
    func rank(slotTables: Set<UInt32>) -> Int {
        if case .entry(let table, _, _) = self, slotTables.contains(table) { return 0 }
        return rank
    }

    /// The table or action profile this object occupies, for capacity accounting.
    var resource: UInt32 {
        switch self {
        case .member(let profile, _), .group(let profile, _): profile
        case .entry(let table, _, _), .defaultEntry(let table): table
        }
    }

    /// The key of a P4Runtime entity as a target stores it.
    init?(_ entity: P4_V1_Entity) {
        switch entity.entity {
        case .tableEntry(let entry):
            self = entry.isDefaultAction
                ? .defaultEntry(table: entry.tableID)
                : .entry(table: entry.tableID, match: PackedMatch(entry.match), priority: entry.priority)
        case .actionProfileMember(let member):
            self = .member(profile: member.actionProfileID, id: member.memberID)
        case .actionProfileGroup(let group):
            self = .group(profile: group.actionProfileID, id: group.groupID)
        default:
            return nil
        }
    }
}

/// Target objects by key: what one intent needs, or what the whole target holds.
typealias TargetObjects = [TargetKey: PackedEntity]
