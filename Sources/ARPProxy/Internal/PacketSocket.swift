#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InfraNet

/// An AF_PACKET raw socket bound to one interface that receives only ARP (ETH_P_ARP).
///
/// `sockaddr_ll` and `ARPHRD_*` are not exported by Swift's Glibc module, so the link-layer
/// address is laid out by hand (linux/if_packet.h: family u16, protocol be16, ifindex i32,
/// hatype u16, pkttype u8, halen u8, addr[8]; 20 bytes).
final class PacketSocket: @unchecked Sendable {
    let descriptor: Int32
    let interfaceIndex: Int32
    let interfaceName: String

    static let ethPARP: UInt16 = 0x0806
    static let arphrdEther: UInt16 = 1
    static let packetOutgoing: UInt8 = 4
    static let sockaddrLLSize = 20

    /// Opens and binds the socket. Throws ``ARPProxyError`` naming the interface when it does
    /// not exist, is not Ethernet, or the socket cannot be made (no CAP_NET_RAW).
    init(interface name: String) throws {
        guard !name.isEmpty, name.utf8.count < Int(IFNAMSIZ) else {
            throw ARPProxyError(field: "interface", value: name, reason: "is not a valid interface name (1 to \(IFNAMSIZ - 1) bytes)")
        }
        let index = if_nametoindex(name)
        guard index != 0 else {
            throw ARPProxyError(field: "interface", value: name, reason: "no such interface in this network namespace")
        }
        let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(Self.ethPARP.bigEndian))
        guard fd >= 0 else {
            throw ARPProxyError(field: "interface", value: name, reason: "cannot open an AF_PACKET socket: \(errnoText()) (needs CAP_NET_RAW)")
        }
        self.descriptor = fd
        self.interfaceIndex = Int32(index)
        self.interfaceName = name
        var address = Self.linkAddress(index: Int32(index))
        let bound = address.withUnsafeMutableBytes { raw in
            bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(Self.sockaddrLLSize))
        }
        guard bound == 0 else {
            let text = errnoText()
            close(fd)
            throw ARPProxyError(field: "interface", value: name, reason: "cannot bind an AF_PACKET socket: \(text)")
        }
    }

    deinit { close(descriptor) }

    /// The interface's Ethernet address (SIOCGIFHWADDR). Throws when it is not Ethernet
    /// (loopback, tun, …), where ARP has no meaning.
    func hardwareAddress() throws -> MACAddress {
        // struct ifreq: name[16], then the union; ifr_hwaddr is a sockaddr (family u16, data[14]).
        var request = [UInt8](repeating: 0, count: 40)
        for (offset, byte) in interfaceName.utf8.enumerated() { request[offset] = byte }
        let result = request.withUnsafeMutableBytes { raw in
            ioctl(descriptor, UInt(SIOCGIFHWADDR), raw.baseAddress!)
        }
        guard result == 0 else {
            throw ARPProxyError(field: "interface", value: interfaceName, reason: "cannot read its hardware address: \(errnoText())")
        }
        let family = UInt16(request[16]) | UInt16(request[17]) << 8
        guard family == Self.arphrdEther, let mac = MACAddress(bytes: Array(request[18..<24])) else {
            throw ARPProxyError(field: "interface", value: interfaceName, reason: "is not an Ethernet interface (hardware type \(family))")
        }
        return mac
    }

    /// Sends one whole Ethernet frame out of the interface.
    func send(_ frame: [UInt8]) throws {
        var address = Self.linkAddress(index: interfaceIndex)
        let sent = frame.withUnsafeBytes { bytes in
            address.withUnsafeMutableBytes { raw in
                sendto(descriptor, bytes.baseAddress, bytes.count, 0,
                       raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(Self.sockaddrLLSize))
            }
        }
        guard sent == frame.count else {
            throw ARPProxyError(field: "interface", value: interfaceName, reason: "send failed: \(sent < 0 ? errnoText() : "short write \(sent)")")
        }
    }

    enum Received {
        /// A frame that arrived on the wire (not one this host sent); its bytes are in the buffer.
        case frame(length: Int)
        /// A frame this host sent (AF_PACKET sees outgoing frames too).
        case outgoing
        /// Nothing to read right now.
        case none
    }

    /// One non-blocking receive into `buffer`. Frames larger than the buffer are truncated,
    /// which is harmless: the parser rejects what it cannot use.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Received {
        var from = [UInt8](repeating: 0, count: Self.sockaddrLLSize)
        var fromLength = socklen_t(Self.sockaddrLLSize)
        let count = from.withUnsafeMutableBytes { raw in
            recvfrom(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT),
                     raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &fromLength)
        }
        if count < 0 {
            switch errno {
            case EAGAIN, EWOULDBLOCK, EINTR: return .none
            // The link went down under us; keep listening, it may come back.
            case ENETDOWN: return .none
            default:
                throw ARPProxyError(field: "interface", value: interfaceName, reason: "receive failed: \(errnoText())")
            }
        }
        if fromLength >= 11, from[10] == Self.packetOutgoing { return .outgoing }
        return .frame(length: count)
    }

    /// A `sockaddr_ll` for `index` and `ethertype` (host order), as raw bytes.
    static func linkAddress(index: Int32, ethertype: UInt16 = ethPARP) -> [UInt8] {
        var address = [UInt8](repeating: 0, count: sockaddrLLSize)
        address.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt16(AF_PACKET), toByteOffset: 0, as: UInt16.self)
            raw.storeBytes(of: ethertype.bigEndian, toByteOffset: 2, as: UInt16.self)
            raw.storeBytes(of: index, toByteOffset: 4, as: Int32.self)
            raw.storeBytes(of: 6, toByteOffset: 11, as: UInt8.self)
        }
        return address
    }
}

/// A self-pipe: `signal()` from any thread makes `readDescriptor` readable, waking a `poll()`.
final class WakePipe: @unchecked Sendable {
    let readDescriptor: Int32
    let writeDescriptor: Int32

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw ARPProxyError(field: "wake pipe", value: "", reason: errnoText())
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        readDescriptor = fds[0]
        writeDescriptor = fds[1]
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }

    func signal() {
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }
}

func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
