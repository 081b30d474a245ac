/// Reads host-order integers out of a received buffer without trusting its lengths.
struct ByteReader {
    let bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    func has(_ count: Int, at offset: Int) -> Bool {
        offset >= 0 && count >= 0 && bytes.startIndex + offset + count <= bytes.endIndex
    }

    func integer<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T? {
        let size = MemoryLayout<T>.size
        guard has(size, at: offset) else { return nil }
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { raw in
            for i in 0..<size { raw[i] = bytes[bytes.startIndex + offset + i] }
        }
        return value
    }

    func slice(from offset: Int, count: Int) -> ArraySlice<UInt8>? {
        guard has(count, at: offset) else { return nil }
        let start = bytes.startIndex + offset
        return bytes[start..<(start + count)]
    }
}

/// The rtattrs of one message (or of one nested attribute), by type. When a type occurs
/// more than once the first wins, which is what every attribute read here needs.
struct Attributes {
    private(set) var values: [UInt16: ArraySlice<UInt8>] = [:]

    /// Parses attributes from `bytes`; a truncated or zero-length attribute ends the walk
    /// (the kernel never sends one, so the rest would be garbage).
    init(_ bytes: ArraySlice<UInt8>) {
        let reader = ByteReader(bytes)
        var offset = 0
        while let length = reader.integer(UInt16.self, at: offset),
              let rawType = reader.integer(UInt16.self, at: offset + 2),
              Int(length) >= NL.attributeHeaderSize,
              let payload = reader.slice(from: offset + NL.attributeHeaderSize, count: Int(length) - NL.attributeHeaderSize) {
            let type = rawType & NL.attributeTypeMask
            if values[type] == nil { values[type] = payload }
            offset += (Int(length) + 3) & ~3
        }
    }

    subscript(type: UInt16) -> ArraySlice<UInt8>? { values[type] }

    func uint32(_ type: UInt16) -> UInt32? {
        guard let payload = values[type] else { return nil }
        return ByteReader(payload).integer(UInt32.self, at: 0)
    }

    func uint8(_ type: UInt16) -> UInt8? { values[type]?.first }

    /// A NUL-terminated string attribute.
    func string(_ type: UInt16) -> String? {
        guard let payload = values[type] else { return nil }
        let end = payload.firstIndex(of: 0) ?? payload.endIndex
        return String(decoding: payload[payload.startIndex..<end], as: UTF8.self)
    }

    func nested(_ type: UInt16) -> Attributes? {
        values[type].map(Attributes.init)
    }
}

/// One received netlink message.
struct ReceivedMessage {
    var type: UInt16
    var flags: UInt16
    var sequence: UInt32
    /// Everything after the 16-byte header.
    var payload: ArraySlice<UInt8>

    /// Splits a datagram into its messages; stops at the first malformed header.
    static func split(_ datagram: ArraySlice<UInt8>) -> [ReceivedMessage] {
        let reader = ByteReader(datagram)
        var messages: [ReceivedMessage] = []
        var offset = 0
        while let length = reader.integer(UInt32.self, at: offset),
              Int(length) >= NL.headerSize,
              let type = reader.integer(UInt16.self, at: offset + 4),
              let flags = reader.integer(UInt16.self, at: offset + 6),
              let sequence = reader.integer(UInt32.self, at: offset + 8),
              let payload = reader.slice(from: offset + NL.headerSize, count: Int(length) - NL.headerSize) {
            messages.append(ReceivedMessage(type: type, flags: flags, sequence: sequence, payload: payload))
            offset += (Int(length) + 3) & ~3
        }
        return messages
    }
}
