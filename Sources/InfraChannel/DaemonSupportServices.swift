import InfraDaemon
import Logging
import Prometheus
import ServiceLifecycle

/// The services every InfraOffload daemon runs beside its main one: the systemd watchdog,
/// the certificate watcher (when TLS is on) and the metrics endpoint (when enabled).
public enum DaemonSupportServices {
    public struct WatchedTLS: Sendable {
        public let role: String
        public let store: TLSMaterialStore
        public let settings: TLSSettings

        public init(role: String, store: TLSMaterialStore, settings: TLSSettings) {
            self.role = role
            self.store = store
            self.settings = settings
        }
    }

    public static func make(
        tls: WatchedTLS?, metrics: MetricsSettings, registry: PrometheusCollectorRegistry?, logger: Logger
    ) -> [any Service] {
        var services: [any Service] = [WatchdogService()]
        if let tls {
            let watcher = CertificateWatcher(
                watched: [.init(role: tls.role, store: tls.store)],
                interval: .seconds(tls.settings.reloadIntervalSeconds), logger: logger
            )
            services.append(BackgroundTaskService(name: "certificate-watcher") { try await watcher.run() })
        }
        if let registry, metrics.enabled {
            services.append(MetricsEndpoint(host: metrics.host, port: metrics.port, registry: registry, logger: logger))
        }
        return services
    }
}
