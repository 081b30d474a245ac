import P4Info
import P4RuntimeAPI

/// Applies one update at a time to a backend, enforcing the per-update rules (facts §4.2–4.5).
/// Each update either changes the backend fully or not at all.
struct UpdateApplier {
    let validator: EntryValidator
    var backend: any P4TargetBackend
    private var profileRefs: [UInt32: [P4_Config_V1_ActionRef]] = [:]

    init(validator: EntryValidator, backend: any P4TargetBackend) {
        self.validator = validator
        self.backend = backend
    }

    var index: P4InfoIndex { validator.index }

    mutating func apply(_ update: P4_V1_Update) throws {
        guard update.type != .unspecified, case .some = update.type.rawValueIfKnown else {
            throw P4ServerError(.invalidArgument, "update type is unspecified")
        }
        switch update.entity.entity {
        case .tableEntry(let entry)?:
            try applyTableEntry(entry, update.type)
        case .actionProfileMember(let member)?:
            try applyMember(member, update.type)
        case .actionProfileGroup(let group)?:
            try applyGroup(group, update.type)
        case .counterEntry(let counter)?:
            try applyCounter(counter, update.type)
        case .directCounterEntry(let counter)?:
            try applyDirectCounter(counter, update.type)
        case nil:
            throw P4ServerError(.invalidArgument, "update has no entity set")
        case .some(let other):
            throw P4ServerError(.unimplemented, "\(Self.kindName(other)) are not supported by this target")
        }
    }

    /// What an entity kind is called in errors, so an UNIMPLEMENTED names the feature.
    static func kindName(_ entity: P4_V1_Entity.OneOf_Entity) -> String {
        switch entity {
        case .externEntry: "extern entries (ExternEntry)"
        case .tableEntry: "table entries"
        case .actionProfileMember: "action profile members"
        case .actionProfileGroup: "action profile groups"
        case .meterEntry: "meters (MeterEntry)"
        case .directMeterEntry: "direct meters (DirectMeterEntry)"
        case .counterEntry: "counters (CounterEntry)"
        case .directCounterEntry: "direct counters (DirectCounterEntry)"
        case .packetReplicationEngineEntry: "multicast groups and clone sessions (PacketReplicationEngineEntry)"
        case .valueSetEntry: "parser value sets (ValueSetEntry)"
        case .registerEntry: "registers (RegisterEntry)"
        case .digestEntry: "digests (DigestEntry)"
        }
    }

    // MARK: Table entries

    private mutating func applyTableEntry(_ entry: P4_V1_TableEntry, _ type: P4_V1_Update.TypeEnum) throws {
        let table = try validator.table(entry.tableID)
        if entry.isConst {
            throw P4ServerError(.invalidArgument, "is_const is set by the server on reads, never by a writer")
        }
        if entry.isDefaultAction {
            return try applyDefaultEntry(entry, type, table: table)
        }
        if table.isConst {
            throw P4ServerError(.permissionDenied, "table \"\(table.name)\" is const; its entries cannot be written")
        }
        if table.matchFields.isEmpty {
            throw P4ServerError(.invalidArgument, "table \"\(table.name)\" has no key; only its default entry can be written")
        }
        let match = try validator.canonicalMatch(entry.match, table: table)
        try validator.checkPriority(entry.priority, table: table)
        let key = P4TableEntryKey(tableID: table.id, sortedMatch: match, priority: entry.priority)
        let existing = backend.tableEntry(key)

        if type == .delete {
            // DELETE looks only at the key (§9.1).
            guard existing != nil else { throw P4ServerError(.notFound, "no entry with this key in \"\(table.name)\"") }
            return try backend.removeTableEntry(key)
        }

        var stored = P4_V1_TableEntry()
        stored.tableID = table.id
        stored.match = match
        stored.priority = entry.priority
        stored.metadata = entry.metadata
        stored.controllerMetadata = entry.controllerMetadata
        try checkEntryExtras(entry, table: table)
        stored.idleTimeoutNs = entry.idleTimeoutNs
        if entry.hasAction {
            stored.action = try canonicalTableAction(entry.action, table: table)
        }

        switch type {
        case .insert:
            guard entry.hasAction else { throw P4ServerError(.invalidArgument, "INSERT into \"\(table.name)\" needs an action") }
            guard existing == nil else { throw P4ServerError(.alreadyExists, "an entry with this key already exists in \"\(table.name)\"") }
            if table.size > 0 && backend.tableEntryCount(tableID: table.id) >= table.size {
                throw P4ServerError(.resourceExhausted, "table \"\(table.name)\" is full (size \(table.size))")
            }
            if entry.hasCounterData { stored.counterData = entry.counterData }
        case .modify:
            guard let existing else { throw P4ServerError(.notFound, "no entry with this key in \"\(table.name)\"") }
            // MODIFY without an action keeps the action (§9.1.2); unset counters stay (§9.1.7).
            if !entry.hasAction { stored.action = existing.action }
            stored.counterData = entry.hasCounterData ? entry.counterData : existing.counterData
            if !entry.hasCounterData && !existing.hasCounterData { stored.clearCounterData() }
        default:
            throw P4ServerError(.invalidArgument, "update type \(type) is not valid")
        }
        try backend.putTableEntry(stored, key: key)
    }

