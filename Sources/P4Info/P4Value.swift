import Foundation

/// An unsigned value for a match field, action parameter or packet metadata field.
///
/// P4Runtime 1.x carries these only as unsigned big-endian bitstrings (§8.3), so a value is
/// kept as its big-endian magnitude and sized only when it meets a bitwidth from the P4Info.
/// Wider than 64 bits is common (IPv6 addresses, 128-bit keys), hence bytes, not an integer.
public struct P4Value: Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// Big-endian, without leading zero bytes; empty for zero.
    public let magnitude: [UInt8]

    public init(_ value: some UnsignedInteger) {
        var bytes: [UInt8] = []
        var rest = value
        while rest != 0 {
            bytes.append(UInt8(truncatingIfNeeded: rest))
            rest >>= 8
        }
        magnitude = bytes.reversed()
    }

    public init(integerLiteral value: UInt64) { self.init(value) }

    /// Big-endian bytes of any length: a MAC (6 bytes), an IPv4 (4) or IPv6 (16) address in
    /// network order, or a bitstring read back from a server. Empty means zero.
    public init(bytes: some Sequence<UInt8>) {
        magnitude = Array(bytes.drop { $0 == 0 })
    }

    /// The number of bits the value needs; 0 needs 0 here (its encoding still takes one byte).
    public var bitLength: Int {
        guard let first = magnitude.first else { return 0 }
        return (magnitude.count - 1) * 8 + (8 - first.leadingZeroBitCount)
    }

    public var isZero: Bool { magnitude.isEmpty }

    /// The value as an integer, when it fits in 64 bits.
    public var uint64: UInt64? {
        guard magnitude.count <= 8 else { return nil }
        return magnitude.reduce(0) { $0 << 8 | UInt64($1) }
    }

    public var description: String {
        if let small = uint64 { return String(small) }
        return "0x" + magnitude.map { String(format: "%02x", $0) }.joined()
    }

    /// True when the value fits in `bitwidth` bits.
    public func fits(bitwidth: Int) -> Bool { bitLength <= bitwidth }

    /// The bitstring to put on the wire for a field of `bitwidth` bits.
    ///
    /// `.canonical` is the shortest form (§8.3: strip leading zero bytes, and zero is the single
    /// byte 0x00, never the empty string a server must refuse); it is also what servers send
    /// back, so reads compare equal to writes. `.fullWidth` pads to ceil(bitwidth/8) bytes for
    /// targets that predate the 1.0 rule. `what` names the field in the error.
    public func encoded(bitwidth: Int, style: P4ByteStringStyle = .canonical, for what: @autoclosure () -> String = "value") throws -> Data {
        guard bitwidth > 0 else {
            throw P4InfoError(.invalidP4Info, "\(what()) has bitwidth \(bitwidth); P4Runtime bitstrings need at least 1 bit")
        }
        guard fits(bitwidth: bitwidth) else {
            throw P4InfoError(.valueOutOfRange, "\(what()) = \(self) needs \(bitLength) bits but the field is bit<\(bitwidth)>")
        }
        switch style {
        case .canonical:
            return magnitude.isEmpty ? Data([0]) : Data(magnitude)
        case .fullWidth:
            return Data(padded(toBytes: (bitwidth + 7) / 8))
        }
    }

    /// Big-endian bytes left-padded with zeros to `count` (the value must fit).
    func padded(toBytes count: Int) -> [UInt8] {
        Array(repeating: 0, count: max(0, count - magnitude.count)) + magnitude
    }

    /// 2^bitwidth − 1: the all-ones value of a field, e.g. the top of a don't-care range.
    public static func allOnes(bitwidth: Int) -> P4Value {
        guard bitwidth > 0 else { return P4Value(bytes: []) }
        var bytes = [UInt8](repeating: 0xff, count: (bitwidth + 7) / 8)
        let spare = bytes.count * 8 - bitwidth
        bytes[0] = 0xff >> spare
        return P4Value(bytes: bytes)
    }
}

/// How bitstrings are sized on the wire.
public enum P4ByteStringStyle: Sendable, Hashable {
    /// Shortest form (§8.3), the default and what servers reply with.
    case canonical
    /// Exactly ceil(bitwidth/8) bytes.
    case fullWidth
}

extension P4Value: Comparable {
    public static func < (lhs: P4Value, rhs: P4Value) -> Bool {
        if lhs.magnitude.count != rhs.magnitude.count { return lhs.magnitude.count < rhs.magnitude.count }
        return lhs.magnitude.lexicographicallyPrecedes(rhs.magnitude)
    }
}

extension P4Value {
    /// Bitwise AND, for ternary value/mask checks.
    public static func & (lhs: P4Value, rhs: P4Value) -> P4Value {
        let count = max(lhs.magnitude.count, rhs.magnitude.count)
        let result = zip(lhs.padded(toBytes: count), rhs.padded(toBytes: count)).map { $0 & $1 }
        return P4Value(bytes: result)
    }

    /// The value with its `bitwidth - prefixLength` low bits cleared: an LPM value is valid
    /// only if that changes nothing (§9.1.1).
    public func maskedToPrefix(_ prefixLength: Int, bitwidth: Int) -> P4Value {
        let byteCount = (bitwidth + 7) / 8
        var bytes = padded(toBytes: byteCount)
        let keep = prefixLength + (byteCount * 8 - bitwidth)
        for index in bytes.indices {
            let bitsBefore = index * 8
            if bitsBefore >= keep {
                bytes[index] = 0
            } else if keep - bitsBefore < 8 {
                bytes[index] &= ~(0xff >> (keep - bitsBefore))
            }
        }
        return P4Value(bytes: bytes)
    }
}
