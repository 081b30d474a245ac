import GRPCCore
import InfraPKI

/// Who may call what, decided by the URI identity in the caller's client certificate.
///
/// Each rule names an identity, exactly or as a prefix ending in `*`, and grants read-only or
/// read-write access. Read-only callers reach only the methods listed as reads (Status and
/// health); everything else changes dataplane state and needs read-write. The first
/// matching rule wins; no matching rule means no access.
public struct AccessPolicy: Sendable, Hashable {
    public enum Access: String, Sendable, Codable, Hashable, CaseIterable {
        case readOnly = "read-only"
        case readWrite = "read-write"
    }

    public struct Rule: Sendable, Hashable, Codable {
        public var identity: String
        public var access: Access

        public init(identity: String, access: Access) {
            self.identity = identity
            self.access = access
        }

        func matches(_ uri: String) -> Bool {
            if identity.hasSuffix("*") {
                return uri.hasPrefix(identity.dropLast())
            }
            return uri == identity
        }
    }

    public var rules: [Rule]
    /// Full method names ("package.Service/Method") that read-only callers may use.
    public var readMethods: Set<String>

    public init(rules: [Rule], readMethods: Set<String>) {
        self.rules = rules
        self.readMethods = readMethods
    }

    /// The access granted to a caller presenting these identities, if any.
    public func access(for identities: [String]) -> Access? {
        for rule in rules {
            if identities.contains(where: rule.matches) { return rule.access }
        }
        return nil
    }

    /// Throws `permissionDenied` unless the caller may invoke the method.
    public func authorize(identities: [String], method: MethodDescriptor) throws {
        let name = method.fullyQualifiedMethod
        let shown = identities.isEmpty ? "<no identity>" : identities.joined(separator: ",")
        guard let access = access(for: identities) else {
            throw RPCError(code: .permissionDenied, message: "identity \(shown) is not on the allow-list")
        }
        if access == .readOnly && !readMethods.contains(name) {
            throw RPCError(code: .permissionDenied, message: "identity \(shown) has read-only access and may not call \(name)")
        }
    }
}