    /// Idle timeout and direct resources (§9.1.7, §9.1.8).
    private func checkEntryExtras(_ entry: P4_V1_TableEntry, table: P4TableInfo) throws {
        if entry.hasTimeSinceLastHit {
            throw P4ServerError(.invalidArgument, "time_since_last_hit is read-only")
        }
        if entry.idleTimeoutNs != 0 && !table.supportsIdleTimeout {
            throw P4ServerError(.invalidArgument, "table \"\(table.name)\" has no idle timeout; idle_timeout_ns must be 0")
        }
        if entry.hasMeterConfig || entry.hasMeterCounterData {
            throw P4ServerError(.unimplemented, "direct meters are not supported by this target")
        }
        if entry.hasCounterData && index.directCounter(of: table) == nil {
            throw P4ServerError(.invalidArgument, "table \"\(table.name)\" has no direct counter; counter_data must be unset")
        }
    }

    /// The TableAction oneof must fit the table (§9.1.2): `action` for a direct table, a member
    /// (or, with a selector, a group) for an indirect one; references must exist (NOT_FOUND).
    private func canonicalTableAction(_ action: P4_V1_TableAction, table: P4TableInfo) throws -> P4_V1_TableAction {
        var out = P4_V1_TableAction()
        switch action.type {
        case .action(let call)?:
            guard table.implementationID == nil else {
                throw P4ServerError(.invalidArgument, "table \"\(table.name)\" has an action profile; give action_profile_member_id or group_id, not an action")
            }
            out.action = try validator.canonicalAction(call, refs: table.actionRefs, asDefault: false, owner: "table \"\(table.name)\"")
        case .actionProfileMemberID(let memberID)?:
            guard let profileID = table.implementationID else {
                throw P4ServerError(.invalidArgument, "table \"\(table.name)\" is direct; it takes an action, not a member id")
            }
            guard backend.member(profileID: profileID, memberID: memberID) != nil else {
                throw P4ServerError(.notFound, "member \(memberID) does not exist in the table's action profile")
            }
            out.actionProfileMemberID = memberID
        case .actionProfileGroupID(let groupID)?:
            guard let profileID = table.implementationID, index.actionProfile(id: profileID)?.withSelector == true else {
                throw P4ServerError(.invalidArgument, "table \"\(table.name)\" has no action selector; it takes no group id")
            }
            guard backend.group(profileID: profileID, groupID: groupID) != nil else {
                throw P4ServerError(.notFound, "group \(groupID) does not exist in the table's action selector")
            }
            out.actionProfileGroupID = groupID
        case .actionProfileActionSet?:
            throw P4ServerError(.unimplemented, "one-shot action profile programming is not supported; use members and groups")
        case nil:
            throw P4ServerError(.invalidArgument, "table action has nothing set")
        }
        return out
    }

