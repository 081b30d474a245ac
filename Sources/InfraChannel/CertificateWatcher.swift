import Foundation
import Logging
import Metrics

/// Polls TLS files for rotations and publishes how long each loaded certificate has left.
///
/// Polling (rather than inotify) survives every way a file can be replaced, including the
/// symlink swap Kubernetes uses for mounted Secrets, at the cost of up to one interval of
/// delay; rotations happen days ahead of expiry, so seconds do not matter.
public struct CertificateWatcher: Sendable {
    public struct Watched: Sendable {
        public let role: String
        public let store: TLSMaterialStore

        public init(role: String, store: TLSMaterialStore) {
            self.role = role
            self.store = store
        }
    }

    let watched: [Watched]
    let interval: Duration
    let logger: Logger

    public init(watched: [Watched], interval: Duration, logger: Logger) {
        self.watched = watched
        self.interval = interval
        self.logger = logger
    }

    /// Checks every store once: reloads what changed and refreshes the expiry gauges.
    public func checkOnce(now: Date = Date()) {
        for item in watched {
            switch item.store.reloadIfChanged() {
            case .unchanged:
                break
            case .reloaded:
                Counter(label: "infra_tls_reloads_total", dimensions: [("role", item.role), ("result", "reloaded")]).increment()
                logger.notice("reloaded TLS material", metadata: [
                    "role": "\(item.role)", "certificate": "\(item.store.files.certificateFile)",
                    "not_after": "\(item.store.current.leaf.notValidAfter)",
                ])
            case .rejected(let reason):
                Counter(label: "infra_tls_reloads_total", dimensions: [("role", item.role), ("result", "rejected")]).increment()
                logger.error("refused new TLS material; keeping the current one", metadata: [
                    "role": "\(item.role)", "reason": "\(reason)",
                ])
            }
            let remaining = item.store.current.leaf.notValidAfter.timeIntervalSince(now)
            Gauge(label: "infra_certificate_expiry_seconds", dimensions: [("role", item.role)]).record(remaining)
        }
    }

    /// Runs until cancelled.
    public func run() async throws {
        while true {
            checkOnce()
            try await Task.sleep(for: interval)
        }
    }
}
