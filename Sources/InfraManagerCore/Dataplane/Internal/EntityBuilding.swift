/// Builds P4Runtime entities straight from resolved ids, in the canonical form a target
/// stores and reads back (shortest bytestrings, match fields sorted by id), so that what the
/// manager wants compares equal to what it reads during reconciliation.
///
/// The entities come out already encoded (`PackedEntity`): `EntityWire` writes the protobuf
/// bytes directly. Why not swift-protobuf: building a message tree per object and encoding
/// it (sizing every nested message on the way) was a fifth of the manager's CPU in a bulk
/// load, for objects whose shape is fixed. `EntityWireTests` check every builder's bytes
/// against swift-protobuf's encoding of the same message.
///
/// Values are numbers (at most 64 bits: every k8s_dp field and parameter is, a MAC included)
/// and widths are not re-checked here: the translator only passes values whose size is fixed
/// by their type (IPv4 address, port, MAC) or by an allocator range sized from the P4Info.
enum EntityBuilding {
    /// One match field of an entry.
    struct Match: Sendable {
        enum Kind: Sendable {
            case exact(UInt64)
            case ternary(value: UInt64, mask: UInt64)
            case range(low: UInt64, high: UInt64)
        }

        let fieldID: UInt32
        let kind: Kind
    }

    /// An action call with its parameter values, in the action's parameter order.
    struct Action: Sendable {
        let actionID: UInt32
        let params: [(id: UInt32, value: UInt64)]
    }

    /// A value given as bytes (a MAC address) as a number.
    static func number(bytes: [UInt8]) -> UInt64 {
        precondition(bytes.count <= 8, "k8s_dp values are at most 64 bits")
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func exact(_ field: K8sDpSchema.Field, _ value: UInt64) -> Match {
        Match(fieldID: field.id, kind: .exact(value))
    }

    static func ternary(_ field: K8sDpSchema.Field, value: UInt64, mask: UInt64) -> Match {
        Match(fieldID: field.id, kind: .ternary(value: value & mask, mask: mask))
    }

    static func range(_ field: K8sDpSchema.Field, low: UInt64, high: UInt64) -> Match {
        Match(fieldID: field.id, kind: .range(low: low, high: high))
    }

    static func action(_ action: K8sDpSchema.Action, _ values: [UInt64]) -> Action {
        Action(actionID: action.id, params: zip(action.params, values).map { (id: $0.id, value: $1) })
    }

    static func entry(_ table: K8sDpSchema.Table, match: [Match], priority: Int32 = 0, action: Action) -> (TargetKey, PackedEntity) {
        let key = PackedMatch(match.sorted { $0.fieldID < $1.fieldID })
        let bytes = EntityWire.tableEntry(tableID: table.id, match: key, priority: priority) { $0.message(1) { $0.action(action) } }
        return (.entry(table: table.id, match: key, priority: priority), PackedEntity(bytes: bytes))
    }

    static func groupEntry(_ table: K8sDpSchema.Table, match: [Match], groupID: UInt32) -> (TargetKey, PackedEntity) {
        let key = PackedMatch(match.sorted { $0.fieldID < $1.fieldID })
        // A oneof member is written even when zero.
        let bytes = EntityWire.tableEntry(tableID: table.id, match: key, priority: 0) { $0.varintField(3, UInt64(groupID)) }
        return (.entry(table: table.id, match: key, priority: 0), PackedEntity(bytes: bytes))
    }

    static func defaultEntry(_ table: K8sDpSchema.Table, action: Action) -> (TargetKey, PackedEntity) {
        let bytes = EntityWire.tableEntry(tableID: table.id, match: nil, priority: 0, isDefault: true) { $0.message(1) { $0.action(action) } }
        return (.defaultEntry(table: table.id), PackedEntity(bytes: bytes))
    }

    static func member(_ profile: K8sDpSchema.Profile, id: UInt32, action: Action) -> (TargetKey, PackedEntity) {
        var wire = EntityWire()
        wire.message(3) { member in
            member.uint32(1, profile.id)
            member.uint32(2, id)
            member.message(3) { $0.action(action) }
        }
        return (.member(profile: profile.id, id: id), PackedEntity(bytes: wire.finished))
    }

    static func group(_ profile: K8sDpSchema.Profile, id: UInt32, members: [UInt32]) -> (TargetKey, PackedEntity) {
        var wire = EntityWire()
        wire.message(4) { group in
            group.uint32(1, profile.id)
            group.uint32(2, id)
            for member in members.sorted() {
                group.message(3) { entry in
                    entry.uint32(1, member)
                    entry.uint32(2, 1)
                }
            }
        }
        return (.group(profile: profile.id, id: id), PackedEntity(bytes: wire.finished))
    }
}
