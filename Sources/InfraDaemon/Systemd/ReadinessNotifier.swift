import Logging
import ServiceLifecycle

/// Sends `READY=1` once the daemon is ready and `STOPPING=1` when graceful shutdown begins.
///
/// Readiness comes from ``markReady()``, from the `waitUntilReady` closure (for example one that
/// awaits every listener's bound address), or from both: READY=1 is sent after all have
/// happened. Run it in the daemon's ServiceGroup next to the listeners.
public struct ReadinessNotifier: Service {
    private let signal = OneShot<Void>()
    private let status: String?
    private let waitUntilReady: (@Sendable () async throws -> Void)?
    private let logger: Logger

    /// - Parameters:
    ///   - status: sent as `STATUS=` together with `READY=1`.
    ///   - waitUntilReady: awaited before READY=1, when given. If it throws, READY=1 is not sent
    ///     (the failing listener's own service is expected to stop the group).
    ///   - manual: when true, ``markReady()`` must also be called before READY=1 is sent.
    public init(
        status: String? = nil,
        logger: Logger = Logger(label: "infra.readiness"),
        manual: Bool = false,
        waitUntilReady: (@Sendable () async throws -> Void)? = nil
    ) {
        self.status = status
        self.logger = logger
        self.waitUntilReady = waitUntilReady
        if !manual { signal.complete(.success(())) }
    }

    /// Reports readiness; only meaningful with `manual: true`. Safe to call more than once.
    public func markReady() {
        signal.complete(.success(()))
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { [signal, waitUntilReady] in
                try await signal.value()
                try await waitUntilReady?()
            }
            if !Task.isShuttingDownGracefully, !Task.isCancelled {
                SystemdNotifier.ready(status: status)
                logger.info("daemon ready", metadata: status.map { ["status": "\($0)"] } ?? [:])
            }
        } catch is CancellationError {
            // Shutdown came before readiness; fall through to STOPPING=1.
        } catch {
            logger.error("daemon did not become ready", metadata: ["error": "\(error)"])
        }
        try? await gracefulShutdown()
        SystemdNotifier.stopping()
        logger.info("graceful shutdown started")
    }
}
