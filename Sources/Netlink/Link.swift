import InfraNet

/// A network interface as the kernel reports it (RTM_NEWLINK).
public struct Link: Hashable, Sendable, CustomStringConvertible {
    /// The interface index, unique inside one network namespace.
    public var index: Int32
    public var name: String
    /// The hardware address; nil for links without a 6-byte one (e.g. some tunnels).
    public var macAddress: MACAddress?
    public var mtu: Int
    public var flags: LinkFlags
    /// IFLA_INFO_KIND: "veth", "bridge", ...; nil for physical devices and loopback.
    public var kind: String?

    public init(index: Int32, name: String, macAddress: MACAddress? = nil, mtu: Int = 0, flags: LinkFlags = [], kind: String? = nil) {
        self.index = index
        self.name = name
        self.macAddress = macAddress
        self.mtu = mtu
        self.flags = flags
        self.kind = kind
    }

    /// IFF_UP: administratively up.
    public var isUp: Bool { flags.contains(.up) }

    public var description: String { name }
}

/// The interface flags (IFF_* from linux/if.h) the kernel reports in ifi_flags.
public struct LinkFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let up = LinkFlags(rawValue: 0x1)
    public static let broadcast = LinkFlags(rawValue: 0x2)
    public static let loopback = LinkFlags(rawValue: 0x8)
    public static let pointToPoint = LinkFlags(rawValue: 0x10)
    public static let running = LinkFlags(rawValue: 0x40)
    public static let noARP = LinkFlags(rawValue: 0x80)
    public static let promiscuous = LinkFlags(rawValue: 0x100)
    public static let multicast = LinkFlags(rawValue: 0x1000)
    /// IFF_LOWER_UP: the carrier is present (for a veth: the peer is up).
    public static let lowerUp = LinkFlags(rawValue: 0x10000)
}

extension Link {
    /// Parses an RTM_NEWLINK payload; nil if it is too short to be one.
    init?(payload: ArraySlice<UInt8>) {
        guard let header = InterfaceHeader(payload) else { return nil }
        let attributes = Attributes(payload.dropFirst(InterfaceHeader.size))
        guard let name = attributes.string(IFLA.ifname) else { return nil }
        self.init(index: header.index, name: name)
        flags = LinkFlags(rawValue: header.flags)
        if let raw = attributes[IFLA.address] { macAddress = MACAddress(bytes: Array(raw)) }
        mtu = Int(attributes.uint32(IFLA.mtu) ?? 0)
        kind = attributes.nested(IFLA.linkinfo)?.string(IFLA.infoKind)
    }
}
