import Logging
import ServiceLifecycle

/// Pings systemd's watchdog (`WATCHDOG=1`) every `interval` until graceful shutdown.
///
/// With no watchdog configured it only waits for shutdown: a service that returned early would
/// make the ServiceGroup stop the daemon.
public struct WatchdogService: Service {
    /// The ping period; nil disables pinging.
    public let interval: Duration?
    private let logger: Logger

    /// Uses ``SystemdNotifier/watchdogInterval()`` unless `interval` is given.
    public init(interval: Duration? = SystemdNotifier.watchdogInterval(), logger: Logger = Logger(label: "infra.watchdog")) {
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        guard let interval else {
            logger.debug("no systemd watchdog configured")
            try? await gracefulShutdown()
            return
        }
        logger.debug("pinging systemd watchdog", metadata: ["interval": "\(interval)"])
        // The sleep is cancelled by graceful shutdown (or group cancellation); either ends the loop.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                SystemdNotifier.watchdogPing()
                try await Task.sleep(for: interval)
            }
        }
    }
}
