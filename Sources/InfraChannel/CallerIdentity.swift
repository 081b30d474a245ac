import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraPKI
import X509

/// The authenticated caller of an RPC, as the server sees it.
public struct CallerIdentity: Sendable, Hashable, CustomStringConvertible {
    /// URI identities from the client certificate (empty on an insecure channel).
    public let identities: [InfraIdentity]
    /// The certificate subject, for logs.
    public let subject: String?
    public let peer: String

    /// Reads the peer certificate that the TLS layer verified for this call.
    public init(context: ServerContext) {
        let certificate = (context.transportSpecific as? HTTP2ServerTransport.Posix.Context)?.peerCertificate
        self.identities = certificate.map { InfraIdentity.identities(in: $0) } ?? []
        self.subject = certificate.map { String(describing: $0.subject) }
        self.peer = context.remotePeer
    }

    public var uris: [String] { identities.map(\.uri) }

    /// The node an agent identity names, if the caller is an agent.
    public var agentNode: String? {
        identities.first { $0.role == .agent }?.name
    }

    public var description: String {
        identities.first?.uri ?? subject ?? "insecure:\(peer)"
    }
}
