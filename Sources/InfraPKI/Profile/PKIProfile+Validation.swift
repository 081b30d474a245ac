import Foundation
import InfraNet

extension PKIProfile {
    /// Checks everything that can be checked without touching the disk, so that `apply`
    /// fails before writing anything.
    public func validate() throws {
        try SPIFFE.validateTrustDomain(trustDomain, field: "trustDomain")
        try NameRules.validateCommonName(ca.commonName, field: "ca.commonName")
        if let organization = ca.organization { try NameRules.validateCommonName(organization, field: "ca.organization") }
        try Self.checkLifetime(ca.lifetimeDays, field: "ca.lifetimeDays")
        try ca.nameConstraints?.validate(field: "ca.nameConstraints")
        try Self.checkLifetime(defaults.lifetimeDays, field: "defaults.lifetimeDays")
        guard defaults.renewWindowFraction > 0, defaults.renewWindowFraction < 1 else {
            throw PKIError(.invalidProfile, "defaults.renewWindowFraction: \(defaults.renewWindowFraction) must be between 0 and 1")
        }
        var seen = Set<String>()
        for (index, identity) in identities.enumerated() {
            let field = "identities[\(index)]"
            guard seen.insert(identity.name).inserted else {
                throw PKIError(.invalidProfile, "\(field).name: \"\(identity.name)\" is used by another identity")
            }
            try validate(identity, field: field)
        }
    }

    private func validate(_ identity: Identity, field: String) throws {
        // Names become directories next to "ca/", so keep them to one safe path component.
        guard NameRules.isHostLabel(identity.name), identity.name == identity.name.lowercased(), identity.name != "ca" else {
            throw PKIError(.invalidProfile, "\(field).name: \"\(identity.name)\" must be lower-case letters, digits and '-' (and not \"ca\")")
        }
        try checkPrincipal(identity, field: field)
        try infraIdentity(for: identity).validate(field: field)
        if let lifetime = identity.lifetimeDays { try Self.checkLifetime(lifetime, field: "\(field).lifetimeDays") }
        for name in identity.dns { try NameRules.validateDNSName(name, field: "\(field).dns") }
        let addresses = try Self.addresses(identity.ips, field: "\(field).ips")
        let usage = try self.usage(for: identity, field: field)
        if !usage.contains(identity.kind.requiredUsage) {
            throw PKIError(.invalidProfile, "\(field).usage: \(identity.kind.rawValue) needs \(identity.kind.requiredUsage)")
        }
        if let constraints = effectiveNameConstraints {
            do {
                try constraints.check(dnsNames: identity.dns, ipAddresses: addresses, uris: [infraIdentity(for: identity).uri])
            } catch let error as PKIError {
                throw PKIError(error.code, "\(field): \(error.message)")
            }
        }
    }

    private func checkPrincipal(_ identity: Identity, field: String) throws {
        switch identity.kind {
        case .agent:
            guard identity.node != nil else { throw PKIError(.invalidProfile, "\(field).node: an agent identity needs the node name") }
            guard identity.user == nil else { throw PKIError(.invalidProfile, "\(field).user: only operator identities have a user") }
        case .operator:
            guard identity.user != nil else { throw PKIError(.invalidProfile, "\(field).user: an operator identity needs the operator's name") }
            guard identity.node == nil else { throw PKIError(.invalidProfile, "\(field).node: only agent identities have a node") }
        case .managerServer, .p4rtClient, .infrap4d:
            if identity.node != nil { throw PKIError(.invalidProfile, "\(field).node: only agent identities have a node") }
            if identity.user != nil { throw PKIError(.invalidProfile, "\(field).user: only operator identities have a user") }
        }
    }

    private static func checkLifetime(_ days: Int, field: String) throws {
        guard days > 0 else { throw PKIError(.invalidProfile, "\(field): \(days) must be a positive number of days") }
    }

    static func addresses(_ texts: [String], field: String) throws -> [IPAddress] {
        try texts.map { text in
            guard let address = IPAddress(text) else {
                throw PKIError(.invalidAddress, "\(field): \"\(text)\" is not an IP address")
            }
            return address
        }
    }
}
