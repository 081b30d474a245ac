import Yams

extension PKIProfile {
    /// Parses YAML, rejecting unknown keys, then validates the result.
    public init(yaml: String) throws {
        do {
            self = try YAMLDecoder().decode(PKIProfile.self, from: yaml)
        } catch let error as PKIError {
            throw error
        } catch let error as DecodingError {
            throw StrictDecoding.describe(error)
        } catch {
            throw PKIError(.invalidProfile, "profile: not valid YAML: \(error)")
        }
        try validate()
    }
}

extension PKIProfile: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case trustDomain, ca, defaults, identities }

    public init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            trustDomain: try container.decode(String.self, forKey: .trustDomain),
            ca: try container.decodeIfPresent(CASettings.self, forKey: .ca) ?? CASettings(),
            defaults: try container.decodeIfPresent(Defaults.self, forKey: .defaults) ?? Defaults(),
            identities: try container.decodeIfPresent([Identity].self, forKey: .identities) ?? []
        )
    }
}

extension PKIProfile.CASettings: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case commonName, organization, algorithm, lifetimeDays, nameConstraints }

    public init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let fallback = Self()
        self.init(
            commonName: try container.decodeIfPresent(String.self, forKey: .commonName) ?? fallback.commonName,
            organization: try container.decodeIfPresent(String.self, forKey: .organization) ?? fallback.organization,
            algorithm: try container.decodeEnum(KeyAlgorithm.self, forKey: .algorithm) ?? fallback.algorithm,
            lifetimeDays: try container.decodeIfPresent(Int.self, forKey: .lifetimeDays) ?? fallback.lifetimeDays,
            nameConstraints: try container.decodeIfPresent(NameConstraintsSpec.self, forKey: .nameConstraints)
        )
    }
}

extension PKIProfile.Defaults: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case algorithm, lifetimeDays, renewWindowFraction }

    public init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let fallback = Self()
        self.init(
            algorithm: try container.decodeEnum(KeyAlgorithm.self, forKey: .algorithm) ?? fallback.algorithm,
            lifetimeDays: try container.decodeIfPresent(Int.self, forKey: .lifetimeDays) ?? fallback.lifetimeDays,
            renewWindowFraction: try container.decodeIfPresent(Double.self, forKey: .renewWindowFraction)
                ?? fallback.renewWindowFraction
        )
    }
}

extension PKIProfile.Identity: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case name, kind, node, user, dns, ips, lifetimeDays, algorithm, usage }

    public init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard let kind = try container.decodeEnum(IdentityKind.self, forKey: .kind) else {
            throw PKIError(.invalidProfile, "\(StrictDecoding.path(decoder.codingPath + [CodingKeys.kind])): required key is missing")
        }
        self.init(
            name: try container.decode(String.self, forKey: .name),
            kind: kind,
            node: try container.decodeIfPresent(String.self, forKey: .node),
            user: try container.decodeIfPresent(String.self, forKey: .user),
            dns: try container.decodeIfPresent([String].self, forKey: .dns) ?? [],
            ips: try container.decodeIfPresent([String].self, forKey: .ips) ?? [],
            lifetimeDays: try container.decodeIfPresent(Int.self, forKey: .lifetimeDays),
            algorithm: try container.decodeEnum(KeyAlgorithm.self, forKey: .algorithm),
            usage: try container.decodeIfPresent([String].self, forKey: .usage)
        )
    }
}
