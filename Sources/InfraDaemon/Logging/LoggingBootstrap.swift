import Logging
import Synchronization

/// Installs the process-wide swift-log backend for a daemon.
public enum LoggingBootstrap {
    private static let installed = Mutex(false)

    /// Routes every `Logger` to `target` (``LogTarget/auto`` is resolved here) at `level`.
    ///
    /// `identifier` is the daemon's name (`infra-manager`); the journal stores it as
    /// `SYSLOG_IDENTIFIER`, so `journalctl -t infra-manager` finds the entries.
    ///
    /// swift-log allows one bootstrap per process; later calls here are ignored instead of
    /// crashing, which keeps tests and re-entrant `main`s safe. Returns the target in effect.
    @discardableResult
    public static func bootstrap(identifier: String, target: LogTarget, level: Logger.Level) -> LogTarget {
        let resolved = target.resolved()
        let first = installed.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return resolved }
        LoggingSystem.bootstrap { label in
            makeHandler(label: label, identifier: identifier, target: resolved, level: level)
        }
        return resolved
    }

    /// The handler `bootstrap` installs, for callers that build a `Logger` themselves
    /// (`Logger(label:factory:)`) without touching the global backend.
    public static func makeHandler(
        label: String,
        identifier: String,
        target: LogTarget,
        level: Logger.Level,
        metadataProvider: Logger.MetadataProvider? = nil
    ) -> any LogHandler {
        switch target.resolved() {
        case .journal:
            var handler = JournalLogHandler(label: label, identifier: identifier, metadataProvider: metadataProvider)
            handler.logLevel = level
            return handler
        case .stderr, .auto:
            var handler = StderrLogHandler(label: label, metadataProvider: metadataProvider)
            handler.logLevel = level
            return handler
        }
    }
}
