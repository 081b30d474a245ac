/// Addresses travel in files (the manager's state file) as their canonical text, the same
/// form the API and the tools use, so a state file stays readable and diffable.
protocol TextCodable: Codable, CustomStringConvertible {
    init?(_ text: String)
    /// What the value is, for the error on bad text ("an IP address").
    static var textKind: String { get }
}

extension TextCodable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = Self(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\"\(text)\" is not \(Self.textKind)"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension IPAddress: TextCodable { static var textKind: String { "an IP address" } }
extension CIDR: TextCodable { static var textKind: String { "a CIDR" } }
extension MACAddress: TextCodable { static var textKind: String { "a MAC address" } }
