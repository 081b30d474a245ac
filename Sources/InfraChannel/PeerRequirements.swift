import InfraPKI
import X509

/// What a peer's certificate must prove, beyond chaining to the cluster CA and being valid now.
public struct PeerRequirements: Sendable {
    /// The extended key usage the peer's leaf must carry for its side of the connection.
    public var usage: ExtendedKeyUsage.Usage
    /// For a client verifying a server: the name or address it dialled, matched against the
    /// server's DNS and IP SANs.
    public var serverHostname: String?
    public var serverIP: String?
    /// Roles the peer's URI identity may have; empty accepts any (authorization then decides).
    public var acceptedRoles: Set<InfraIdentity.Role>
    /// When set, the peer's identity must be in this trust domain.
    public var trustDomain: String?

    public init(
        usage: ExtendedKeyUsage.Usage, serverHostname: String? = nil, serverIP: String? = nil,
        acceptedRoles: Set<InfraIdentity.Role> = [], trustDomain: String? = nil
    ) {
        self.usage = usage
        self.serverHostname = serverHostname
        self.serverIP = serverIP
        self.acceptedRoles = acceptedRoles
        self.trustDomain = trustDomain
    }

    /// A server verifying its clients: clientAuth, any role (the access policy decides).
    public static let client = PeerRequirements(usage: .clientAuth)
}
