import Foundation

extension PKIProfile {
    /// The CA's constraints as they will be written. Whenever any constraint is set, the trust
    /// domain is added as a permitted URI host: strict verifiers otherwise reject the SPIFFE
    /// URI SANs of every leaf.
    public var effectiveNameConstraints: NameConstraintsSpec? {
        guard var constraints = ca.nameConstraints, !constraints.isEmpty else { return nil }
        if constraints.uriDomains.isEmpty { constraints.uriDomains = [trustDomain] }
        return constraints
    }

    public func infraIdentity(for identity: Identity) -> InfraIdentity {
        InfraIdentity(trustDomain: trustDomain, role: identity.kind.role, name: identity.node ?? identity.user)
    }

    public func usage(for identity: Identity, field: String = "identity") throws -> ExtendedUsage {
        guard let names = identity.usage else { return identity.kind.requiredUsage }
        var usage: ExtendedUsage = []
        for name in names { usage.insert(try ExtendedUsage(name: name, field: "\(field).usage")) }
        return usage
    }

    public func algorithm(for identity: Identity) -> KeyAlgorithm { identity.algorithm ?? defaults.algorithm }

    public func lifetimeDays(for identity: Identity) -> Int { identity.lifetimeDays ?? defaults.lifetimeDays }

    /// What the identity's certificate should contain if issued at `now`.
    public func leafSpec(for identity: Identity, now: Date) throws -> LeafSpec {
        LeafSpec(
            commonName: identity.name,
            organization: ca.organization,
            usage: try usage(for: identity),
            dnsNames: identity.dns,
            ipAddresses: try Self.addresses(identity.ips, field: "ips"),
            uris: [infraIdentity(for: identity).uri],
            algorithm: algorithm(for: identity),
            validity: .days(lifetimeDays(for: identity), from: now)
        )
    }

    public func createCA(now: Date) throws -> CertificateAuthority {
        try CertificateAuthority.create(
            commonName: ca.commonName, organization: ca.organization, algorithm: ca.algorithm,
            validity: .days(ca.lifetimeDays, from: now), nameConstraints: effectiveNameConstraints
        )
    }
}
