import P4RuntimeAPI
import SwiftProtobuf

/// One target object as the bytes of its P4Runtime encoding: what the model keeps per object
/// instead of a `P4_V1_Entity`.
///
/// Why: a decoded entity is a tree of heap boxes (entity, table entry, action, a parameter
/// array, match fields), several hundred bytes for a 50-byte object; with 120,000 objects
/// that tree was most of the manager's memory. The bytes are one allocation, compare and hash
/// as fast as a memcmp, and are decoded only when a Write is built (a changed object) or a
/// test looks inside.
///
/// Equal entities encode to equal bytes: swift-protobuf writes fields in field-number order
/// and these messages have no maps, so comparing bytes is comparing entities.
struct PackedEntity: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ entity: P4_V1_Entity) {
        // Encoding a message built in memory cannot fail (no required fields in proto3).
        bytes = try! entity.serializedBytes()
    }

    /// An entity `EntityWire` encoded.
    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The bytes in one call: `Array`'s own hashing feeds the hasher a byte at a time, which
    /// showed up in the bulk load's profile (the model hashes every key it diffs).
    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    var entity: P4_V1_Entity {
        // The bytes came from `init`, so they decode.
        try! P4_V1_Entity(serializedBytes: bytes)
    }
}

/// The match fields of a table entry as bytes (the encoding of a table entry holding only
/// them), for `TargetKey`: the same fields in the same order give the same bytes.
struct PackedMatch: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ match: [P4_V1_FieldMatch]) {
        var holder = P4_V1_TableEntry()
        holder.match = match
        bytes = try! holder.serializedBytes()
    }

    /// The same bytes for a match the manager built (`EntityWireTests`).
    init(_ match: [EntityBuilding.Match]) {
        bytes = EntityWire.match(match)
    }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    var fields: [P4_V1_FieldMatch] {
        // The bytes came from `init`, so they decode; an empty match here would hide a bug.
        try! P4_V1_TableEntry(serializedBytes: bytes).match
    }
}
