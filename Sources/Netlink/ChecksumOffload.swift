import Glibc

/// TX checksum offload of a link, through the legacy ethtool ioctl (`SIOCETHTOOL` with
/// `ETHTOOL_GTXCSUM`/`ETHTOOL_STXCSUM`), the same request `ethtool -K <link> tx off` ends in.
///
/// Why the pod plumbing needs it: a veth with TX checksum offload on hands the peer TCP and UDP
/// segments whose checksum is only partial (CHECKSUM_PARTIAL: the "hardware" is expected to
/// finish it). An af_packet port on the peer reads those frames as they are, and a DPDK
/// pipeline forwards them unfinished, so the receiving pod drops them. With offload off the
/// pod's kernel computes every checksum before the frame leaves. Turning TX checksumming off
/// also turns off what depends on it (TSO), as `ethtool` does.
///
/// The ioctl goes through an `AF_INET` datagram socket opened on the calling thread, so it
/// acts in that thread's current network namespace: call these from a `NamespaceRunner` body
/// (or the thread that owns this socket), like every other `NetlinkSocket` call.
extension NetlinkSocket {
    /// Whether TX checksum offload is on for `link`.
    public func txChecksumOffload(of link: Link) throws -> Bool {
        try Self.ethtoolValue(ChecksumOffload.getTX, link: link.name, value: 0, what: "read TX checksum offload of \(link.name)" + namespaceSuffix)
            != 0
    }

    /// Turns TX checksum offload (and TSO with it) on or off for `link`.
    public func setTXChecksumOffload(_ enabled: Bool, of link: Link) throws {
        let what = "turn TX checksum offload \(enabled ? "on" : "off") for \(link.name)" + namespaceSuffix
        _ = try Self.ethtoolValue(ChecksumOffload.setTX, link: link.name, value: enabled ? 1 : 0, what: what)
    }

    private var namespaceSuffix: String { namespace.map { " in \($0)" } ?? "" }

    /// One `struct ethtool_value` request ({cmd, data}, two u32) on interface `name`; returns
    /// the data the kernel wrote back.
    private static func ethtoolValue(_ command: UInt32, link name: String, value: UInt32, what: String) throws -> UInt32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NetlinkError(errno: Glibc.errno, what + " (socket)") }
        defer { close(fd) }
        var request: (UInt32, UInt32) = (command, value)
        var interfaceRequest = ifreq()
        let nameBytes = Array(name.utf8)
        guard nameBytes.count < Int(IFNAMSIZ) else {
            throw NetlinkError(.invalidArgument, "\(what): the interface name is longer than \(IFNAMSIZ - 1) bytes")
        }
        withUnsafeMutableBytes(of: &interfaceRequest.ifr_ifrn.ifrn_name) { buffer in
            buffer.copyBytes(from: nameBytes)
        }
        let status = withUnsafeMutablePointer(to: &request) { value in
            interfaceRequest.ifr_ifru.ifru_data = UnsafeMutableRawPointer(value).assumingMemoryBound(to: CChar.self)
            return withUnsafeMutablePointer(to: &interfaceRequest) { ioctl(fd, ChecksumOffload.siocEthtool, $0) }
        }
        guard status == 0 else { throw NetlinkError(errno: Glibc.errno, what) }
        return request.1
    }
}

/// The uapi numbers: linux/sockios.h and linux/ethtool.h.
private enum ChecksumOffload {
    static let siocEthtool = UInt(0x8946)
    static let getTX: UInt32 = 0x16
    static let setTX: UInt32 = 0x17
}
