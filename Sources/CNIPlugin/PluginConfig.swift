import CNISpec
import Foundation

/// infra-cni's own keys in its network config (every other key is kept and passed to IPAM).
public struct PluginConfig: Sendable, Hashable {
    public static let defaultAgentSocket = "/run/infra/cni.sock"

    /// `agentSocket`: the unix socket the agent serves `cni.CniDataplane` and grpc.health.v1 on.
    public var agentSocket: String
    /// `agentTimeoutSeconds`: deadline of each agent call (connect included). Default 2, at
    /// most 2.5, so an ADD against a dead agent fails (code 11) within 3 s with IPAM released.
    public var agentTimeout: Duration
    /// `ipamTimeoutSeconds`: deadline of each IPAM plugin exec; the plugin is killed after it.
    public var ipamTimeout: Duration
    /// `mtu`: the pod interface MTU passed to the agent (0: the agent's default).
    public var mtu: Int
    /// `allowIPForwarding`: passed to the agent as ContainerSettings.allow_ip_forwarding.
    public var allowIPForwarding: Bool
    /// `nodename`: WorkloadIDs.node; default the host name.
    public var nodename: String
    /// `dataplane_options`: string map passed unchanged in AddRequest/DelRequest (non-string
    /// values are sent as their JSON text).
    public var dataplaneOptions: [String: String]

    public init(_ config: NetworkConfig) throws(CNIError) {
        let raw = config.raw
        func number(_ key: String) throws(CNIError) -> Double? {
            guard let value = raw[key], value != .null else { return nil }
            switch value {
            case .int(let n): return Double(n)
            case .double(let d): return d
            default: throw CNIError(.invalidNetworkConfig, "network configuration key \"\(key)\" must be a number")
            }
        }
        if let value = raw["agentSocket"], value != .null {
            guard let path = value.stringValue, path.hasPrefix("/") else {
                throw CNIError(.invalidNetworkConfig, "network configuration key \"agentSocket\" must be an absolute socket path")
            }
            agentSocket = path
        } else {
            agentSocket = Self.defaultAgentSocket
        }
        let agentSeconds = try number("agentTimeoutSeconds") ?? 2
        guard agentSeconds > 0, agentSeconds <= 2.5 else {
            throw CNIError(.invalidNetworkConfig, "network configuration key \"agentTimeoutSeconds\" must be in (0, 2.5]")
        }
        agentTimeout = .milliseconds(Int(agentSeconds * 1000))
        let ipamSeconds = try number("ipamTimeoutSeconds") ?? 10
        guard ipamSeconds > 0, ipamSeconds <= 60 else {
            throw CNIError(.invalidNetworkConfig, "network configuration key \"ipamTimeoutSeconds\" must be in (0, 60]")
        }
        ipamTimeout = .milliseconds(Int(ipamSeconds * 1000))
        if let value = raw["mtu"], value != .null {
            guard let mtu = value.intValue, (0...65535).contains(mtu) else {
                throw CNIError(.invalidNetworkConfig, "network configuration key \"mtu\" must be an integer in 0...65535")
            }
            self.mtu = mtu
        } else {
            mtu = 0
        }
        if let value = raw["allowIPForwarding"], value != .null {
            guard let flag = value.boolValue else {
                throw CNIError(.invalidNetworkConfig, "network configuration key \"allowIPForwarding\" must be a boolean")
            }
            allowIPForwarding = flag
        } else {
            allowIPForwarding = false
        }
        nodename = raw["nodename"]?.stringValue ?? ProcessInfo.processInfo.hostName
        dataplaneOptions = [:]
        if let value = raw["dataplane_options"], value != .null {
            guard let object = value.objectValue else {
                throw CNIError(.invalidNetworkConfig, "network configuration key \"dataplane_options\" must be an object")
            }
            for (key, entry) in object {
                dataplaneOptions[key] = entry.stringValue ?? entry.serializedString()
            }
        }
    }
}
