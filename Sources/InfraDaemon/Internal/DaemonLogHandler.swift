import Logging

/// What the journal and stderr handlers share: handler-level metadata and the merge order
/// swift-log documents (handler metadata, then the metadata provider, then the call's own).
protocol DaemonLogHandler: LogHandler {
    var metadata: Logger.Metadata { get set }
}

extension DaemonLogHandler {
    func effectiveMetadata(for event: LogEvent) -> Logger.Metadata {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        return merged
    }
}
