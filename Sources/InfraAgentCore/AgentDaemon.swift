import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraAPI
import InfraChannel
import InfraDaemon
import InfraPKI
import InterfacePool
import Logging
import Prometheus
import ServiceLifecycle

/// Wires the infra-agent process: the manager link, certificate watching, metrics, watchdog.
public struct AgentDaemon: Sendable {
    public let config: AgentConfig
    public let link: ManagerLink<HTTP2ClientTransport.Posix>
    let client: GRPCClient<HTTP2ClientTransport.Posix>
    let tlsStore: TLSMaterialStore?
    let stop: GracefulStop
    let logger: Logger
    /// The CNI backend and its server, when the config has a `cni` section.
    public let cniBackend: CNIBackendService<HTTP2ClientTransport.Posix>?
    let cniServer: CNIServer?

    public init(config: AgentConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        let security: ClientSecurity
        if config.insecure {
            logger.warning("INSECURE MODE: talking to the manager without TLS (insecure: true in the config)")
            tlsStore = nil
            security = .insecure
        } else {
            let store = try TLSMaterialStore(files: config.tls.files)
            try Self.checkIdentity(of: store, nodeName: config.nodeName)
            tlsStore = store
            security = .mutualTLS(store, serverRoles: [.manager], serverName: config.manager.serverName)
        }
        let transport = try ChannelClientTransport.make(address: config.manager.address, security: security, logger: logger)
        client = GRPCClient(transport: transport)
        stop = GracefulStop()
        let nodeName = config.nodeName
        let host = config.hostInterface
        let pendingResync = PendingResync()
        if let cni = config.cni, let poolConfig = config.interfacePool {
            let backend = CNIBackendService(
                pool: try InterfacePool(config: poolConfig, logger: logger), registry: try PodRegistry(path: cni.podStateFile),
                client: client, gatewayMAC: cni.gatewayMAC, mtu: cni.mtu,
                managerTimeout: .milliseconds(cni.managerTimeoutMilliseconds),
                disablesTXChecksumOffload: poolConfig.mode == .veth, pendingResync: pendingResync, logger: logger
            )
            cniBackend = backend
            cniServer = try CNIServer(address: cni.listen, backend: backend, stop: stop, logger: logger)
        } else {
            cniBackend = nil
            cniServer = nil
        }
        let backend = cniBackend
        // The agent is the source of its node's host interface and pods only: Services and
        // policies have no source here yet (no Services watcher, no Felix relay), so a Sync
        // must not empty what `infractl apply` gave the manager.
        link = ManagerLink(
            client: client, settings: .init(nodeName: nodeName, backoff: config.reconnect.backoff, syncScope: [.hostInterface, .pods]),
            stop: stop, logger: logger, pendingResync: pendingResync
        ) {
            // Until the pod, service and policy sources exist, the agent's view is its node
            // and host interface; a Sync with only these still removes stale state.
            let pods = await backend?.pods() ?? []
            return Infra_V1_SyncRequest.with { request in
                request.nodeName = nodeName
                request.pods = pods
                if let host {
                    request.hostInterface = .with {
                        $0.name = host.name
                        $0.macAddress = host.macAddress
                        $0.ipAddresses = host.addresses
                    }
                }
            }
        }
    }

    /// The certificate must name this node's agent: an agent started with another node's
    /// identity would be refused by the manager anyway, so say why at start-up instead.
    static func checkIdentity(of store: TLSMaterialStore, nodeName: String) throws {
        let identities = InfraIdentity.identities(in: store.current.leaf)
        guard identities.contains(where: { $0.role == .agent && $0.name == nodeName }) else {
            let found = identities.isEmpty ? "no identity" : identities.map(\.uri).joined(separator: ", ")
            throw ChannelError(
                .invalidConfiguration,
                "tls.certificateFile \(store.files.certificateFile) carries \(found), not the agent identity of node \(nodeName)"
            )
        }
    }

    public func services(metricsRegistry: PrometheusCollectorRegistry?) -> [any Service] {
        let tls = tlsStore.map { DaemonSupportServices.WatchedTLS(role: "client", store: $0, settings: config.tls) }
        return [ManagerLinkService(daemon: self)] + (cniServer.map { [CNIStartService(daemon: self, server: $0)] } ?? [])
            + DaemonSupportServices.make(tls: tls, metrics: config.metrics, registry: metricsRegistry, logger: logger)
    }

    /// Reconciles the pool against live namespaces, then serves the CNI API.
    struct CNIStartService: Service {
        let daemon: AgentDaemon
        let server: CNIServer

        func run() async throws {
            if let backend = daemon.cniBackend {
                try await backend.reconcilePool()
            }
            try await server.run()
        }
    }

    struct ManagerLinkService: Service {
        let daemon: AgentDaemon

        func run() async throws {
            try await withGracefulShutdownHandler {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { try await daemon.client.runConnections() }
                    group.addTask {
                        SystemdNotifier.ready(status: "connecting to manager at \(daemon.config.manager.address)")
                        await daemon.link.run()
                        daemon.client.beginGracefulShutdown()
                    }
                }
            } onGracefulShutdown: {
                SystemdNotifier.stopping()
                daemon.stop.stop()
            }
        }
    }
}
