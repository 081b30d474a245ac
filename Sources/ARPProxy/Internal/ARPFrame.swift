import InfraNet

/// An Ethernet/IPv4 ARP packet (RFC 826) with the Ethernet header it came in.
///
/// Pure value code: parsing never traps on any input, and building always yields a frame the
/// parser accepts. The socket code only moves bytes.
struct ARPFrame: Equatable, Sendable {
    enum Operation: UInt16, Sendable {
        case request = 1
        case reply = 2
    }

    var destination: MACAddress
    var source: MACAddress
    var operation: Operation
    var senderMAC: MACAddress
    var senderIP: IPAddress
    var targetMAC: MACAddress
    var targetIP: IPAddress

    static let etherTypeARP: UInt16 = 0x0806
    static let etherTypeIPv4: UInt16 = 0x0800
    static let hardwareTypeEthernet: UInt16 = 1
    static let ethernetHeaderLength = 14
    static let arpPayloadLength = 28
    /// Header plus the Ethernet/IPv4 ARP payload; anything after it is padding.
    static let minimumLength = ethernetHeaderLength + arpPayloadLength
    /// Ethernet's minimum frame without FCS; shorter frames are padded with zeros on send.
    static let paddedLength = 60

    static let broadcast = MACAddress(bytes: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff])!
    static let zeroMAC = MACAddress(bytes: [0, 0, 0, 0, 0, 0])!
    static let zeroIPv4 = IPAddress(bytes: [0, 0, 0, 0])!

    /// Why a frame could not be read as Ethernet/IPv4 ARP.
    enum Rejection: Error, Equatable, Sendable, CustomStringConvertible {
        /// Shorter than an Ethernet header.
        case truncatedEthernetHeader(length: Int)
        /// Not ARP at all (an 802.1Q tag counts: the interface is untagged).
        case notARP(etherType: UInt16)
        /// ARP, but shorter than the Ethernet/IPv4 payload.
        case truncatedARP(length: Int)
        /// ARP for another link or protocol (hardware type, protocol type, address lengths).
        case unsupportedARP(hardwareType: UInt16, protocolType: UInt16, hardwareLength: UInt8, protocolLength: UInt8)
        /// An operation other than request or reply (RARP, InARP, garbage).
        case unknownOperation(UInt16)

        /// Malformed means broken or hostile; the rest is traffic this proxy simply does not serve.
        var isMalformed: Bool {
            switch self {
            case .truncatedEthernetHeader, .truncatedARP: return true
            case .notARP, .unsupportedARP, .unknownOperation: return false
            }
        }

        var description: String {
            switch self {
            case .truncatedEthernetHeader(let length):
                return "frame of \(length) bytes is shorter than an Ethernet header"
            case .notARP(let etherType):
                return "ethertype 0x\(hex(etherType, width: 4)) is not ARP"
            case .truncatedARP(let length):
                return "ARP frame of \(length) bytes is shorter than \(ARPFrame.minimumLength)"
            case .unsupportedARP(let htype, let ptype, let hlen, let plen):
                return "not Ethernet/IPv4 ARP (htype \(htype), ptype 0x\(hex(ptype, width: 4)), hlen \(hlen), plen \(plen))"
            case .unknownOperation(let operation):
                return "unknown ARP operation \(operation)"
            }
        }
    }

    /// Reads `bytes` as an Ethernet frame carrying Ethernet/IPv4 ARP. Trailing bytes (padding)
    /// are allowed; everything the responder relies on is checked.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<ARPFrame, Rejection> {
        guard bytes.count >= ethernetHeaderLength else {
            return .failure(.truncatedEthernetHeader(length: bytes.count))
        }
        let etherType = readUInt16(bytes, at: 12)
        guard etherType == etherTypeARP else { return .failure(.notARP(etherType: etherType)) }
        guard bytes.count >= minimumLength else { return .failure(.truncatedARP(length: bytes.count)) }
        let a = ethernetHeaderLength
        let hardwareType = readUInt16(bytes, at: a)
        let protocolType = readUInt16(bytes, at: a + 2)
        let hardwareLength = bytes[a + 4]
        let protocolLength = bytes[a + 5]
        guard hardwareType == hardwareTypeEthernet, protocolType == etherTypeIPv4,
              hardwareLength == 6, protocolLength == 4 else {
            return .failure(.unsupportedARP(
                hardwareType: hardwareType, protocolType: protocolType,
                hardwareLength: hardwareLength, protocolLength: protocolLength))
        }
        let rawOperation = readUInt16(bytes, at: a + 6)
        guard let operation = Operation(rawValue: rawOperation) else {
            return .failure(.unknownOperation(rawOperation))
        }
        return .success(ARPFrame(
            destination: mac(bytes, at: 0),
            source: mac(bytes, at: 6),
            operation: operation,
            senderMAC: mac(bytes, at: a + 8),
            senderIP: ipv4(bytes, at: a + 14),
            targetMAC: mac(bytes, at: a + 18),
            targetIP: ipv4(bytes, at: a + 24)))
    }

    static func parse(_ bytes: [UInt8]) -> Result<ARPFrame, Rejection> {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// The frame on the wire, padded with zeros to Ethernet's 60-byte minimum.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.paddedLength)
        out += destination.bytes
        out += source.bytes
        Self.append(Self.etherTypeARP, to: &out)
        Self.append(Self.hardwareTypeEthernet, to: &out)
        Self.append(Self.etherTypeIPv4, to: &out)
        out += [6, 4]
        Self.append(operation.rawValue, to: &out)
        out += senderMAC.bytes
        out += senderIP.bytes
        out += targetMAC.bytes
        out += targetIP.bytes
        out += [UInt8](repeating: 0, count: Self.paddedLength - out.count)
        return out
    }

    /// The answer to a who-has `request`: `ownMAC` is at `request.targetIP`, sent straight back
    /// to the asker.
    static func reply(to request: ARPFrame, ownMAC: MACAddress) -> ARPFrame {
        ARPFrame(
            destination: request.senderMAC,
            source: ownMAC,
            operation: .reply,
            senderMAC: ownMAC,
            senderIP: request.targetIP,
            targetMAC: request.senderMAC,
            targetIP: request.senderIP)
    }

    /// A gratuitous ARP announcement (RFC 5227 §2.3): a broadcast request whose sender and
    /// target address are both `address`, so neighbours that already cache it update the MAC.
    static func announcement(of address: IPAddress, ownMAC: MACAddress) -> ARPFrame {
        ARPFrame(
            destination: broadcast,
            source: ownMAC,
            operation: .request,
            senderMAC: ownMAC,
            senderIP: address,
            targetMAC: zeroMAC,
            targetIP: address)
    }

    private static func readUInt16(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    private static func mac(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> MACAddress {
        MACAddress(bytes: Array(bytes[offset..<offset + 6]))!
    }

    private static func ipv4(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> IPAddress {
        IPAddress(bytes: Array(bytes[offset..<offset + 4]))!
    }

    private static func append(_ value: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(value >> 8))
        out.append(UInt8(value & 0xff))
    }
}

func hex(_ value: UInt16, width: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
