#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address held as network-order bytes.
///
/// Parsing goes through `inet_pton`, so the accepted text forms are exactly the ones the
/// kernel and every other networking tool accept; nothing is "fixed up" silently.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Family: Sendable, Hashable { case v4, v6 }

    /// 4 bytes for IPv4, 16 for IPv6, network order.
    public let bytes: [UInt8]

    public var family: Family { bytes.count == 4 ? .v4 : .v6 }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text. Returns nil for anything else.
    public init?(_ text: String) {
        if text.contains(":") {
            var storage = in6_addr()
            guard inet_pton(AF_INET6, text, &storage) == 1 else { return nil }
            self.bytes = withUnsafeBytes(of: &storage) { Array($0) }
        } else {
            var storage = in_addr()
            guard inet_pton(AF_INET, text, &storage) == 1 else { return nil }
            self.bytes = withUnsafeBytes(of: &storage) { Array($0) }
        }
    }

    /// Wraps raw network-order bytes; only 4 or 16 bytes make an address.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = self.family == .v4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return "<invalid>" }
        let end = buffer.firstIndex(of: 0) ?? buffer.endIndex
        return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The address as a 32-bit integer, for IPv4 only.
    public var ipv4Value: UInt32? {
        guard family == .v4 else { return nil }
        return bytes.reduce(0) { ($0 << 8) | UInt32($1) }
    }
}
