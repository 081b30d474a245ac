import InfraChannel
import InfraDaemon
import InfraNet

/// The `dataplane` section of manager.yaml: the P4Runtime target and the k8s_dp facts the
/// manager needs. Without this section the manager keeps desired state only (and Status says
/// the target is not configured).
public struct DataplaneConfig: Decodable, Sendable {
    /// The P4Runtime server (infrap4d, infra-p4-dpdk or infra-p4-emulator): `host:port`.
    public var target: String
    public var deviceID: UInt64
    /// Plaintext P4Runtime (a target on loopback in a lab); logged as a warning.
    public var insecure: Bool
    /// The manager's P4Runtime client identity (role p4rt-client).
    public var tls: TLSSettings
    /// The name to check in the target's certificate, when it differs from the host in `target`.
    public var serverName: String?
    /// The committed P4Info of k8s_dp (text format).
    public var p4info: String
    /// The target-specific device config sent with the pipeline (the DPDK spec bundle); none
    /// for the emulator.
    public var deviceConfig: String?
    /// Where the state file and the election id live.
    public var stateDirectory: String
    /// Pool interface name → P4 port id.
    public var ports: [String: UInt32]
    public var hostPort: UInt32
    public var arpProxyPort: UInt32
    public var gatewayIP: IPAddress
    public var gatewayMAC: MACAddress
    /// Updates per P4Runtime Write request. Fewer, larger requests cost the manager and the
    /// target far less per update (the gRPC, HTTP/2 and TLS work is per request); the limit
    /// is the per-update error trailer of a failed request, which must fit the client's
    /// 16 KiB header limit. infra-p4-emulator and infra-p4-dpdk shorten their messages to fit
    /// up to ~280 updates; for a target with long error messages, lower it (64 fits any).
    public var maxUpdatesPerWrite: Int

    public static let defaultTLSDirectory = "/etc/infra/pki/p4rt-client"

    enum CodingKeys: String, CodingKey, CaseIterable {
        case target, deviceID, insecure, tls, serverName, p4info, deviceConfig, stateDirectory
        case ports, hostPort, arpProxyPort, gatewayIP, gatewayMAC, maxUpdatesPerWrite
    }

    static let defaultMaxUpdatesPerWrite = 256

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        target = try container.decode(String.self, forKey: .target, default: "127.0.0.1:9559")
        do {
            _ = try ChannelAddress(parsing: target)
        } catch let error as ChannelError {
            throw container.invalidValue(target, forKey: .target, reason: error.message)
        }
        deviceID = try container.decode(UInt64.self, forKey: .deviceID, default: 1)
        insecure = try container.decode(Bool.self, forKey: .insecure, default: false)
        tls = try TLSSettings.decode(from: container, forKey: .tls, defaults: TLSSettings(directory: Self.defaultTLSDirectory))
        serverName = try container.decodeIfPresent(String.self, forKey: .serverName)
        p4info = try container.decode(String.self, forKey: .p4info, default: "/usr/share/infra/k8s_dp/k8s_dp.p4info.txtpb")
        deviceConfig = try container.decodeIfPresent(String.self, forKey: .deviceConfig)
        stateDirectory = try container.decode(String.self, forKey: .stateDirectory, default: "/var/lib/infra-manager")
        ports = try container.decode([String: UInt32].self, forKey: .ports, default: [:])
        hostPort = try container.decode(UInt32.self, forKey: .hostPort, default: 0)
        arpProxyPort = try container.decode(UInt32.self, forKey: .arpProxyPort, default: 1)
        let gateway = try container.decode(String.self, forKey: .gatewayIP, default: "169.254.1.1")
        guard let gatewayIP = IPAddress(gateway), gatewayIP.family == .v4 else {
            throw container.invalidValue(gateway, forKey: .gatewayIP, reason: "is not an IPv4 address")
        }
        self.gatewayIP = gatewayIP
        let mac = try container.decode(String.self, forKey: .gatewayMAC, default: "")
        guard let gatewayMAC = MACAddress(mac), !gatewayMAC.isMulticast else {
            throw container.invalidValue(mac, forKey: .gatewayMAC, reason: "must be the ARP proxy interface's unicast MAC (aa:bb:cc:dd:ee:ff)")
        }
        self.gatewayMAC = gatewayMAC
        maxUpdatesPerWrite = try container.decode(Int.self, forKey: .maxUpdatesPerWrite, default: Self.defaultMaxUpdatesPerWrite)
        guard (1...4096).contains(maxUpdatesPerWrite) else {
            throw container.invalidValue("\(maxUpdatesPerWrite)", forKey: .maxUpdatesPerWrite, reason: "must be between 1 and 4096")
        }
        for (name, port) in ports where port == hostPort || port == arpProxyPort {
            throw container.invalidValue("\(name): \(port)", forKey: .ports, reason: "uses the port of the host or the ARP proxy")
        }
    }

    var settings: DataplaneSettings {
        DataplaneSettings(ports: ports, hostPort: hostPort, arpProxyPort: arpProxyPort, gatewayIP: gatewayIP, gatewayMAC: gatewayMAC)
    }
}
