/// Builds one netlink message: the 16-byte nlmsghdr, a fixed family header, then rtattrs.
///
/// Netlink integers are in host byte order; addresses are the network-order bytes the
/// caller hands in. Every attribute (and the message) is padded to 4 bytes (RTA_ALIGN).
struct MessageBuilder {
    private(set) var bytes: [UInt8]

    init(type: UInt16, flags: UInt16) {
        bytes = []
        bytes.reserveCapacity(256)
        append(UInt32(0))      // nlmsg_len, patched by finish
        append(type)
        append(flags)
        append(UInt32(0))      // nlmsg_seq, patched by finish
        append(UInt32(0))      // nlmsg_pid: 0, the kernel fills in our port
    }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    mutating func attribute(_ type: UInt16, _ payload: [UInt8]) {
        pad()
        append(UInt16(NL.attributeHeaderSize + payload.count))
        append(type)
        append(payload)
        pad()
    }

    mutating func attribute<T: FixedWidthInteger>(_ type: UInt16, integer value: T) {
        attribute(type, withUnsafeBytes(of: value) { Array($0) })
    }

    /// A NUL-terminated string, as the kernel expects for names and kinds.
    mutating func attribute(_ type: UInt16, string: String) {
        attribute(type, Array(string.utf8) + [0])
    }

    /// A nested attribute: `body` appends the inner attributes (or headers); the length of
    /// the outer one is patched afterwards.
    mutating func nested(_ type: UInt16, _ body: (inout MessageBuilder) -> Void) {
        pad()
        let start = bytes.count
        append(UInt16(0))
        append(type | NL.nested)
        body(&self)
        pad()
        let length = UInt16(bytes.count - start)
        withUnsafeBytes(of: length) { raw in
            bytes[start] = raw[0]
            bytes[start + 1] = raw[1]
        }
    }

    /// The finished message with its length and sequence number written in.
    func finish(sequence: UInt32) -> [UInt8] {
        var out = bytes
        while out.count % 4 != 0 { out.append(0) }
        withUnsafeBytes(of: UInt32(out.count)) { for i in 0..<4 { out[i] = $0[i] } }
        withUnsafeBytes(of: sequence) { for i in 0..<4 { out[8 + i] = $0[i] } }
        return out
    }
}
