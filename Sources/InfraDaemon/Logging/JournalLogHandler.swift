import CSystemd
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes structured entries to journald with `sd_journal_sendv`.
///
/// Each metadata key becomes its own journal field (`peer` → `PEER=…`), so
/// `journalctl PEER=10.0.0.7` filters on it. Metadata is stored as given: callers must not put
/// secrets (keys, tokens, config values marked secret) into it.
///
/// Without a journald socket sd_journal_sendv succeeds and drops the entry, so use
/// ``LogTarget/auto`` unless the daemon always runs under systemd.
public struct JournalLogHandler: DaemonLogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    /// The `Logger` label, sent as `LOGGER_LABEL` (the subsystem inside the daemon).
    public let label: String
    /// Sent as `SYSLOG_IDENTIFIER` (the daemon's name).
    public let identifier: String

    public init(label: String, identifier: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.identifier = identifier
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let fields = JournalFields.make(
            event: event, metadata: effectiveMetadata(for: event), label: label, identifier: identifier)
        JournalFields.send(fields)
    }
}
