import Foundation

/// A deployment profile: one CA and the identities it issues (see pki/profile.yaml).
public struct PKIProfile: Hashable, Sendable {
    public var trustDomain: String
    public var ca: CASettings
    public var defaults: Defaults
    public var identities: [Identity]

    public init(trustDomain: String, ca: CASettings = CASettings(), defaults: Defaults = Defaults(), identities: [Identity]) {
        self.trustDomain = trustDomain
        self.ca = ca
        self.defaults = defaults
        self.identities = identities
    }

    public struct CASettings: Hashable, Sendable {
        public var commonName: String
        public var organization: String?
        public var algorithm: KeyAlgorithm
        public var lifetimeDays: Int
        public var nameConstraints: NameConstraintsSpec?

        public init(
            commonName: String = "InfraOffload CA", organization: String? = "InfraOffload",
            algorithm: KeyAlgorithm = .ecdsaP256, lifetimeDays: Int = 3650, nameConstraints: NameConstraintsSpec? = nil
        ) {
            self.commonName = commonName
            self.organization = organization
            self.algorithm = algorithm
            self.lifetimeDays = lifetimeDays
            self.nameConstraints = nameConstraints
        }
    }

    public struct Defaults: Hashable, Sendable {
        public var algorithm: KeyAlgorithm
        public var lifetimeDays: Int
        /// Renew once a certificate is in the last this-much of its lifetime.
        public var renewWindowFraction: Double

        public init(algorithm: KeyAlgorithm = .ecdsaP256, lifetimeDays: Int = 365, renewWindowFraction: Double = 1.0 / 3.0) {
            self.algorithm = algorithm
            self.lifetimeDays = lifetimeDays
            self.renewWindowFraction = renewWindowFraction
        }
    }

    public struct Identity: Hashable, Sendable {
        /// Unique; also the output directory name.
        public var name: String
        public var kind: IdentityKind
        /// The node name, for `agent`.
        public var node: String?
        /// The operator's name, for `operator`.
        public var user: String?
        public var dns: [String]
        public var ips: [String]
        public var lifetimeDays: Int?
        public var algorithm: KeyAlgorithm?
        /// Overrides the kind's EKU, e.g. both usages for a component that also dials out.
        public var usage: [String]?

        public init(
            name: String, kind: IdentityKind, node: String? = nil, user: String? = nil, dns: [String] = [],
            ips: [String] = [], lifetimeDays: Int? = nil, algorithm: KeyAlgorithm? = nil, usage: [String]? = nil
        ) {
            self.name = name
            self.kind = kind
            self.node = node
            self.user = user
            self.dns = dns
            self.ips = ips
            self.lifetimeDays = lifetimeDays
            self.algorithm = algorithm
            self.usage = usage
        }
    }

    /// Reads and validates a profile file.
    public static func load(contentsOf url: URL) throws -> PKIProfile {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw PKIError(.fileSystem, "profile \(url.path): cannot read: \(error.localizedDescription)")
        }
        return try PKIProfile(yaml: text)
    }

    public func identity(named name: String) throws -> Identity {
        guard let identity = identities.first(where: { $0.name == name }) else {
            let known = identities.map(\.name).joined(separator: ", ")
            throw PKIError(.invalidArgument, "unknown identity \"\(name)\" (profile has: \(known))")
        }
        return identity
    }
}
