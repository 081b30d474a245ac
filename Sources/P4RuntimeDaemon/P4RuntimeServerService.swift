import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraDaemon
import Logging
import ServiceLifecycle

/// Serves a P4Runtime target's gRPC server until a graceful shutdown (SIGTERM/SIGINT): then
/// systemd hears STOPPING=1, calls in flight finish and `run` returns. READY=1 once bound.
/// Shared by infra-p4-emulator and infra-p4-dpdk.
public struct P4RuntimeServerService: Service {
    let server: GRPCServer<HTTP2ServerTransport.Posix>
    let transport: HTTP2ServerTransport.Posix
    let deviceID: UInt64
    let secured: Bool
    let logger: Logger

    public init(server: GRPCServer<HTTP2ServerTransport.Posix>, transport: HTTP2ServerTransport.Posix, deviceID: UInt64, secured: Bool, logger: Logger) {
        self.server = server
        self.transport = transport
        self.deviceID = deviceID
        self.secured = secured
        self.logger = logger
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                group.addTask {
                    let address = try await transport.listeningAddress
                    logger.info("P4Runtime target listening on \(address) for device \(deviceID) (\(secured ? "mTLS 1.3" : "plaintext"))")
                    _ = SystemdNotifier.ready(status: "serving P4Runtime on \(address)")
                }
            }
        } onGracefulShutdown: {
            _ = SystemdNotifier.stopping()
            server.beginGracefulShutdown()
        }
    }
}
