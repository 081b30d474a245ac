/// The component an identity in the profile is for. It fixes the TLS role (EKU), the
/// SPIFFE role in the URI SAN and the file names the component expects.
public enum IdentityKind: String, Codable, CaseIterable, Sendable {
    case managerServer = "manager-server"
    case agent
    case p4rtClient = "p4rt-client"
    case infrap4d
    case `operator`

    public var role: InfraIdentity.Role {
        switch self {
        case .managerServer: .manager
        case .agent: .agent
        case .p4rtClient: .p4rtClient
        case .infrap4d: .infrap4d
        case .operator: .operator
        }
    }

    public init(role: InfraIdentity.Role) {
        switch role {
        case .manager: self = .managerServer
        case .agent: self = .agent
        case .p4rtClient: self = .p4rtClient
        case .infrap4d: self = .infrap4d
        case .operator: self = .operator
        }
    }

    /// Servers terminate TLS (manager gRPC, infrap4d P4Runtime/gNMI); everything else dials in.
    public var requiredUsage: ExtendedUsage {
        switch self {
        case .managerServer, .infrap4d: .serverAuth
        case .agent, .p4rtClient, .operator: .clientAuth
        }
    }

    /// Agents are named by node and operators by person; the others are singletons.
    public var needsPrincipalName: Bool { self == .agent || self == .operator }

    /// Certificate and key file names inside the identity's directory. infrap4d keeps
    /// stratum's defaults so the directory can be copied to /usr/share/stratum/certs as is.
    public var fileNames: (certificate: String, key: String) {
        self == .infrap4d ? ("stratum.crt", "stratum.key") : ("tls.crt", "tls.key")
    }

    /// Where the files go on the target system (documentation and `status` hints).
    public var installPath: String {
        switch self {
        case .managerServer: "/etc/infra/pki/manager-server/ (IPU)"
        case .p4rtClient: "/etc/infra/pki/p4rt-client/ (IPU)"
        case .infrap4d: "/usr/share/stratum/certs/ (IPU)"
        case .agent: "Kubernetes Secret mounted at /etc/infra/pki/agent/ (host DaemonSet)"
        case .operator: "/etc/infra/pki/operator/ (operator workstation)"
        }
    }
}
