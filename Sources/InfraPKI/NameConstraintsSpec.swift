import InfraNet
import SwiftASN1
import X509

/// Names a CA may issue for, written into its NameConstraints extension.
///
/// RFC 5280 constrains each name type separately. URI constraints match only the URI's host,
/// so when SPIFFE URIs are issued the trust domain belongs in `uriDomains`; the profile adds
/// it automatically whenever any constraint is set.
public struct NameConstraintsSpec: Hashable, Sendable, Codable {
    /// Permitted DNS subtrees: "example.org" allows it and its subdomains, ".example.org" only subdomains.
    public var dnsSuffixes: [String]
    /// Permitted IP ranges in CIDR form, e.g. "10.10.0.0/24" or "::1/128".
    public var ipRanges: [String]
    /// Permitted URI hosts (for SPIFFE IDs: the trust domain).
    public var uriDomains: [String]

    public init(dnsSuffixes: [String] = [], ipRanges: [String] = [], uriDomains: [String] = []) {
        self.dnsSuffixes = dnsSuffixes
        self.ipRanges = ipRanges
        self.uriDomains = uriDomains
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case dnsSuffixes, ipRanges, uriDomains }

    /// Strict: an unknown key is an error, a missing list is empty.
    public init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            dnsSuffixes: try container.decodeIfPresent([String].self, forKey: .dnsSuffixes) ?? [],
            ipRanges: try container.decodeIfPresent([String].self, forKey: .ipRanges) ?? [],
            uriDomains: try container.decodeIfPresent([String].self, forKey: .uriDomains) ?? []
        )
    }

    public var isEmpty: Bool { dnsSuffixes.isEmpty && ipRanges.isEmpty && uriDomains.isEmpty }

    public func validate(field: String = "nameConstraints") throws {
        for suffix in dnsSuffixes { try NameRules.validateDNSConstraint(suffix, field: "\(field).dnsSuffixes") }
        for range in ipRanges { _ = try Self.parseRange(range, field: "\(field).ipRanges") }
        for domain in uriDomains { try NameRules.validateDNSConstraint(domain, field: "\(field).uriDomains") }
    }

    /// The extension value; ranges go out as network address followed by mask (RFC 5280 §4.2.1.10).
    func makeExtension() throws -> NameConstraints {
        let ranges = try ipRanges.map { range in
            ASN1OctetString(contentBytes: ArraySlice(try Self.parseRange(range, field: "ipRanges").addressAndMask))
        }
        return NameConstraints(permittedDNSDomains: dnsSuffixes, permittedIPRanges: ranges, permittedURIDomains: uriDomains)
    }

    static func parseRange(_ text: String, field: String) throws -> CIDR {
        guard let cidr = CIDR(text) else {
            throw PKIError(.invalidAddress, "\(field): \"\(text)\" is not a CIDR range")
        }
        return cidr
    }

    /// Reads the permitted subtrees back out of a CA certificate; nil when it has none.
    public init?(certificate: Certificate) {
        guard let constraints = try? certificate.extensions.nameConstraints else { return nil }
        self.init(
            dnsSuffixes: Array(constraints.permittedDNSDomains),
            ipRanges: constraints.permittedIPRanges.compactMap(Self.cidrText),
            uriDomains: Array(constraints.permittedURIDomains)
        )
    }

    private static func cidrText(_ octets: ASN1OctetString) -> String? {
        let bytes = Array(octets.bytes)
        guard bytes.count == 8 || bytes.count == 32, let address = IPAddress(bytes: Array(bytes[..<(bytes.count / 2)])) else {
            return nil
        }
        let prefix = bytes[(bytes.count / 2)...].reduce(0) { $0 + $1.nonzeroBitCount }
        return "\(address)/\(prefix)"
    }
}
