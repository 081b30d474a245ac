/// Reads just enough of a TLS ClientHello to tell whether the client offers TLS 1.3.
///
/// The gRPC transport pins NIOSSL's minimum version at TLS 1.2 and offers no way to raise
/// it on the server, so the server looks at the first flight itself and refuses a client
/// that does not list TLS 1.3 in its supported_versions extension (RFC 8446 §4.2.1).
enum ClientHelloVerdict: Equatable {
    /// More bytes are needed.
    case incomplete
    case offersTLS13
    /// A TLS ClientHello that does not offer TLS 1.3.
    case lacksTLS13
    /// Not a TLS ClientHello at all (plaintext, garbage, another record type).
    case notTLS
}

enum ClientHelloInspector {
    static let maximumHelloBytes = 65_536
    private static let handshakeRecord: UInt8 = 0x16
    private static let clientHelloType: UInt8 = 0x01
    private static let supportedVersionsExtension: UInt16 = 0x002b
    private static let tls13: UInt16 = 0x0304

    /// Inspects the bytes received so far on a connection.
    static func inspect(_ bytes: [UInt8]) -> ClientHelloVerdict {
        // Collect handshake-layer bytes from consecutive handshake records.
        var handshake: [UInt8] = []
        var offset = 0
        while true {
            guard bytes.count >= offset + 5 else { break }
            guard bytes[offset] == handshakeRecord, bytes[offset + 1] == 0x03 else { return .notTLS }
            let length = Int(bytes[offset + 3]) << 8 | Int(bytes[offset + 4])
            guard length > 0, length <= 16_384 + 256 else { return .notTLS }
            guard bytes.count >= offset + 5 + length else { break }
            handshake.append(contentsOf: bytes[(offset + 5)..<(offset + 5 + length)])
            offset += 5 + length
            if handshake.count >= 4 {
                let helloLength = Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3])
                if handshake.count >= 4 + helloLength { break }
            }
        }
        if bytes.count >= 1, bytes[0] != handshakeRecord { return .notTLS }
        if bytes.count > maximumHelloBytes { return .notTLS }
        guard handshake.count >= 4 else { return .incomplete }
        guard handshake[0] == clientHelloType else { return .notTLS }
        let helloLength = Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3])
        guard handshake.count >= 4 + helloLength else { return .incomplete }
        var reader = ByteReader(Array(handshake[4..<(4 + helloLength)]))
        return parseHelloBody(&reader) ?? .notTLS
    }

    /// Returns nil when the body is malformed.
    private static func parseHelloBody(_ reader: inout ByteReader) -> ClientHelloVerdict? {
        guard reader.skip(2 + 32),                      // legacy_version, random
              let sessionIDLength = reader.readUInt8(), reader.skip(Int(sessionIDLength)),
              let suitesLength = reader.readUInt16(), reader.skip(Int(suitesLength)),
              let compressionLength = reader.readUInt8(), reader.skip(Int(compressionLength))
        else { return nil }
        // A hello without extensions cannot offer TLS 1.3.
        guard let extensionsLength = reader.readUInt16() else { return .lacksTLS13 }
        guard var extensions = reader.readSlice(Int(extensionsLength)) else { return nil }
        while !extensions.isAtEnd {
            guard let type = extensions.readUInt16(), let length = extensions.readUInt16(),
                  var body = extensions.readSlice(Int(length)) else { return nil }
            guard type == supportedVersionsExtension else { continue }
            guard let listLength = body.readUInt8(), var list = body.readSlice(Int(listLength)) else { return nil }
            while let version = list.readUInt16() {
                if version == tls13 { return .offersTLS13 }
            }
            return .lacksTLS13
        }
        return .lacksTLS13
    }
}

/// A bounds-checked cursor over bytes; every read fails softly instead of trapping.
struct ByteReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { position >= bytes.count }

    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, position + count <= bytes.count else { return false }
        position += count
        return true
    }

    mutating func readUInt8() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readUInt16() -> UInt16? {
        guard position + 2 <= bytes.count else { return nil }
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    mutating func readSlice(_ count: Int) -> ByteReader? {
        guard count >= 0, position + count <= bytes.count else { return nil }
        defer { position += count }
        return ByteReader(Array(bytes[position..<(position + count)]))
    }
}
