import Foundation

/// What `apply` will do, computed entirely in memory before anything is written.
///
/// Keys and certificates are already generated when the plan exists, so executing it only
/// moves bytes to disk; a bad input therefore fails before the first file changes.
public struct ApplyPlan: Sendable {
    public enum Outcome: Hashable, Sendable, CustomStringConvertible {
        case created
        case renewed(String)
        case reissued(String)
        /// Only the identity's copy of ca.crt was rewritten; the certificate stays.
        case updated(String)
        case unchanged

        public var description: String {
            switch self {
            case .created: "created"
            case .renewed(let reason): "renewed (\(reason))"
            case .reissued(let reason): "reissued (\(reason))"
            case .updated(let reason): "updated (\(reason))"
            case .unchanged: "unchanged"
            }
        }
    }

    public struct Entry: Hashable, Sendable {
        public let name: String
        public let outcome: Outcome
    }

    /// The CA first, then every identity in profile order.
    public let entries: [Entry]
    /// Everything the plan would write, for `--dry-run` listings.
    public let files: FileBatch

    /// One `name: outcome` line per entry, as `infra-pki apply` prints them.
    public var lines: [String] { entries.map { "\($0.name): \($0.outcome)" } }

    public var writesFiles: Bool { !files.isEmpty }

    /// Writes the planned files; see ``FileBatch/execute()``.
    public func execute() throws { try files.execute() }
}
