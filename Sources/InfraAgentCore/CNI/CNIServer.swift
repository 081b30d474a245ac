import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraChannel
import Logging
import ServiceLifecycle

/// Serves the CNI backend and grpc.health.v1 on a unix socket (mode 0600; parent directory
/// created; a stale socket removed) or a loopback TCP port, plaintext: the socket's mode is
/// the access control. A Service of the agent's ServiceGroup; drains on graceful shutdown.
public struct CNIServer: Service {
    public let address: ChannelAddress
    public let health: HealthService
    let transport: HTTP2ServerTransport.Posix
    let server: GRPCServer<HTTP2ServerTransport.Posix>
    let logger: Logger

    public init(address: ChannelAddress, backend: any RegistrableRPCService, stop: GracefulStop, logger: Logger) throws {
        self.address = address
        self.logger = logger
        if case .unix(let path) = address.kind {
            try Self.prepareSocketPath(path)
        }
        transport = try ChannelServerTransport.make(address: address, security: .insecure, logger: logger)
        health = HealthService(services: ["cni.CniDataplane"], stop: stop)
        server = GRPCServer(transport: transport, services: [backend, health])
    }

    static func prepareSocketPath(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFSOCK else {
                throw CNIBackendError("cni.listen: \(path) exists and is not a socket")
            }
            unlink(path)   // stale socket from an earlier run
        }
    }

    /// The bound address once listening (the port, for `127.0.0.1:0`), with the socket's
    /// mode already 0600.
    public func listeningAddress() async throws -> GRPCNIOTransportCore.SocketAddress {
        let bound = try await transport.listeningAddress
        try restrictSocket()
        return bound
    }

    /// Mode 0600 on the unix socket (idempotent). Until then the socket has the umask's
    /// mode, which with the usual 022 already lets only root connect.
    func restrictSocket() throws {
        if case .unix(let path) = address.kind, chmod(path, 0o600) != 0 {
            throw CNIBackendError("cannot set mode 0600 on the CNI socket \(path): errno \(errno)")
        }
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            // Nobody reaches the health service before the listener is bound, so it can say
            // SERVING from the start; it turns NOT_SERVING when the drain begins.
            health.setAll(.serving)
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                group.addTask {
                    _ = try await transport.listeningAddress
                    do {
                        try restrictSocket()
                    } catch {
                        logger.error("CNI socket not served", metadata: ["error": "\(error)"])
                        server.beginGracefulShutdown()
                        throw error
                    }
                    logger.info("CNI backend serving", metadata: ["address": "\(address)"])
                }
            }
        } onGracefulShutdown: {
            health.setAll(.notServing)
            server.beginGracefulShutdown()
        }
        if case .unix(let path) = address.kind { unlink(path) }
    }
}
