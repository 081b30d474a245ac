import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A swift-log handler that writes one line per entry to standard error:
///
///     2026-11-25T10:12:03.120Z info infra.manager: listening address=127.0.0.1:9000 tls=true
///
/// Timestamps are UTC so lines from the host and the IPU compare directly. Newlines inside the
/// message or values are escaped, so an entry never spans lines and log shippers keep it whole.
public struct StderrLogHandler: DaemonLogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var metadata = effectiveMetadata(for: event)
        if let error = event.error { metadata["error"] = "\(error)" }
        let line = Self.format(timestamp: Self.now(), level: event.level, label: label,
                               message: event.message.description, metadata: metadata)
        // One write(2) per line: small writes to a pipe are atomic, so concurrent loggers
        // do not interleave within a line.
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(STDERR_FILENO, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    /// The line for one entry, without the trailing newline: timestamp, level, label, message,
    /// then `key=value` pairs sorted by key. Values with spaces, quotes or `=` are quoted.
    public static func format(
        timestamp: String, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata
    ) -> String {
        var line = "\(timestamp) \(level) \(label): \(escaped(message))"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(escaped(key))=\(quotedIfNeeded(escaped(value.description)))"
        }
        return line
    }

    private static func escaped(_ text: String) -> String {
        guard text.contains(where: { $0.isNewline || $0 == "\t" }) else { return text }
        var out = ""
        for character in text {
            switch character {
            case "\n", "\r\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.append(character)
            }
        }
        return out
    }

    private static func quotedIfNeeded(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) else { return value }
        var quoted = "\""
        for character in value {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }

    /// RFC 3339 UTC with milliseconds, without Foundation's formatters (not cheap per line).
    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let date = "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))"
        let time = "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2))"
        return "\(date)T\(time).\(pad(spec.tv_nsec / 1_000_000, 3))Z"
    }
}
