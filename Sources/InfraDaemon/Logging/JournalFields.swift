import CSystemd
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Builds and sends the `FIELD=value` strings of one journal entry.
///
/// Kept apart from the handler so the field building, the part with rules to get right, is a
/// pure function that tests can check without a journald.
public enum JournalFields {
    /// Fields this handler sets itself; metadata may not override them.
    static let reserved: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC",
        "LOGGER_LABEL", "ERROR",
    ]

    /// journald refuses longer field names.
    static let maximumNameLength = 64

    /// The fields for one entry, in sending order: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER,
    /// LOGGER_LABEL, CODE_FILE, CODE_LINE, CODE_FUNC, ERROR (when the event has one), then the
    /// metadata sorted by key.
    public static func make(event: LogEvent, metadata: Logger.Metadata, label: String, identifier: String) -> [String] {
        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(priority(for: event.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "LOGGER_LABEL=\(label)",
            "CODE_FILE=\(event.file)",
            "CODE_LINE=\(event.line)",
            "CODE_FUNC=\(event.function)",
        ]
        if let error = event.error { fields.append("ERROR=\(error)") }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            fields.append("\(fieldName(forMetadataKey: key))=\(value)")
        }
        return fields
    }

    /// syslog priorities (sd-daemon.h): swift-log has no "alert" or "emergency", and `trace`
    /// shares `debug`'s 7.
    public static func priority(for level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// A journal field name for a metadata key.
    ///
    /// journald accepts only `[A-Z0-9_]`, not starting with `_` (trusted fields journald adds
    /// itself) or a digit, at most 64 characters. So the key is uppercased and every other
    /// character becomes `_` (`peer.addr` → `PEER_ADDR`); leading underscores are dropped; a
    /// name that then starts with a digit or would replace one of the handler's own
    /// fields (`message` → `MESSAGE`) gets the prefix `META_`;
    /// an empty one becomes `META`.
    public static func fieldName(forMetadataKey key: String) -> String {
        var name = String(key.uppercased().unicodeScalars.map { scalar -> Character in
            let allowed = ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_"
            return allowed ? Character(scalar) : "_"
        })
        name = String(name.drop(while: { $0 == "_" }))
        if name.isEmpty { return "META" }
        if name.first!.isNumber || reserved.contains(name) { name = "META_" + name }
        return String(name.prefix(maximumNameLength))
    }

    /// Sends one entry. All fields go into one buffer so the iovecs point into memory that
    /// stays put for the whole call.
    @discardableResult
    static func send(_ fields: [String]) -> Int32 {
        var buffer: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = buffer.count
            buffer.append(contentsOf: field.utf8)
            ranges.append(start..<buffer.count)
        }
        return buffer.withUnsafeMutableBytes { bytes -> Int32 in
            var vectors = ranges.map { range in
                iovec(iov_base: bytes.baseAddress.map { $0 + range.lowerBound }, iov_len: range.count)
            }
            return sd_journal_sendv(&vectors, Int32(vectors.count))
        }
    }
}
