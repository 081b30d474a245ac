import InfraChannel
import InfraDaemon
import InfraPKI

/// The infra-manager's configuration file (`/etc/infra/manager.yaml` by default).
///
/// Every key is documented in docs/configuration.md. Unknown keys and invalid values are
/// refused with their key path, so a typo never silently falls back to a default.
public struct ManagerConfig: Decodable, Sendable {
    /// The Kubernetes node whose IPU this manager drives. Required.
    public var nodeName: String
    /// Where the agent-facing gRPC server listens: `ip:port` or `unix:/path`.
    public var listen: String
    /// Serve plaintext without TLS. Only for labs; logged as a warning at every start.
    public var insecure: Bool
    public var tls: TLSSettings
    public var authorization: AuthorizationSettings
    public var heartbeatSeconds: Int
    public var metrics: MetricsSettings
    public var log: LogSettings
    /// The P4Runtime target to program; nil keeps desired state only.
    public var dataplane: DataplaneConfig?

    public static let defaultTLSDirectory = "/etc/infra/pki/manager-server"

    enum CodingKeys: String, CodingKey, CaseIterable {
        case nodeName, listen, insecure, tls, authorization, heartbeatSeconds, metrics, log, dataplane
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        guard let nodeName = try container.decodeIfPresent(String.self, forKey: .nodeName), !nodeName.isEmpty else {
            throw ConfigError.invalidValue(keyPath: container.keyPath(for: .nodeName), value: nil, reason: "is required")
        }
        self.nodeName = nodeName
        listen = try container.decode(String.self, forKey: .listen, default: "127.0.0.1:50002")
        do {
            _ = try ChannelAddress(parsing: listen)
        } catch let error as ChannelError {
            throw container.invalidValue(listen, forKey: .listen, reason: error.message)
        }
        insecure = try container.decode(Bool.self, forKey: .insecure, default: false)
        tls = try TLSSettings.decode(from: container, forKey: .tls, defaults: TLSSettings(directory: Self.defaultTLSDirectory))
        authorization = try container.decode(AuthorizationSettings.self, forKey: .authorization, default: AuthorizationSettings())
        heartbeatSeconds = try container.decode(Int.self, forKey: .heartbeatSeconds, default: 10)
        guard (1...300).contains(heartbeatSeconds) else {
            throw container.invalidValue(heartbeatSeconds, forKey: .heartbeatSeconds, reason: "must be from 1 to 300")
        }
        metrics = try container.decode(MetricsSettings.self, forKey: .metrics, default: .loopback(port: 9102))
        log = try container.decode(LogSettings.self, forKey: .log, default: LogSettings())
        dataplane = try container.decodeIfPresent(DataplaneConfig.self, forKey: .dataplane)
    }

    /// The access policy in force: the configured rules, or by default this node's agent
    /// (read-write) and every operator of the trust domain (read-only).
    public var accessPolicy: AccessPolicy {
        let rules = authorization.rules ?? [
            .init(identity: InfraIdentity(trustDomain: authorization.trustDomain, role: .agent, name: nodeName).uri, access: .readWrite),
            .init(identity: InfraIdentity(trustDomain: authorization.trustDomain, role: .operator, name: nil).uri + "/*", access: .readOnly),
        ]
        return AccessPolicy(rules: rules, readMethods: ManagerReadMethods.all)
    }
}

/// The `authorization` section.
public struct AuthorizationSettings: Decodable, Sendable {
    /// The SPIFFE-style trust domain of the cluster's identities.
    public var trustDomain = "infra.cluster.local"
    /// Explicit rules; when absent, the defaults described on `ManagerConfig.accessPolicy`.
    public var rules: [AccessPolicy.Rule]?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case trustDomain, rules }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        trustDomain = try container.decode(String.self, forKey: .trustDomain, default: "infra.cluster.local")
        rules = try container.decodeIfPresent([StrictRule].self, forKey: .rules)?.map(\.rule)
    }

    /// One rule, decoded strictly so that `acess: read-write` is an error, not a default.
    struct StrictRule: Decodable {
        let rule: AccessPolicy.Rule
        enum CodingKeys: String, CodingKey, CaseIterable { case identity, access }

        init(from decoder: any Decoder) throws {
            let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
            guard let identity = try container.decodeIfPresent(String.self, forKey: .identity), !identity.isEmpty else {
                throw ConfigError.invalidValue(keyPath: container.keyPath(for: .identity), value: nil, reason: "is required")
            }
            guard identity.hasSuffix("*") || InfraIdentity(uri: identity) != nil else {
                throw container.invalidValue(identity, forKey: .identity, reason: "is not an identity URI such as spiffe://<trust-domain>/agent/<node>")
            }
            guard let access = try container.decodeIfPresent(String.self, forKey: .access) else {
                throw ConfigError.invalidValue(keyPath: container.keyPath(for: .access), value: nil, reason: "is required")
            }
            guard let parsed = AccessPolicy.Access(rawValue: access) else {
                throw container.invalidValue(access, forKey: .access, reason: "must be read-only or read-write")
            }
            rule = AccessPolicy.Rule(identity: identity, access: parsed)
        }
    }
}

/// The methods a read-only identity (an operator by default) may call.
public enum ManagerReadMethods {
    public static let all: Set<String> = [
        "infra.v1.InfraManager/Status",
        "grpc.health.v1.Health/Check",
        "grpc.health.v1.Health/List",
        "grpc.health.v1.Health/Watch",
    ]
}