    /// The default entry (§9.1.3–§9.1.5): MODIFY only, empty match and priority 0; MODIFY
    /// without an action resets to the program's default; a const default cannot change.
    private mutating func applyDefaultEntry(_ entry: P4_V1_TableEntry, _ type: P4_V1_Update.TypeEnum, table: P4TableInfo) throws {
        guard entry.match.isEmpty, entry.priority == 0 else {
            throw P4ServerError(.invalidArgument, "the default entry of \"\(table.name)\" is addressed with an empty match and priority 0")
        }
        guard type == .modify else {
            throw P4ServerError(.invalidArgument, "the default entry always exists; only MODIFY applies to it, not \(type)")
        }
        if table.constDefaultActionID != nil {
            throw P4ServerError(.permissionDenied, "table \"\(table.name)\" has a const default action")
        }
        if entry.idleTimeoutNs != 0 || entry.hasTimeSinceLastHit {
            throw P4ServerError(.invalidArgument, "the default entry cannot have an idle timeout")
        }
        guard entry.hasAction else {
            return try backend.setDefaultEntry(P4RuntimeCore.initialDefaultEntry(table), tableID: table.id)
        }
        guard table.implementationID == nil, case .action(let call)? = entry.action.type else {
            throw P4ServerError(.invalidArgument, "the default entry of \"\(table.name)\" takes a direct action only")
        }
        var stored = P4_V1_TableEntry()
        stored.tableID = table.id
        stored.isDefaultAction = true
        stored.metadata = entry.metadata
        stored.action.action = try validator.canonicalAction(call, refs: table.actionRefs, asDefault: true, owner: "table \"\(table.name)\"")
        try backend.setDefaultEntry(stored, tableID: table.id)
    }

    // MARK: Action profiles

    private func profile(_ id: UInt32) throws -> P4ActionProfileInfo {
        guard id != 0 else { throw P4ServerError(.invalidArgument, "action_profile_id 0 is not a valid id in a write") }
        guard let profile = index.actionProfile(id: id) else { throw P4ServerError(.invalidArgument, "unknown action profile id \(id)") }
        return profile
    }

    /// The actions a member may use: those of the tables the profile implements. Kept per
    /// profile for the applier's life (one Write), not rebuilt for every member.
    private mutating func profileActionRefs(_ profile: P4ActionProfileInfo) -> [P4_Config_V1_ActionRef] {
        if let refs = profileRefs[profile.id] { return refs }
        let refs = profile.tableIDs.compactMap { index.table(id: $0) }.flatMap(\.actionRefs)
        profileRefs[profile.id] = refs
        return refs
    }

    private mutating func applyMember(_ member: P4_V1_ActionProfileMember, _ type: P4_V1_Update.TypeEnum) throws {
        let profile = try profile(member.actionProfileID)
        guard member.memberID != 0 else { throw P4ServerError(.invalidArgument, "member_id 0 is not valid") }
        let existing = backend.member(profileID: profile.id, memberID: member.memberID)
        if type == .delete {
            guard existing != nil else { throw P4ServerError(.notFound, "member \(member.memberID) does not exist in \"\(profile.name)\"") }
            if let user = memberUser(profile: profile, memberID: member.memberID) {
                throw P4ServerError(.failedPrecondition, "member \(member.memberID) is still used by \(user)")
            }
            return try backend.removeMember(profileID: profile.id, memberID: member.memberID)
        }
        var stored = P4_V1_ActionProfileMember()
        stored.actionProfileID = profile.id
        stored.memberID = member.memberID
        stored.action = try validator.canonicalAction(member.action, refs: profileActionRefs(profile), asDefault: false, owner: "action profile \"\(profile.name)\"")
        switch type {
        case .insert:
            guard existing == nil else { throw P4ServerError(.alreadyExists, "member \(member.memberID) already exists in \"\(profile.name)\"") }
            if profile.size > 0 && backend.memberCount(profileID: profile.id) >= profile.size {
                throw P4ServerError(.resourceExhausted, "action profile \"\(profile.name)\" is full (size \(profile.size))")
            }
        case .modify:
            guard let existing else { throw P4ServerError(.notFound, "member \(member.memberID) does not exist in \"\(profile.name)\"") }
            // A selector group runs one action function (§9.2.4): changing a grouped member's
            // function is allowed to be refused, and is.
            if existing.action.actionID != stored.action.actionID,
               let group = backend.references.group(listing: member.memberID, profileID: profile.id) {
                throw P4ServerError(.unimplemented, "member \(member.memberID) is in group \(group); changing its action function is not supported")
            }
        default:
            throw P4ServerError(.invalidArgument, "update type \(type) is not valid")
        }
        try backend.putMember(stored)
    }

