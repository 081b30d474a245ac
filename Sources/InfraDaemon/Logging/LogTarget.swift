#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a daemon's logs go; the `logging.target` config setting.
public enum LogTarget: String, Codable, Sendable, CaseIterable {
    /// The journal when systemd connected our stderr to it, else stderr.
    case auto
    /// One text line per entry on standard error.
    case stderr
    /// Structured entries to journald with sd_journal_sendv.
    case journal

    /// `auto` made concrete: `.journal` when `JOURNAL_STREAM` names the device and inode of
    /// standard error, which is how systemd tells a service its stderr is the journal
    /// (systemd.exec(5)). A redirected stderr (a pipe to a file, a terminal) stays `.stderr`,
    /// even if the variable was inherited from a parent service.
    public func resolved(environment: [String: String]? = nil) -> LogTarget {
        guard self == .auto else { return self }
        let value = environment.map { $0["JOURNAL_STREAM"] } ?? getenv("JOURNAL_STREAM").map { String(cString: $0) }
        guard let value else { return .stderr }
        return Self.journalStream(value, matchesDescriptor: STDERR_FILENO) ? .journal : .stderr
    }

    /// True when `value` ("DEVICE:INODE", decimal) names the file open on `descriptor`.
    static func journalStream(_ value: String, matchesDescriptor descriptor: Int32) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}
