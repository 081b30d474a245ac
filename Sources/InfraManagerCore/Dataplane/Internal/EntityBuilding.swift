import Foundation
import P4RuntimeAPI

/// Builds P4Runtime entities straight from resolved ids, in the canonical form a target
/// stores and reads back (shortest bytestrings, match fields sorted by id), so that what the
/// manager wants compares equal to what it reads during reconciliation.
///
/// Widths are not re-checked here: the translator only passes values whose size is fixed by
/// their type (IPv4 address, port, MAC) or by an allocator range sized from the P4Info.
enum EntityBuilding {
    static func canonical(_ value: UInt64) -> Data {
        guard value != 0 else { return Data([0]) }
        let bytes = withUnsafeBytes(of: value.bigEndian) { Data($0) }
        return bytes.drop { $0 == 0 }
    }

    static func canonical(bytes: [UInt8]) -> Data {
        let trimmed = bytes.drop { $0 == 0 }
        return trimmed.isEmpty ? Data([0]) : Data(trimmed)
    }

    static func exact(_ field: K8sDpSchema.Field, _ value: Data) -> P4_V1_FieldMatch {
        var match = P4_V1_FieldMatch()
        match.fieldID = field.id
        match.exact.value = value
        return match
    }

    static func ternary(_ field: K8sDpSchema.Field, value: UInt64, mask: UInt64) -> P4_V1_FieldMatch {
        var match = P4_V1_FieldMatch()
        match.fieldID = field.id
        match.ternary.value = canonical(value & mask)
        match.ternary.mask = canonical(mask)
        return match
    }

    static func range(_ field: K8sDpSchema.Field, low: UInt64, high: UInt64) -> P4_V1_FieldMatch {
        var match = P4_V1_FieldMatch()
        match.fieldID = field.id
        match.range.low = canonical(low)
        match.range.high = canonical(high)
        return match
    }

    static func action(_ action: K8sDpSchema.Action, _ values: [Data]) -> P4_V1_Action {
        var built = P4_V1_Action()
        built.actionID = action.id
        built.params = zip(action.params, values).map { param, value in
            var encoded = P4_V1_Action.Param()
            encoded.paramID = param.id
            encoded.value = value
            return encoded
        }
        return built
    }

    static func entry(_ table: K8sDpSchema.Table, match: [P4_V1_FieldMatch], priority: Int32 = 0, action: P4_V1_Action) -> (TargetKey, P4_V1_Entity) {
        let sorted = match.sorted { $0.fieldID < $1.fieldID }
        var entry = P4_V1_TableEntry()
        entry.tableID = table.id
        entry.match = sorted
        entry.priority = priority
        entry.action.action = action
        return (.entry(table: table.id, match: PackedMatch(sorted), priority: priority), P4_V1_Entity(entry))
    }

    static func groupEntry(_ table: K8sDpSchema.Table, match: [P4_V1_FieldMatch], groupID: UInt32) -> (TargetKey, P4_V1_Entity) {
        let sorted = match.sorted { $0.fieldID < $1.fieldID }
        var entry = P4_V1_TableEntry()
        entry.tableID = table.id
        entry.match = sorted
        entry.action.actionProfileGroupID = groupID
        return (.entry(table: table.id, match: PackedMatch(sorted), priority: 0), P4_V1_Entity(entry))
    }

    static func defaultEntry(_ table: K8sDpSchema.Table, action: P4_V1_Action) -> (TargetKey, P4_V1_Entity) {
        var entry = P4_V1_TableEntry()
        entry.tableID = table.id
        entry.isDefaultAction = true
        entry.action.action = action
        return (.defaultEntry(table: table.id), P4_V1_Entity(entry))
    }

    static func member(_ profile: K8sDpSchema.Profile, id: UInt32, action: P4_V1_Action) -> (TargetKey, P4_V1_Entity) {
        var member = P4_V1_ActionProfileMember()
        member.actionProfileID = profile.id
        member.memberID = id
        member.action = action
        return (.member(profile: profile.id, id: id), P4_V1_Entity(member))
    }

    static func group(_ profile: K8sDpSchema.Profile, id: UInt32, members: [UInt32]) -> (TargetKey, P4_V1_Entity) {
        var group = P4_V1_ActionProfileGroup()
        group.actionProfileID = profile.id
        group.groupID = id
        group.members = members.sorted().map { member in
            var entry = P4_V1_ActionProfileGroup.Member()
            entry.memberID = member
            entry.weight = 1
            return entry
        }
        return (.group(profile: profile.id, id: id), P4_V1_Entity(group))
    }
}
