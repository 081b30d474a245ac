import GRPCNIOTransportHTTP2Posix
import InfraChannel
import Logging

/// The client transport to a P4Runtime server (infrap4d), built by InfraChannel so it gets the
/// same TLS 1.3-only handshake, reloadable material and peer verification as the split channel.
public enum P4RuntimeTransport {
    /// The IANA port for P4Runtime (§3.1).
    public static let defaultPort = 9559

    /// The longest wait between connection attempts to a target that went away. The target is
    /// co-located (the IPU's own cores, or loopback in host mode), so an attempt costs next to
    /// nothing, and the dataplane must be restored within about 2 s of a target restart: with
    /// the channel's general 5 s cap, a target back after a few seconds down waited up to 5 s
    /// more before anyone connected to it.
    public static let maximumReconnectDelay = Duration.milliseconds(500)

    /// mTLS when `tls` is given (the server's certificate must carry the `infrap4d` identity),
    /// plaintext otherwise (tests, or a target on a local Unix socket).
    public static func make(
        address: ChannelAddress, tls: TLSMaterialStore?, serverName: String? = nil, logger: Logger
    ) throws -> HTTP2ClientTransport.Posix {
        let security: ClientSecurity = tls.map { .mutualTLS($0, serverRoles: [.infrap4d], serverName: serverName) } ?? .insecure
        return try ChannelClientTransport.make(
            address: address, security: security, logger: logger, maximumReconnectDelay: maximumReconnectDelay
        )
    }
}
