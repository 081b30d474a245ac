import InfraNet

/// What the manager must know about its IPU's ports and the pod gateway to turn intents into
/// k8s_dp entries. Comes from the `dataplane` section of manager.yaml.
public struct DataplaneSettings: Sendable, Hashable {
    /// Pool interface name (as the agent reports it in `host_interface`) → P4 port id.
    public var ports: [String: UInt32]
    /// The port towards the host's own network stack: default route and node addresses.
    public var hostPort: UInt32
    /// The port of the ARP proxy, which answers for the gateway address.
    public var arpProxyPort: UInt32
    /// The pods' default gateway (link-local, the same on every node).
    public var gatewayIP: IPAddress
    /// The gateway's MAC: the ARP proxy interface's address, used as the source MAC towards pods.
    public var gatewayMAC: MACAddress
    /// The learner expire-time profiles of k8s_dp in seconds, indexed by profile id.
    public var timeoutProfiles: [UInt32]
    /// The profile for ordinary service connections.
    public var connectionTimeoutProfile: UInt8

    public init(
        ports: [String: UInt32], hostPort: UInt32, arpProxyPort: UInt32,
        gatewayIP: IPAddress = IPAddress("169.254.1.1")!, gatewayMAC: MACAddress,
        timeoutProfiles: [UInt32] = DataplaneSettings.k8sDpTimeoutProfiles, connectionTimeoutProfile: UInt8 = 3
    ) {
        self.ports = ports
        self.hostPort = hostPort
        self.arpProxyPort = arpProxyPort
        self.gatewayIP = gatewayIP
        self.gatewayMAC = gatewayMAC
        self.timeoutProfiles = timeoutProfiles
        self.connectionTimeoutProfile = connectionTimeoutProfile
    }

    /// The expire-time profiles p4c-dpdk gives a learner table (see k8s_dp/README.md).
    public static let k8sDpTimeoutProfiles: [UInt32] = [10, 30, 60, 120, 300, 43200, 120, 120]

    /// The profile whose timeout is the shortest one not below `seconds` (the longest when
    /// none is that long): session affinity must last at least as long as asked.
    func timeoutProfile(atLeast seconds: UInt32) -> UInt8 {
        let candidates = timeoutProfiles.enumerated().filter { $0.element >= seconds }
        if let best = candidates.min(by: { $0.element < $1.element }) { return UInt8(best.offset) }
        let longest = timeoutProfiles.enumerated().max { $0.element < $1.element }
        return UInt8(longest?.offset ?? 0)
    }
}
