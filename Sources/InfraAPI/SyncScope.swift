import Foundation

/// The kinds of objects one `Sync` replaces, sent by the agent in `SyncRequest.scope`. Agents
/// of the build before that field sent it as the `infra-sync-scope` request header (for
/// example `host-interface,pods`), which the manager still reads when the field is empty.
///
/// Why: a Sync replaces the manager's view with the agent's, so a kind the agent has no source
/// for (today Services and policies: the Services watcher and the Felix relay are not built,
/// and labs feed them with `infractl apply`) would be emptied by every reconnect. The agent
/// names what it is the source of; the manager leaves the other kinds alone. No scope means
/// every kind, which is what a Sync meant before scopes existed.
public struct SyncScope: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let hostInterface = SyncScope(rawValue: 1 << 0)
    public static let pods = SyncScope(rawValue: 1 << 1)
    public static let services = SyncScope(rawValue: 1 << 2)
    public static let policies = SyncScope(rawValue: 1 << 3)
    public static let endpoints = SyncScope(rawValue: 1 << 4)
    public static let all: SyncScope = [.hostInterface, .pods, .services, .policies, .endpoints]

    /// The request header that carries the scope.
    public static let headerName = "infra-sync-scope"

    static let names: [(kind: SyncScope, name: String)] = [
        (.hostInterface, "host-interface"), (.pods, "pods"), (.services, "services"),
        (.policies, "policies"), (.endpoints, "endpoints"),
    ]

    /// Parses a header value: kind names separated by commas. Nil for an unknown or repeated
    /// name, or an empty value.
    public init?(headerValue: String) {
        var scope: SyncScope = []
        for part in headerValue.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let kind = Self.names.first(where: { $0.name == name })?.kind, !scope.contains(kind) else { return nil }
            scope.insert(kind)
        }
        guard !scope.isEmpty else { return nil }
        self = scope
    }

    /// The header value: the kind names in a fixed order.
    public var headerValue: String {
        Self.names.filter { contains($0.kind) }.map(\.name).joined(separator: ",")
    }

    public var description: String { headerValue }

    /// The names a header may use, for error messages.
    public static var knownNames: String { names.map(\.name).joined(separator: ", ") }
}

extension SyncScope {
    /// Each kind with its `SyncRequest.scope` value, in wire order.
    static let wireKinds: [(kind: SyncScope, wire: Infra_V1_SyncKind)] = [
        (.hostInterface, .hostInterface), (.pods, .pods), (.services, .services),
        (.policies, .policies), (.endpoints, .endpoints),
    ]

    /// The scope as `SyncRequest.scope` lists it (what the agent sends).
    public var wire: [Infra_V1_SyncKind] {
        Self.wireKinds.filter { contains($0.kind) }.map(\.wire)
    }

    /// The kind a `SyncRequest.scope` entry names; nil for UNSPECIFIED and values this build
    /// does not know.
    public init?(wire: Infra_V1_SyncKind) {
        guard let kind = Self.wireKinds.first(where: { $0.wire == wire })?.kind else { return nil }
        self = kind
    }
}
