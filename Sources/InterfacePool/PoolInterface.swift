import InfraNet

/// One netdev the pool can hand out, as discovery saw it in the host namespace.
public struct PoolInterface: Codable, Hashable, Sendable {
    /// The netdev name in the host namespace (the pod sees it renamed, e.g. `eth0`).
    public var name: String
    /// The kernel ifindex when it was discovered.
    public var index: Int32
    /// Its MAC address; the pod keeps it, which is how reconcile finds it inside a pod netns.
    public var macAddress: MACAddress
    /// The IPU (P4) port it maps to, when `ports` configures one.
    public var ipuPort: UInt32?
    /// `sriov`: the VF index; `cdq`: the subfunction number; nil otherwise.
    public var function: UInt32?

    public init(name: String, index: Int32, macAddress: MACAddress, ipuPort: UInt32? = nil, function: UInt32? = nil) {
        self.name = name
        self.index = index
        self.macAddress = macAddress
        self.ipuPort = ipuPort
        self.function = function
    }
}
