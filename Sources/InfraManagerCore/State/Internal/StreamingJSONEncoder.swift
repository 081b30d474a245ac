/// Writes the JSON of an `Encodable` value straight into bytes, for the state journal and
/// the state file.
///
/// Why not Foundation's `JSONEncoder`: it first builds a tree of the whole value (a
/// dictionary of `String` keys per object, an enum box per value) and then serializes the
/// tree. For the manager's intents that was ~50 µs per service and a quarter of the
/// manager's CPU in a bulk load; writing each value as it is encoded does the same work
/// without the tree. The output is JSON that `JSONDecoder` reads back to the same value;
/// keys come in the order the type encodes them (declaration order for synthesized
/// `Codable`), not sorted.
///
/// What it does not do, because no persisted type needs it: Foundation's special cases for
/// `Date`, `Data` and `URL` (they encode through their own `Codable`), key strategies, and
/// pretty printing. Non-finite floating-point values are refused, as `JSONEncoder` refuses
/// them by default.
struct StreamingJSONEncoder {
    /// The JSON of `value`.
    func encode(_ value: some Encodable) throws -> [UInt8] {
        let writer = JSONStreamWriter(flushSize: .max, sink: nil)
        try writer.encodeTopLevel(value)
        return writer.out
    }

    /// The JSON of `value`, handed to `sink` in pieces of about `flushSize` bytes, so a large
    /// value never sits in memory whole.
    func encode(_ value: some Encodable, flushSize: Int, into sink: ([UInt8]) throws -> Void) throws {
        // The writer lives only for this call.
        try withoutActuallyEscaping(sink) { sink in
            let writer = JSONStreamWriter(flushSize: flushSize, sink: sink)
            try writer.encodeTopLevel(value)
            try writer.flush()
        }
    }
}

/// A type that writes its JSON itself: the same JSON its `Encodable` conformance gives (the
/// reader is still `JSONDecoder`), without `Codable`'s per-value containers and dynamic
/// dispatch. Only for the few types a large state is mostly made of (services and their
/// backends); tests compare both encodings.
protocol DirectJSONEncodable: Encodable {
    func writeJSON(into json: JSONStreamWriter)
}

/// The output and the stack of open containers, shared by every encoder and container of
/// one `encode` call.
///
/// A container is closed lazily: `Encoder` tells nobody when a value is done, so the writer
/// closes every container deeper than the one it is about to write into, and the caller of
/// `encode(to:)` closes what that value left open once it returns.
final class JSONStreamWriter {
    private struct Frame {
        let close: UInt8
        var elements = 0
    }

    private(set) var out: [UInt8] = []
    private var open: [Frame] = []
    /// A key or array slot was written and its value not yet: if the value's encoder writes
    /// nothing, it becomes an empty object (as with `JSONEncoder`) before anything else.
    private var awaitingValue = false
    private let flushSize: Int
    private let sink: (([UInt8]) throws -> Void)?

    init(flushSize: Int, sink: (([UInt8]) throws -> Void)?) {
        self.flushSize = flushSize
        self.sink = sink
        out.reserveCapacity(sink == nil ? 512 : flushSize + flushSize / 4)
    }

    var depth: Int { open.count }

    func encodeTopLevel(_ value: some Encodable) throws {
        awaitingValue = true
        try encodeValue(value, depth: 0)
    }

    /// Encodes a value at `depth` (the number of containers open around it) and closes what
    /// it opened.
    func encodeValue(_ value: some Encodable, depth: Int) throws {
        if let direct = value as? any DirectJSONEncodable {
            awaitingValue = false
            direct.writeJSON(into: self)
        } else {
            try value.encode(to: JSONStreamEncoder(writer: self, depth: depth))
        }
        close(to: depth)
        if out.count >= flushSize { try flush() }
    }

    func flush() throws {
        guard let sink, !out.isEmpty else { return }
        try sink(out)
        out.removeAll(keepingCapacity: true)
    }

    // MARK: Structure

    func close(to depth: Int) {
        fillAwaitedValue()
        while open.count > depth { out.append(open.removeLast().close) }
    }

    private func fillAwaitedValue() {
        guard awaitingValue else { return }
        awaitingValue = false
        writeEmptyObject()
    }

    /// Opens `{` or `[` for the value at `depth`, unless that value already opened one (a
    /// second `container(keyedBy:)` call from the same `encode(to:)` returns the same one).
    func openContainer(at depth: Int, opening: UInt8, closing: UInt8) {
        if open.count > depth {
            close(to: depth + 1)
            return
        }
        awaitingValue = false
        out.append(opening)
        open.append(Frame(close: closing))
    }

