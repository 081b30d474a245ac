import Foundation
import P4RuntimeAPI

/// The identity of a table entry (§9.1): table, the match as a set, and priority.
///
/// The core builds it from a validated entry whose matches are sorted by field id and whose
/// bytestrings are canonical, so two spellings of the same key (padding, field order) compare
/// equal, which is what ALREADY_EXISTS / NOT_FOUND need.
public struct P4TableEntryKey: Hashable, Sendable {
    // The two 32-bit fields side by side keep the key at 24 bytes per dictionary slot.
    public let tableID: UInt32
    public let priority: Int32
    /// The sorted, canonical `FieldMatch` list as a compact, self-delimiting byte string
    /// (see `init`): opaque, only compared.
    public let match: [UInt8]
    /// The hash of all three, computed once: a growing dictionary rehashes every key, and a
    /// lookup then hashes one word instead of the whole match.
    private let hashValueOnce: Int

    /// Per field: field id (4 bytes, little endian), a kind tag, then the kind's values, each
    /// prefixed with its length (LEB128) and the LPM prefix length as 4 bytes. Every part has
    /// a fixed size or a length in front, so equal bytes mean equal match lists and back.
    init(tableID: UInt32, sortedMatch: [P4_V1_FieldMatch], priority: Int32) {
        self.tableID = tableID
        self.priority = priority
        var size = 0
        for field in sortedMatch { Self.encode(field) { size += $0.count } }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        for field in sortedMatch { Self.encode(field) { bytes.append(contentsOf: $0) } }
        match = bytes
        var hasher = Hasher()
        hasher.combine(tableID)
        hasher.combine(priority)
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        hashValueOnce = hasher.finalize()
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.hashValueOnce == rhs.hashValueOnce && lhs.tableID == rhs.tableID && lhs.priority == rhs.priority && lhs.match == rhs.match
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(hashValueOnce) }

    /// Hands the parts of one field's encoding to `emit`, in order.
    private static func encode(_ field: P4_V1_FieldMatch, _ emit: (UnsafeRawBufferPointer) -> Void) {
        func word(_ value: UInt32) {
            withUnsafeBytes(of: value.littleEndian) { emit($0) }
        }
        func tag(_ kind: UInt8) {
            withUnsafeBytes(of: kind) { emit($0) }
        }
        func string<Bytes: ContiguousBytes & Collection>(_ value: Bytes) {
            var length = UInt64(value.count)
            var prefix: (UInt64, UInt64) = (0, 0)  // room for a 10-byte LEB128
            let used = withUnsafeMutableBytes(of: &prefix) { out in
                var count = 0
                repeat {
                    out[count] = UInt8(truncatingIfNeeded: length & 0x7f) | (length > 0x7f ? 0x80 : 0)
                    length >>= 7
                    count += 1
                } while length != 0
                return count
            }
            withUnsafeBytes(of: prefix) { emit(UnsafeRawBufferPointer(rebasing: $0[..<used])) }
            value.withUnsafeBytes { emit($0) }
        }
        word(field.fieldID)
        switch field.fieldMatchType {
        case .exact(let exact)?:
            tag(1)
            string(exact.value)
        case .ternary(let ternary)?:
            tag(2)
            string(ternary.value)
            string(ternary.mask)
        case .lpm(let lpm)?:
            tag(3)
            string(lpm.value)
            word(UInt32(bitPattern: lpm.prefixLen))
        case .range(let range)?:
            tag(4)
            string(range.low)
            string(range.high)
        case .optional(let optional)?:
            tag(5)
            string(optional.value)
        case .other(let other)?:
            // Refused by the validator; encoded anyway so the key stays exact.
            tag(6)
            string(Array(other.typeURL.utf8))
            string(other.value)
        case nil:
            tag(0)
        }
    }
}
