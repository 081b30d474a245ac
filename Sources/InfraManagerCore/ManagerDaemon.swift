import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraAPI
import InfraChannel
import InfraDaemon
import Logging
import Prometheus
import ServiceLifecycle

/// Wires the infra-manager process together from its configuration.
///
/// The result is a list of Services for one ServiceGroup: the gRPC server, the certificate
/// watcher, the metrics endpoint and the systemd watchdog. SIGTERM starts a graceful
/// shutdown: health turns NOT_SERVING, systemd hears STOPPING=1, open Attach streams end, and
/// the server finishes the calls in flight before the process exits.
public struct ManagerDaemon: Sendable {
    public let config: ManagerConfig
    public let service: ManagerService
    public let health: HealthService
    public let tlsStore: TLSMaterialStore?
    /// The P4Runtime side, when the config has a `dataplane` section.
    public let dataplane: DataplaneProgrammer?
    let dataplaneServices: [any Service]
    let server: GRPCServer<HTTP2ServerTransport.Posix>
    let transport: HTTP2ServerTransport.Posix
    let stop: GracefulStop
    let logger: Logger

    public init(config: ManagerConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        let stop = GracefulStop()
        self.stop = stop
        let address = try ChannelAddress(parsing: config.listen)
        let security: ServerSecurity
        if config.insecure {
            logger.warning("INSECURE MODE: serving infra.v1 without TLS or client authentication (insecure: true in the config)")
            tlsStore = nil
            security = .insecure
        } else {
            let store = try TLSMaterialStore(files: config.tls.files)
            tlsStore = store
            security = .mutualTLS(store)
        }
        transport = try ChannelServerTransport.make(address: address, security: security, logger: logger)
        let store: DesiredStateStore
        if let dataplaneConfig = config.dataplane {
            let wiring = try DataplaneWiring(config: dataplaneConfig, logger: logger)
            dataplane = wiring.programmer
            store = DesiredStateStore(dataplane: wiring.programmer)
            dataplaneServices = wiring.services(store: store)
        } else {
            dataplane = nil
            store = DesiredStateStore()
            dataplaneServices = []
        }
        service = ManagerService(
            settings: .init(nodeName: config.nodeName, heartbeat: .seconds(config.heartbeatSeconds), authenticated: !config.insecure),
            store: store, agents: AgentRegistry(),
            statusSource: StatusSource(nodeName: config.nodeName, serverTLS: tlsStore, dataplane: dataplane, target: config.dataplane.map { ($0.target, $0.deviceID) }),
            stop: stop, logger: logger
        )
        health = HealthService(services: ["infra.v1.InfraManager"], stop: stop)
        server = GRPCServer(
            transport: transport,
            services: [service, health],
            interceptors: [
                RPCMetricsInterceptor(),
                AuthorizationInterceptor(policy: config.insecure ? nil : config.accessPolicy, logger: logger),
            ]
        )
    }

    /// The address the server bound, once it is listening (useful with port 0).
    public func listeningAddress() async throws -> String {
        String(describing: try await transport.listeningAddress)
    }

    /// The TCP port the server bound, once it is listening.
    public func listeningPort() async throws -> Int {
        let address = try await transport.listeningAddress
        if let port = address.ipv4?.port ?? address.ipv6?.port { return port }
        throw ChannelError(.invalidAddress, "the manager listens on \(address), which has no TCP port")
    }

    /// The services of the process's ServiceGroup.
    public func services(metricsRegistry: PrometheusCollectorRegistry?) -> [any Service] {
        let tls = tlsStore.map { DaemonSupportServices.WatchedTLS(role: "server", store: $0, settings: config.tls) }
        return [GRPCServerService(server: server, daemon: self)] + dataplaneServices
            + DaemonSupportServices.make(tls: tls, metrics: config.metrics, registry: metricsRegistry, logger: logger)
    }

    /// Called by the server service once the listener is bound.
    func didStartListening() async {
        let address = (try? await listeningAddress()) ?? config.listen
        health.setAll(.serving)
        logger.info("infra-manager serving", metadata: [
            "address": "\(address)", "node": "\(config.nodeName)", "tls": "\(config.insecure ? "off" : "mTLS 1.3")",
        ])
        SystemdNotifier.ready(status: "serving infra.v1 on \(address)")
    }

    func willStop() {
        SystemdNotifier.stopping()
        health.setAll(.notServing)
        stop.stop()
    }
}

/// Runs the gRPC server as a Service: serve until graceful shutdown, then drain.
struct GRPCServerService: Service {
    let server: GRPCServer<HTTP2ServerTransport.Posix>
    let daemon: ManagerDaemon

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                group.addTask {
                    _ = try await daemon.transport.listeningAddress
                    await daemon.didStartListening()
                }
            }
        } onGracefulShutdown: {
            daemon.willStop()
            server.beginGracefulShutdown()
        }
    }
}