    /// Starts the next element of the container at `depth` (1-based: the container is
    /// `open[depth - 1]`), closing whatever the previous element left open.
    func beginElement(inContainerAt depth: Int) {
        close(to: depth)
        if open[depth - 1].elements > 0 { out.append(UInt8(ascii: ",")) }
        open[depth - 1].elements += 1
        awaitingValue = true
    }

    func elementCount(inContainerAt depth: Int) -> Int {
        open.count >= depth ? open[depth - 1].elements : 0
    }

    func writeKey(_ key: some CodingKey, inContainerAt depth: Int) {
        beginElement(inContainerAt: depth)
        writeString(key.stringValue)
        out.append(UInt8(ascii: ":"))
        awaitingValue = true
    }

    // MARK: Direct writing (`DirectJSONEncodable`)

    /// `{` or `,` before a member, then its key (an ASCII name that needs no escaping).
    func member(_ name: StaticString, first: Bool = false) {
        out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    func endObject() { out.append(UInt8(ascii: "}")) }

    func writeEmptyObject() { out.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")]) }

    /// An array whose elements `element` writes.
    func array<Element>(_ elements: [Element], _ element: (Element) -> Void) {
        out.append(UInt8(ascii: "["))
        for (position, item) in elements.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            element(item)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// An IPv4 address as dotted-quad text without building a `String`; IPv6 through its
    /// description (the text `IPAddress`'s `Codable` writes).
    func writeAddress(_ bytes: [UInt8], orText text: @autoclosure () -> String) {
        guard bytes.count == 4 else { return writeString(text()) }
        out.append(UInt8(ascii: "\""))
        for (position, byte) in bytes.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ".")) }
            writeMagnitude(byte)
        }
        out.append(UInt8(ascii: "\""))
    }

    // MARK: Scalars

    private static let null = Array("null".utf8)
    private static let trueText = Array("true".utf8)
    private static let falseText = Array("false".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    func writeNull() {
        awaitingValue = false
        out.append(contentsOf: Self.null)
    }

    func writeBool(_ value: Bool) {
        awaitingValue = false
        out.append(contentsOf: value ? Self.trueText : Self.falseText)
    }

    func writeInteger(_ value: some FixedWidthInteger) {
        awaitingValue = false
        if value < 0 {
            out.append(UInt8(ascii: "-"))
            writeMagnitude(value.magnitude)
        } else {
            writeMagnitude(value.magnitude)
        }
    }

    private func writeMagnitude(_ value: some UnsignedInteger & FixedWidthInteger) {
        guard value != 0 else { return out.append(UInt8(ascii: "0")) }
        // At most 20 digits (UInt64.max); written backwards into a small buffer.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var remaining = UInt64(value)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while remaining > 0 {
                count += 1
                buffer[24 - count] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            }
            out.append(contentsOf: buffer[(24 - count)...])
        }
    }

    func writeFloatingPoint<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "\(value) cannot be written as a JSON number"))
        }
        awaitingValue = false
        out.append(contentsOf: value.description.utf8)
    }

    /// A JSON string: quote, backslash and control characters escaped, everything else as UTF-8.
    func writeString(_ value: String) {
        awaitingValue = false
        out.append(UInt8(ascii: "\""))
        var text = value
        text.withUTF8 { bytes in
            var runStart = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: bytes[runStart..<index])
                runStart = index + 1
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                default:
                    out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0xF)]])
                }
            }
            out.append(contentsOf: bytes[runStart...])
        }
        out.append(UInt8(ascii: "\""))
    }
}

// MARK: - Encoder and containers

/// The `Encoder` for one value sitting at `depth`.
private struct JSONStreamEncoder: Encoder {
    let writer: JSONStreamWriter
    let depth: Int
    // Nothing persisted reads its coding path; keeping one would cost an array per value.
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        writer.openContainer(at: depth, opening: UInt8(ascii: "{"), closing: UInt8(ascii: "}"))
        return KeyedEncodingContainer(JSONStreamKeyedContainer<Key>(writer: writer, depth: depth + 1))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        writer.openContainer(at: depth, opening: UInt8(ascii: "["), closing: UInt8(ascii: "]"))
        return JSONStreamUnkeyedContainer(writer: writer, depth: depth + 1)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONStreamSingleValue(writer: writer, depth: depth)
    }
}

