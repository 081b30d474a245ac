import InfraChannel
import InfraDaemon
import InfraNet

/// The agent's `cni` section: where the CniDataplane API listens and how pods are plumbed.
public struct CNISettings: Decodable, Sendable {
    public static let defaultListen = "unix:/run/infra/cni.sock"
    public static let defaultPodStateFile = "/var/lib/infra-agent/cni-pods.json"

    /// `unix:/path` (mode 0600) or a loopback `host:port`.
    public var listen: ChannelAddress
    /// The MAC the pod's gateway 169.254.1.1 answers with (the ARP proxy's port).
    public var gatewayMAC: MACAddress
    /// The pod interface MTU when the request carries none (0: leave the interface's own).
    public var mtu: Int
    /// How long Add and Del wait for the manager. Default 1000 ms: it must stay well below
    /// the CNI plugin's own deadline for the agent (infra-cni: 2 s), so that with the manager
    /// unreachable the agent undoes the Add and says why before the plugin gives up on it.
    public var managerTimeoutMilliseconds: Int
    /// The agent's record of plumbed pods, reported in every Sync.
    public var podStateFile: String

    public init(listen: ChannelAddress, gatewayMAC: MACAddress, mtu: Int = 0, managerTimeoutMilliseconds: Int = 1000,
                podStateFile: String = CNISettings.defaultPodStateFile) {
        self.listen = listen
        self.gatewayMAC = gatewayMAC
        self.mtu = mtu
        self.managerTimeoutMilliseconds = managerTimeoutMilliseconds
        self.podStateFile = podStateFile
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case listen, gatewayMAC, mtu, managerTimeoutMilliseconds, podStateFile }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .listen, default: Self.defaultListen)
        do {
            listen = try ChannelAddress(parsing: text)
        } catch let error as ChannelError {
            throw container.invalidValue(text, forKey: .listen, reason: error.message)
        }
        switch listen.kind {
        case .unix: break
        case .ip(let ip, _) where ip.description == "127.0.0.1" || ip.description == "::1": break
        default: throw container.invalidValue(text, forKey: .listen, reason: "must be unix:/path or a loopback address")
        }
        guard let macText = try container.decodeIfPresent(String.self, forKey: .gatewayMAC) else {
            throw ConfigError.invalidValue(keyPath: container.keyPath(for: .gatewayMAC), value: nil, reason: "is required (the ARP proxy's MAC)")
        }
        guard let mac = MACAddress(macText), !mac.isMulticast else {
            throw container.invalidValue(macText, forKey: .gatewayMAC, reason: "is not a unicast MAC address")
        }
        gatewayMAC = mac
        mtu = try container.decode(Int.self, forKey: .mtu, default: 0)
        guard mtu == 0 || (68...65_535).contains(mtu) else {
            throw container.invalidValue(mtu, forKey: .mtu, reason: "must be 0 or from 68 to 65535")
        }
        managerTimeoutMilliseconds = try container.decode(Int.self, forKey: .managerTimeoutMilliseconds, default: 1000)
        guard (100...30_000).contains(managerTimeoutMilliseconds) else {
            throw container.invalidValue(managerTimeoutMilliseconds, forKey: .managerTimeoutMilliseconds, reason: "must be from 100 to 30000")
        }
        podStateFile = try container.decode(String.self, forKey: .podStateFile, default: Self.defaultPodStateFile)
        guard podStateFile.hasPrefix("/") else {
            throw container.invalidValue(podStateFile, forKey: .podStateFile, reason: "must be an absolute path")
        }
    }
}
