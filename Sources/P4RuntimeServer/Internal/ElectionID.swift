import P4RuntimeAPI

/// A 128-bit election id compared as an unsigned number, `high` first (§5, facts §2.1).
struct ElectionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    var high: UInt64
    var low: UInt64

    init(_ proto: P4_V1_Uint128) {
        high = proto.high
        low = proto.low
    }

    var proto: P4_V1_Uint128 {
        var value = P4_V1_Uint128()
        value.high = high
        value.low = low
        return value
    }

    static func < (lhs: ElectionID, rhs: ElectionID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    var description: String { high == 0 ? "\(low)" : "\(high):\(low)" }
}
