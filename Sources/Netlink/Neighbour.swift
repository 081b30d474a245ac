import InfraNet

/// A neighbour (ARP / NDP) entry (RTM_NEWNEIGH).
public struct Neighbour: Hashable, Sendable, CustomStringConvertible {
    public var linkIndex: Int32
    public var address: IPAddress
    /// NDA_LLADDR; nil for an entry still resolving or failed.
    public var macAddress: MACAddress?
    public var state: NeighbourState

    public init(linkIndex: Int32, address: IPAddress, macAddress: MACAddress?, state: NeighbourState) {
        self.linkIndex = linkIndex
        self.address = address
        self.macAddress = macAddress
        self.state = state
    }

    public var description: String {
        "\(address) lladdr \(macAddress.map(String.init(describing:)) ?? "none") dev #\(linkIndex)"
    }
}

/// NUD_* states from linux/neighbour.h.
public struct NeighbourState: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let incomplete = NeighbourState(rawValue: 0x01)
    public static let reachable = NeighbourState(rawValue: 0x02)
    public static let stale = NeighbourState(rawValue: 0x04)
    public static let delay = NeighbourState(rawValue: 0x08)
    public static let probe = NeighbourState(rawValue: 0x10)
    public static let failed = NeighbourState(rawValue: 0x20)
    public static let noARP = NeighbourState(rawValue: 0x40)
    /// Never expires, never re-resolved: the pod's entry for its gateway.
    public static let permanent = NeighbourState(rawValue: 0x80)
}