    /// Who still refers to a member: a group of its profile or an entry of a table it implements.
    private func memberUser(profile: P4ActionProfileInfo, memberID: UInt32) -> String? {
        if let group = backend.references.group(listing: memberID, profileID: profile.id) {
            return "group \(group)"
        }
        if let tableID = backend.references.table(referencingMember: memberID, in: profile.tableIDs) {
            return "an entry of table \(index.table(id: tableID)?.name ?? String(tableID))"
        }
        return nil
    }

    private mutating func applyGroup(_ group: P4_V1_ActionProfileGroup, _ type: P4_V1_Update.TypeEnum) throws {
        let profile = try profile(group.actionProfileID)
        guard profile.withSelector else {
            throw P4ServerError(.invalidArgument, "action profile \"\(profile.name)\" has no selector, so it has no groups")
        }
        guard group.groupID != 0 else { throw P4ServerError(.invalidArgument, "group_id 0 is not valid") }
        let existing = backend.group(profileID: profile.id, groupID: group.groupID)
        if type == .delete {
            guard existing != nil else { throw P4ServerError(.notFound, "group \(group.groupID) does not exist in \"\(profile.name)\"") }
            if let tableID = backend.references.table(referencingGroup: group.groupID, in: profile.tableIDs) {
                throw P4ServerError(.failedPrecondition, "group \(group.groupID) is still used by an entry of table \(index.table(id: tableID)?.name ?? String(tableID))")
            }
            return try backend.removeGroup(profileID: profile.id, groupID: group.groupID)
        }
        // max_size is fixed at INSERT; it may not exceed the selector's limit.
        let maxSize = type == .modify ? (existing?.maxSize ?? group.maxSize) : group.maxSize
        if maxSize < 0 { throw P4ServerError(.invalidArgument, "max_size \(maxSize) is negative") }
        if profile.maxGroupSize > 0 && maxSize > profile.maxGroupSize {
            throw P4ServerError(.resourceExhausted, "max_size \(maxSize) exceeds the selector's max_group_size \(profile.maxGroupSize)")
        }
        var seen = Set<UInt32>()
        for member in group.members {
            guard seen.insert(member.memberID).inserted else {
                throw P4ServerError(.invalidArgument, "member \(member.memberID) appears twice in group \(group.groupID)")
            }
            guard member.weight > 0 else {
                throw P4ServerError(.invalidArgument, "member \(member.memberID) has weight \(member.weight); weights are positive")
            }
            if case .watchPort? = member.watchKind {
                throw P4ServerError(.unimplemented, "watch ports are not supported by this target")
            }
            guard backend.member(profileID: profile.id, memberID: member.memberID) != nil else {
                throw P4ServerError(.notFound, "member \(member.memberID) does not exist in \"\(profile.name)\"")
            }
        }
        let functions = Set(group.members.compactMap { backend.member(profileID: profile.id, memberID: $0.memberID)?.action.actionID })
        if functions.count > 1 {
            throw P4ServerError(.unimplemented, "group \(group.groupID) mixes action functions; one function per group is supported (§9.2.4)")
        }
        let limit = maxSize > 0 ? Int(maxSize) : Int(profile.maxGroupSize)
        if limit > 0 && group.members.count > limit {
            throw P4ServerError(.resourceExhausted, "group \(group.groupID) has \(group.members.count) members, more than its maximum \(limit)")
        }
        var stored = P4_V1_ActionProfileGroup()
        stored.actionProfileID = profile.id
        stored.groupID = group.groupID
        stored.members = group.members
        stored.maxSize = maxSize
        switch type {
        case .insert:
            guard existing == nil else { throw P4ServerError(.alreadyExists, "group \(group.groupID) already exists in \"\(profile.name)\"") }
        case .modify:
            guard existing != nil else { throw P4ServerError(.notFound, "group \(group.groupID) does not exist in \"\(profile.name)\"") }
        default:
            throw P4ServerError(.invalidArgument, "update type \(type) is not valid")
        }
        try backend.putGroup(stored)
    }
}

extension P4_V1_Update.TypeEnum {
    /// nil for values this build does not know (`UNRECOGNIZED`).
    var rawValueIfKnown: Int? {
        if case .UNRECOGNIZED = self { return nil }
        return rawValue
    }
}
