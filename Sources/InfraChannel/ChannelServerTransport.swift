import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Logging
import NIOCore
import NIOSSL

/// How a server protects its listener.
public enum ServerSecurity: Sendable {
    /// TLS 1.3 with a required client certificate chained to the cluster CA.
    case mutualTLS(TLSMaterialStore)
    /// No TLS at all; only when the configuration says `insecure: true`.
    case insecure
}

/// Builds the gRPC server transport for the split channel.
public enum ChannelServerTransport {
    public static func make(
        address: ChannelAddress,
        security: ServerSecurity,
        logger: Logger,
        maxRequestBytes: Int = 16 << 20
    ) throws -> HTTP2ServerTransport.Posix {
        var config = HTTP2ServerTransport.Posix.Config.defaults
        config.rpc.maxRequestPayloadSize = maxRequestBytes
        // Our clients ping every 15 s, also during a call that sends nothing for a while (a
        // large UpsertServices into a slow target). The transport's default tolerates one ping
        // per 5 minutes then and answered the third one with GOAWAY, which cut a 10,000-service
        // load into infra-p4-dpdk ("Stream unexpectedly closed").
        config.connection.keepalive.clientBehavior = .init(
            minPingIntervalWithoutCalls: ChannelClientTransport.keepaliveInterval - .seconds(5), allowWithoutCalls: true
        )
        switch security {
        case .insecure:
            return HTTP2ServerTransport.Posix(
                address: try address.serverSocketAddress, transportSecurity: .plaintext, config: config
            )
        case .mutualTLS(let store):
            let verifier = PeerVerifier(store: store, requirements: .client, logger: logger)
            let roots = try store.current.trustRoots.map { TLSConfig.CertificateSource.bytes(try TLSMaterial.der($0), format: .der) }
            let transportSecurity = try HTTP2ServerTransport.Posix.TransportSecurity.mTLS(certificateReloader: store) { tls in
                // Never the system store: only the cluster CA may vouch for a client.
                tls.trustRoots = .certificates(roots)
                tls.clientCertificateVerification = .noHostnameVerification
                tls.customVerificationCallback = verifier.callback
            }
            config.channelDebuggingCallbacks.onAcceptTCPConnection = { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TLS13OnlyHandler(logger: logger), position: .first)
                }
            }
            return HTTP2ServerTransport.Posix(
                address: try address.serverSocketAddress, transportSecurity: transportSecurity, config: config
            )
        }
    }
}
