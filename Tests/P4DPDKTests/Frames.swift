/// Ethernet frames built and read byte by byte, so the test checks the pipeline's output
/// against an independent encoding (and the checksums it recomputes incrementally).
enum Frames {
    typealias MAC = [UInt8]

    static func ipv4(_ text: String) -> [UInt8] { text.split(separator: ".").map { UInt8($0)! } }

    /// Ethernet + IPv4 + UDP with valid IPv4 and UDP checksums.
    static func udp(srcMAC: MAC, dstMAC: MAC, src: String, dst: String, srcPort: UInt16, dstPort: UInt16, payload: [UInt8] = Array("hello".utf8)) -> [UInt8] {
        let udpLength = 8 + payload.count
        var udp = be16(srcPort) + be16(dstPort) + be16(UInt16(udpLength)) + [0, 0] + payload
        let pseudo = ipv4(src) + ipv4(dst) + [0, 17] + be16(UInt16(udpLength))
        udp.replaceSubrange(6..<8, with: be16(checksum(pseudo + udp)))
        var ip: [UInt8] = [0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0] + ipv4(src) + ipv4(dst)
        ip.replaceSubrange(2..<4, with: be16(UInt16(20 + udpLength)))
        ip.replaceSubrange(10..<12, with: be16(checksum(ip)))
        return dstMAC + srcMAC + [0x08, 0x00] + ip + udp
    }

    /// An ARP who-has for `target` from `sender`.
    static func arpRequest(senderMAC: MAC, sender: String, target: String) -> [UInt8] {
        let broadcast: MAC = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        return broadcast + senderMAC + [0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1] + senderMAC + ipv4(sender) + [0, 0, 0, 0, 0, 0] + ipv4(target)
    }

    struct UDP: Equatable {
        var dstMAC: MAC, srcMAC: MAC
        var src: String, dst: String
        var srcPort: UInt16, dstPort: UInt16
        var ipChecksumValid: Bool, udpChecksumValid: Bool
    }

    /// The fields of an Ethernet/IPv4/UDP frame, nil for anything else.
    static func parseUDP(_ frame: [UInt8]) -> UDP? {
        guard frame.count >= 42, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 17 else { return nil }
        let ip = Array(frame[14..<34])
        let udp = Array(frame[34...])
        let address = { (bytes: ArraySlice<UInt8>) in bytes.map(String.init).joined(separator: ".") }
        let pseudo = Array(ip[12..<20]) + [0, 17] + be16(UInt16(udp.count))
        return UDP(
            dstMAC: Array(frame[0..<6]), srcMAC: Array(frame[6..<12]),
            src: address(ip[12..<16]), dst: address(ip[16..<20]),
            srcPort: UInt16(udp[0]) << 8 | UInt16(udp[1]), dstPort: UInt16(udp[2]) << 8 | UInt16(udp[3]),
            ipChecksumValid: checksum(ip) == 0, udpChecksumValid: checksum(pseudo + udp) == 0
        )
    }

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }

    /// The Internet checksum (RFC 1071); 0 over data that includes a valid checksum.
    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            result.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return result
    }
}
