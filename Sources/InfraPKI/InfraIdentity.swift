import X509

/// Identity of a system component, carried as a URI SAN: spiffe://<trustDomain>/<role>[/<name>]
///
/// Peers authorise on this rather than on the common name, which stays free-form.
public struct InfraIdentity: Hashable, Sendable, CustomStringConvertible {
    public enum Role: String, Sendable, CaseIterable {
        case manager
        case agent
        case p4rtClient = "p4rt-client"
        case infrap4d
        case `operator`
    }

    public let trustDomain: String
    public let role: Role
    /// The node name for an agent, the operator's name for an operator; nil otherwise.
    public let name: String?

    public init(trustDomain: String, role: Role, name: String? = nil) {
        self.trustDomain = trustDomain
        self.role = role
        self.name = name
    }

    public var uri: String {
        var uri = "\(SPIFFE.prefix)\(trustDomain)/\(role.rawValue)"
        if let name { uri += "/\(name)" }
        return uri
    }

    public var description: String { uri }

    /// Parses a URI this type produced; nil for any other URI, including valid SPIFFE IDs
    /// whose path is not one of our roles.
    public init?(uri: String) {
        guard (try? SPIFFE.validate(uri, field: "uri")) != nil,
              let (trustDomain, segments) = SPIFFE.split(uri),
              (1...2).contains(segments.count),
              let role = Role(rawValue: segments[0]) else { return nil }
        self.init(trustDomain: trustDomain, role: role, name: segments.count == 2 ? segments[1] : nil)
    }

    /// Throws unless the identity would produce a valid SPIFFE ID.
    public func validate(field: String = "identity") throws {
        try SPIFFE.validateTrustDomain(trustDomain, field: field)
        if let name, !SPIFFE.isPathSegment(name) {
            throw PKIError(.invalidName, "\(field): name \"\(name)\" may only contain letters, digits, '.', '-' and '_'")
        }
    }

    /// Every InfraIdentity among the certificate's URI SANs, in SAN order.
    public static func identities(in certificate: Certificate) -> [InfraIdentity] {
        guard let sans = try? certificate.extensions.subjectAlternativeNames else { return [] }
        return sans.compactMap { name in
            guard case .uniformResourceIdentifier(let uri) = name else { return nil }
            return InfraIdentity(uri: uri)
        }
    }
}
