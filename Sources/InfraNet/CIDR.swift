/// An address prefix such as `10.244.1.0/24` or `fd00::/64`.
///
/// The stored address is the one the text named; `network` gives it with the host bits
/// cleared. Keeping both lets a pod address like `10.244.1.7/32` and its subnet share a type.
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(String(parts[0])),
              let length = Int(parts[1]), String(length) == parts[1] else { return nil }
        self.init(address: address, prefixLength: length)
    }

    public init?(address: IPAddress, prefixLength: Int) {
        let maxLength = address.bytes.count * 8
        guard (0...maxLength).contains(prefixLength) else { return nil }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// The prefix with every host bit cleared.
    public var network: IPAddress {
        var bytes = address.bytes
        for index in bytes.indices {
            let bitsBefore = index * 8
            if bitsBefore >= prefixLength {
                bytes[index] = 0
            } else if bitsBefore + 8 > prefixLength {
                let keep = prefixLength - bitsBefore
                bytes[index] &= UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
            }
        }
        return IPAddress(bytes: bytes)!
    }

    /// True when `other` lies inside this prefix (same family, same leading bits).
    public func contains(_ other: IPAddress) -> Bool {
        guard other.family == address.family else { return false }
        return CIDR(address: other, prefixLength: prefixLength)!.network == network
    }

    /// The prefix as the network address plus a mask of the same length, the form X.509 name
    /// constraints use (RFC 5280 §4.2.1.10).
    public var addressAndMask: [UInt8] {
        let count = address.bytes.count
        var mask = [UInt8](repeating: 0, count: count)
        for bit in 0..<prefixLength { mask[bit / 8] |= UInt8(0x80 >> (bit % 8)) }
        return network.bytes + mask
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
