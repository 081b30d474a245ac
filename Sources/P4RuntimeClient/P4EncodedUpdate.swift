import GRPCCore
import P4RuntimeAPI
import SwiftProtobuf

/// One Write update whose entity is already in its P4Runtime wire encoding.
///
/// Why: a caller that keeps its objects encoded (the manager keeps every target object as the
/// bytes of its `p4.v1.Entity`) would otherwise decode each one into a message tree only for
/// the Write to encode it again. swift-protobuf sizes every nested message before writing it,
/// so that round trip was the largest part of the manager's CPU per object in a bulk load. An
/// encoded update goes into the request as it is.
public struct P4EncodedUpdate: Sendable, Hashable {
    public var type: P4_V1_Update.TypeEnum
    /// The serialized `p4.v1.Entity`.
    public var entity: [UInt8]

    public init(_ type: P4_V1_Update.TypeEnum, entity: [UInt8]) {
        self.type = type
        self.entity = entity
    }

    /// Encodes `update`'s entity.
    public init(_ update: P4_V1_Update) {
        // Encoding a message built in memory cannot fail (proto3 has no required fields).
        self.init(update.type, entity: try! update.entity.serializedBytes())
    }

    /// The update as a message (for tests and fake targets, which look inside).
    public var decoded: P4_V1_Update {
        get throws { P4_V1_Update(type, try P4_V1_Entity(serializedBytes: entity)) }
    }

    /// Appends this update as one element of `WriteRequest.updates` (field 4): exactly the
    /// bytes swift-protobuf writes for a `p4.v1.Update` with this type and entity.
    func append(asWriteRequestField output: inout [UInt8]) {
        let typeValue = UInt64(type.rawValue)
        // Update: type (field 1, varint; proto3 leaves a zero out), entity (field 2, bytes).
        var updateLength = 1 + ProtoWire.varintSize(UInt64(entity.count)) + entity.count
        if typeValue != 0 { updateLength += 1 + ProtoWire.varintSize(typeValue) }
        output.append(ProtoWire.key(field: 4, lengthDelimited: true))
        ProtoWire.appendVarint(UInt64(updateLength), to: &output)
        if typeValue != 0 {
            output.append(ProtoWire.key(field: 1, lengthDelimited: false))
            ProtoWire.appendVarint(typeValue, to: &output)
        }
        output.append(ProtoWire.key(field: 2, lengthDelimited: true))
        ProtoWire.appendVarint(UInt64(entity.count), to: &output)
        output.append(contentsOf: entity)
    }
}

/// The few protobuf wire rules `P4EncodedUpdate` needs (protobuf encoding spec: a key is the
/// field number shifted left by 3 with the wire type; varints are little-endian base 128).
enum ProtoWire {
    static func key(field: UInt8, lengthDelimited: Bool) -> UInt8 { field << 3 | (lengthDelimited ? 2 : 0) }

    static func varintSize(_ value: UInt64) -> Int {
        var value = value
        var size = 1
        while value >= 0x80 {
            value >>= 7
            size += 1
        }
        return size
    }

    static func appendVarint(_ value: UInt64, to output: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            output.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        output.append(UInt8(value))
    }
}

/// A `p4.v1.WriteRequest` already in wire form, sent on the Write method as it is.
///
/// Protobuf merges repeated fields across a message's bytes and a decoder takes fields in any
/// order, so the request is its scalar fields (encoded by swift-protobuf, updates left empty)
/// followed by each update as a field-4 element.
struct EncodedWriteRequest: Sendable {
    let bytes: [UInt8]

    init(header: P4_V1_WriteRequest, updates: ArraySlice<P4EncodedUpdate>) {
        var bytes: [UInt8] = try! header.serializedBytes()
        bytes.reserveCapacity(bytes.count + updates.reduce(0) { $0 + $1.entity.count + 16 })
        for update in updates { update.append(asWriteRequestField: &bytes) }
        self.bytes = bytes
    }

    struct Serializer: MessageSerializer {
        func serialize<Bytes: GRPCContiguousBytes>(_ message: EncodedWriteRequest) throws -> Bytes {
            Bytes(message.bytes)
        }
    }
}
