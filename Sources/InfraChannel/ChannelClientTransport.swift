import InfraPKI
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// How a client protects its connection.
public enum ClientSecurity: Sendable {
    /// TLS 1.3 with our client certificate; the server must chain to the cluster CA, carry
    /// serverAuth, match the dialled name or address and hold an identity of `serverRoles`.
    case mutualTLS(TLSMaterialStore, serverRoles: Set<InfraIdentityRole>, serverName: String?)
    case insecure
}

public typealias InfraIdentityRole = InfraIdentity.Role



/// Builds the gRPC client transport for the split channel.
///
/// The transport's built-in TLS is fixed at a TLS 1.2 minimum, so the client brings its
/// own NIOSSL handler (the transport's `customSecure` mode) configured for TLS 1.3 only. The
/// TLS context is rebuilt when the certificate files change, so a reconnect after a rotation
/// presents the new certificate.
public enum ChannelClientTransport {
    /// `maximumReconnectDelay` caps the wait between connection attempts after the peer went
    /// away (the delay doubles from 100 ms up to it).
    /// How often a client pings the manager; `ChannelServerTransport` accepts this rate.
    public static let keepaliveInterval: Duration = .seconds(15)

    public static func make(
        address: ChannelAddress,
        security: ClientSecurity,
        logger: Logger,
        maximumReconnectDelay: Duration = .seconds(5)
    ) throws -> HTTP2ClientTransport.Posix {
        var config = HTTP2ClientTransport.Posix.Config.defaults
        config.backoff = .init(initial: .milliseconds(100), max: maximumReconnectDelay, multiplier: 2, jitter: 0.2)
        // HTTP/2 pings find a silently dead manager (an IPU reboot drops no FIN), which
        // ends the agent's open Attach stream and starts its reconnect loop.
        config.connection.keepalive = .init(time: keepaliveInterval, timeout: .seconds(10), allowWithoutCalls: true)
        switch security {
        case .insecure:
            return try HTTP2ClientTransport.Posix(target: address.clientTarget, transportSecurity: .plaintext, config: config)
        case .mutualTLS(let store, let roles, let serverName):
            let host = address.hostForVerification
            var requirements = PeerRequirements(usage: .serverAuth, acceptedRoles: roles)
            requirements.trustDomain = InfraIdentity.identities(in: store.current.leaf).first?.trustDomain
            if let serverName {
                requirements.serverHostname = serverName
            } else {
                requirements.serverHostname = host.hostname
                requirements.serverIP = host.ip
            }
            let verifier = PeerVerifier(store: store, requirements: requirements, logger: logger)
            let contexts = ClientContextCache(store: store)
            let sni = requirements.serverHostname
            config.channelDebuggingCallbacks.onCreateTCPConnection = { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(
                        context: try contexts.context(),
                        serverHostname: sni,
                        customVerificationCallbackWithMetadata: verifier.callback
                    )
                    try channel.pipeline.syncOperations.addHandler(handler, position: .first)
                }
            }
            return try HTTP2ClientTransport.Posix(target: address.clientTarget, transportSecurity: .customSecure, config: config)
        }
    }
}

/// One NIOSSL client context per version of the TLS material: building a context parses
/// keys and certificates, which is too slow to do for every connection attempt.
final class ClientContextCache: Sendable {
    private let store: TLSMaterialStore
    private let cached: Mutex<(FileFingerprint, NIOSSLContext)?> = Mutex(nil)

    init(store: TLSMaterialStore) { self.store = store }

    func context() throws -> NIOSSLContext {
        let material = store.current
        if let (fingerprint, context) = cached.withLock({ $0 }), fingerprint == material.fingerprint {
            return context
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        tls.maximumTLSVersion = .tlsv13
        tls.certificateChain = material.nioChain.map { .certificate($0) }
        tls.privateKey = .privateKey(material.nioKey)
        tls.trustRoots = .certificates(material.nioTrustRoots)
        // The custom verifier checks chain, usage, identity and name itself.
        tls.certificateVerification = .noHostnameVerification
        tls.applicationProtocols = ["grpc-exp", "h2"]
        let context = try NIOSSLContext(configuration: tls)
        cached.withLock { $0 = (material.fingerprint, context) }
        return context
    }
}