private struct JSONStreamKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: JSONStreamWriter
    /// This container's depth: it is `open[depth - 1]`; its values sit at `depth`.
    let depth: Int
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws { writer.writeKey(key, inContainerAt: depth); writer.writeNull() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { writer.writeKey(key, inContainerAt: depth); writer.writeBool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { writer.writeKey(key, inContainerAt: depth); writer.writeString(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        writer.writeKey(key, inContainerAt: depth)
        try writer.writeFloatingPoint(value)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        writer.writeKey(key, inContainerAt: depth)
        try writer.writeFloatingPoint(value)
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { writer.writeKey(key, inContainerAt: depth); writer.writeInteger(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { writer.writeKey(key, inContainerAt: depth); writer.writeInteger(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { writer.writeKey(key, inContainerAt: depth); writer.writeInteger(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { writer.writeKey(key, inContainerAt: depth); writer.writeInteger(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { writer.writeKey(key, inContainerAt: depth); writer.writeInteger(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { writer.writeKey(key, inContainerAt: depth); writer.writeInteger(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { writer.writeKey(key, inContainerAt: depth); writer.writeInteger(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { writer.writeKey(key, inContainerAt: depth); writer.writeInteger(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { writer.writeKey(key, inContainerAt: depth); writer.writeInteger(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { writer.writeKey(key, inContainerAt: depth); writer.writeInteger(value) }

    mutating func encode(_ value: some Encodable, forKey key: Key) throws {
        writer.writeKey(key, inContainerAt: depth)
        try writer.encodeValue(value, depth: depth)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        writer.writeKey(key, inContainerAt: depth)
        return JSONStreamEncoder(writer: writer, depth: depth).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        writer.writeKey(key, inContainerAt: depth)
        return JSONStreamEncoder(writer: writer, depth: depth).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { superEncoder(named: JSONSuperKey()) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key) }

    /// The encoder writes its value where the key is (an empty object if it writes nothing).
    private func superEncoder(named key: some CodingKey) -> any Encoder {
        writer.writeKey(key, inContainerAt: depth)
        return JSONStreamEncoder(writer: writer, depth: depth)
    }
}

private struct JSONSuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }
    init() {}
    init?(stringValue: String) { nil }
    init?(intValue: Int) { nil }
}

private struct JSONStreamUnkeyedContainer: UnkeyedEncodingContainer {
    let writer: JSONStreamWriter
    let depth: Int
    var codingPath: [any CodingKey] { [] }

    var count: Int { writer.elementCount(inContainerAt: depth) }

    private func begin() { writer.beginElement(inContainerAt: depth) }

    mutating func encodeNil() throws { begin(); writer.writeNull() }
    mutating func encode(_ value: Bool) throws { begin(); writer.writeBool(value) }
    mutating func encode(_ value: String) throws { begin(); writer.writeString(value) }
    mutating func encode(_ value: Double) throws {
        begin()
        try writer.writeFloatingPoint(value)
    }
    mutating func encode(_ value: Float) throws {
        begin()
        try writer.writeFloatingPoint(value)
    }
    mutating func encode(_ value: Int) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { begin(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { begin(); writer.writeInteger(value) }

    mutating func encode(_ value: some Encodable) throws {
        begin()
        try writer.encodeValue(value, depth: depth)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        begin()
        return JSONStreamEncoder(writer: writer, depth: depth).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        begin()
        return JSONStreamEncoder(writer: writer, depth: depth).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        begin()
        return JSONStreamEncoder(writer: writer, depth: depth)
    }
}

/// One value in place of a container. The value sits where its encoder was made (a key just
/// written, an array slot just begun, or the top level), so nothing is begun here.
private struct JSONStreamSingleValue: SingleValueEncodingContainer {
    let writer: JSONStreamWriter
    let depth: Int
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { writer.writeNull() }
    mutating func encode(_ value: Bool) throws { writer.writeBool(value) }
    mutating func encode(_ value: String) throws { writer.writeString(value) }
    mutating func encode(_ value: Double) throws { try writer.writeFloatingPoint(value) }
    mutating func encode(_ value: Float) throws { try writer.writeFloatingPoint(value) }
    mutating func encode(_ value: Int) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { writer.writeInteger(value) }

    mutating func encode(_ value: some Encodable) throws {
        try writer.encodeValue(value, depth: depth)
    }
}
