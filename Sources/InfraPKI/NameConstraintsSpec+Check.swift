import InfraNet

extension NameConstraintsSpec {
    /// Throws for the first name outside the permitted subtrees. Name types with no
    /// constraint are unrestricted, as in RFC 5280.
    public func check(dnsNames: [String], ipAddresses: [IPAddress], uris: [String]) throws {
        if !dnsSuffixes.isEmpty {
            for name in dnsNames where !dnsSuffixes.contains(where: { Self.dns(name, within: $0) }) {
                throw PKIError(.outsideNameConstraints, "dnsNames: \"\(name)\" is outside the CA's permitted DNS names \(dnsSuffixes)")
            }
        }
        if !ipRanges.isEmpty {
            let ranges = ipRanges.compactMap(CIDR.init)
            for address in ipAddresses where !ranges.contains(where: { $0.contains(address) }) {
                throw PKIError(.outsideNameConstraints, "ipAddresses: \(address) is outside the CA's permitted ranges \(ipRanges)")
            }
        }
        if !uriDomains.isEmpty {
            for uri in uris {
                guard let host = Self.host(ofURI: uri), uriDomains.contains(where: { Self.uriHost(host, within: $0) }) else {
                    throw PKIError(.outsideNameConstraints, "uris: \"\(uri)\" is outside the CA's permitted URI domains \(uriDomains)")
                }
            }
        }
    }

    /// DNS subtree match: the constraint itself or any name below it; a leading "." means below only.
    static func dns(_ name: String, within constraint: String) -> Bool {
        let name = name.lowercased(), constraint = constraint.lowercased()
        if constraint.hasPrefix(".") { return name.hasSuffix(constraint) }
        return name == constraint || name.hasSuffix("." + constraint)
    }

    /// URI host match (RFC 5280): a constraint without a leading "." names exactly one host.
    static func uriHost(_ host: String, within constraint: String) -> Bool {
        let host = host.lowercased(), constraint = constraint.lowercased()
        return constraint.hasPrefix(".") ? host.hasSuffix(constraint) : host == constraint
    }

    static func host(ofURI uri: String) -> String? {
        guard let range = uri.range(of: "://") else { return nil }
        let authority = uri[range.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@").last.map(String.init) ?? ""
        let host = hostPort.split(separator: ":").first.map(String.init) ?? ""
        return host.isEmpty ? nil : host
    }
}
