import InfraChannel
import InfraDaemon
import InfraNet
import InfraPKI
import InterfacePool

/// The infra-agent's configuration file (`/etc/infra/agent.yaml` by default).
public struct AgentConfig: Decodable, Sendable {
    /// This node's Kubernetes name. Required; must match the manager's `nodeName`.
    public var nodeName: String
    public var manager: ManagerEndpoint
    /// Talk to the manager without TLS. Only for labs; logged as a warning at every start.
    public var insecure: Bool
    public var tls: TLSSettings
    public var reconnect: ReconnectSettings
    /// The node's interface towards the IPU, when it is known from configuration.
    public var hostInterface: HostInterfaceSettings?
    public var metrics: MetricsSettings
    public var log: LogSettings
    /// The CNI backend (Calico's CniDataplane API); off when absent.
    public var cni: CNISettings?
    /// The pool of pod interfaces; required when `cni` is set.
    public var interfacePool: InterfacePoolConfig?

    public static let defaultTLSDirectory = "/etc/infra/pki/agent"

    enum CodingKeys: String, CodingKey, CaseIterable {
        case nodeName, manager, insecure, tls, reconnect, hostInterface, metrics, log, cni, interfacePool
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        guard let nodeName = try container.decodeIfPresent(String.self, forKey: .nodeName), !nodeName.isEmpty else {
            throw ConfigError.invalidValue(keyPath: container.keyPath(for: .nodeName), value: nil, reason: "is required")
        }
        self.nodeName = nodeName
        manager = try container.decodeIfPresent(ManagerEndpoint.self, forKey: .manager) ?? ManagerEndpoint()
        insecure = try container.decode(Bool.self, forKey: .insecure, default: false)
        tls = try TLSSettings.decode(from: container, forKey: .tls, defaults: TLSSettings(directory: Self.defaultTLSDirectory))
        reconnect = try container.decode(ReconnectSettings.self, forKey: .reconnect, default: ReconnectSettings())
        hostInterface = try container.decodeIfPresent(HostInterfaceSettings.self, forKey: .hostInterface)
        metrics = try container.decode(MetricsSettings.self, forKey: .metrics, default: .loopback(port: 9103))
        log = try container.decode(LogSettings.self, forKey: .log, default: LogSettings())
        cni = try container.decodeIfPresent(CNISettings.self, forKey: .cni)
        interfacePool = try container.decodeIfPresent(InterfacePoolConfig.self, forKey: .interfacePool)
        if cni != nil, interfacePool == nil {
            throw ConfigError.invalidValue(keyPath: container.keyPath(for: .interfacePool), value: nil, reason: "is required when cni is set")
        }
    }
}

/// The `manager` section: where the manager is and what name its certificate must carry.
public struct ManagerEndpoint: Decodable, Sendable {
    public var address: ChannelAddress
    /// The DNS name to verify in the manager's certificate instead of the dialled host.
    public var serverName: String?

    /// The host-mode default: a manager on this host's loopback.
    public init() {
        self.address = ChannelAddress(.ip(IPAddress("127.0.0.1")!, port: 50002))
        self.serverName = nil
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case address, serverName }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .address, default: "127.0.0.1:50002")
        do {
            address = try ChannelAddress(parsing: text)
        } catch let error as ChannelError {
            throw container.invalidValue(text, forKey: .address, reason: error.message)
        }
        serverName = try container.decodeIfPresent(String.self, forKey: .serverName)
    }
}

/// The `reconnect` section: the capped exponential backoff between manager sessions.
public struct ReconnectSettings: Decodable, Sendable {
    public var initialMilliseconds = 200
    public var maximumSeconds = 30

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case initialMilliseconds, maximumSeconds }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        initialMilliseconds = try container.decode(Int.self, forKey: .initialMilliseconds, default: 200)
        maximumSeconds = try container.decode(Int.self, forKey: .maximumSeconds, default: 30)
        guard (10...60_000).contains(initialMilliseconds) else {
            throw container.invalidValue(initialMilliseconds, forKey: .initialMilliseconds, reason: "must be from 10 to 60000")
        }
        guard (1...3600).contains(maximumSeconds), maximumSeconds * 1000 >= initialMilliseconds else {
            throw container.invalidValue(maximumSeconds, forKey: .maximumSeconds, reason: "must be from 1 to 3600 and not below initialMilliseconds")
        }
    }

    public var backoff: Backoff {
        Backoff(initial: .milliseconds(initialMilliseconds), maximum: .seconds(maximumSeconds))
    }
}

/// The `hostInterface` section; the manager validates the values again when they arrive.
public struct HostInterfaceSettings: Decodable, Sendable {
    public var name: String
    public var macAddress: String
    public var addresses: [String]

    enum CodingKeys: String, CodingKey, CaseIterable { case name, macAddress, addresses }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        macAddress = try container.decode(String.self, forKey: .macAddress)
        addresses = try container.decode([String].self, forKey: .addresses, default: [])
    }
}
