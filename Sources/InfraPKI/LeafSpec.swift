import InfraNet

/// What to put in a leaf certificate. The CA adds the fixed parts (basic constraints, key
/// usage, key identifiers); everything that differs between identities lives here.
public struct LeafSpec: Sendable {
    public var commonName: String
    public var organization: String?
    public var usage: ExtendedUsage
    public var dnsNames: [String]
    public var ipAddresses: [IPAddress]
    public var uris: [String]
    public var algorithm: KeyAlgorithm
    public var validity: ValidityWindow

    public init(
        commonName: String,
        organization: String? = nil,
        usage: ExtendedUsage = .serverAuth,
        dnsNames: [String] = [],
        ipAddresses: [IPAddress] = [],
        uris: [String] = [],
        algorithm: KeyAlgorithm = .ecdsaP256,
        validity: ValidityWindow = .days(365)
    ) {
        self.commonName = commonName
        self.organization = organization
        self.usage = usage
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.uris = uris
        self.algorithm = algorithm
        self.validity = validity
    }

    /// Throws the first problem found, naming the field and value.
    public func validate() throws {
        try NameRules.validateCommonName(commonName, field: "commonName")
        if let organization { try NameRules.validateCommonName(organization, field: "organization") }
        guard !usage.isEmpty else {
            throw PKIError(.invalidArgument, "usage: a leaf needs server-auth, client-auth or both")
        }
        for name in dnsNames { try NameRules.validateDNSName(name, field: "dnsNames") }
        for uri in uris { try NameRules.validateURI(uri, field: "uris") }
        try validity.validate(field: "validity")
    }
}
