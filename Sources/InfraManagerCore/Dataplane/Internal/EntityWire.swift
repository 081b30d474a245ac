/// Protobuf wire format for the few P4Runtime messages the manager builds (`p4.v1.Entity`
/// with a table entry, member or group), written the way swift-protobuf writes them: fields
/// in field-number order, proto3 zero scalars left out, oneof members written even when zero.
/// Equal objects must give equal bytes (the model diffs by bytes), and bytes equal to
/// swift-protobuf's (what the model compares with what it reads back from a target goes
/// through swift-protobuf); `EntityWireTests` hold it to both.
struct EntityWire {
    private(set) var bytes: [UInt8] = []

    init() {
        bytes.reserveCapacity(64)
    }

    /// The bytes in an array of their own size: the model keeps 130,000 of them at 10,000
    /// services, and the 64-byte working capacity would add ~4 MiB of slack.
    var finished: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
            count = buffer.initialize(fromContentsOf: bytes)
        }
    }

    // MARK: Messages

    /// `p4.v1.Entity` holding a table entry (field 2). `match` is the entry's key as
    /// `PackedMatch` holds it (its field-2 elements, spliced in as they are, so a match is
    /// encoded once for key and entity); `action` writes the entry's `TableAction` fields, nil
    /// for an entry with no action (a default reset).
    static func tableEntry(tableID: UInt32, match: PackedMatch?, priority: Int32, isDefault: Bool = false,
                           action: ((inout EntityWire) -> Void)?) -> [UInt8] {
        var wire = EntityWire()
        wire.message(2) { entry in
            entry.uint32(1, tableID)
            if let match { entry.bytes.append(contentsOf: match.bytes) }
            if let action { entry.message(3, action) }
            entry.int32(4, priority)
            if isDefault { entry.varintField(8, 1) }
        }
        return wire.finished
    }

    /// The match as `PackedMatch` keeps it: a `TableEntry` holding only field 2.
    static func match(_ match: [EntityBuilding.Match]) -> [UInt8] {
        var wire = EntityWire()
        for field in match {
            wire.message(2) { fieldMatch in
                fieldMatch.uint32(1, field.fieldID)
                switch field.kind {
                case .exact(let value):
                    fieldMatch.message(2) { $0.canonicalField(1, value) }
                case .ternary(let value, let mask):
                    fieldMatch.message(3) {
                        $0.canonicalField(1, value)
                        $0.canonicalField(2, mask)
                    }
                case .range(let low, let high):
                    fieldMatch.message(6) {
                        $0.canonicalField(1, low)
                        $0.canonicalField(2, high)
                    }
                }
            }
        }
        return wire.finished
    }

    /// `p4.v1.Action`'s fields: action_id (1), then each param (4) with param_id (2) and value (3).
    mutating func action(_ action: EntityBuilding.Action) {
        uint32(1, action.actionID)
        for param in action.params {
            message(4) { encoded in
                encoded.uint32(2, param.id)
                encoded.canonicalField(3, param.value)
            }
        }
    }

    // MARK: Fields

    /// A uint32 field; zero is proto3's default and is left out.
    mutating func uint32(_ field: UInt32, _ value: UInt32) {
        guard value != 0 else { return }
        varintField(field, UInt64(value))
    }

    /// An int32 field; negative values take ten bytes (sign-extended), as protobuf says.
    mutating func int32(_ field: UInt32, _ value: Int32) {
        guard value != 0 else { return }
        varintField(field, UInt64(bitPattern: Int64(value)))
    }

    /// A varint field written whatever its value (a oneof member, a true bool).
    mutating func varintField(_ field: UInt32, _ value: UInt64) {
        varint(UInt64(field) << 3)
        varint(value)
    }

    /// A bytes field holding `value` as a canonical bytestring (never empty, so always written).
    mutating func canonicalField(_ field: UInt32, _ value: UInt64) {
        let length = Self.canonicalLength(value)
        varint(UInt64(field) << 3 | 2)
        bytes.append(UInt8(length))
        for shift in stride(from: (length - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    /// A length-delimited field whose contents `body` writes. The length is written first as
    /// one byte and widened afterwards if the body turns out longer than 127 bytes (rare here).
    mutating func message(_ field: UInt32, _ body: (inout EntityWire) -> Void) {
        varint(UInt64(field) << 3 | 2)
        let lengthAt = bytes.count
        bytes.append(0)
        body(&self)
        let length = bytes.count - lengthAt - 1
        if length < 0x80 {
            bytes[lengthAt] = UInt8(length)
        } else {
            var prefix = EntityWire()
            prefix.varint(UInt64(length))
            bytes.replaceSubrange(lengthAt...lengthAt, with: prefix.bytes)
        }
    }

    private mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    // MARK: Canonical bytestrings

    static func canonicalLength(_ value: UInt64) -> Int {
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 7) / 8
    }
}
