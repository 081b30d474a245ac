extension Decoder {
    /// A keyed container that first rejects every key not among `Key.allCases`.
    ///
    /// Synthesised `Decodable` ignores unknown keys, so a misspelt optional setting silently
    /// falls back to its default. Config structs call this at the top of `init(from:)`:
    ///
    ///     let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    ///     listenAddress = try c.decode(String.self, forKey: .listenAddress, default: "127.0.0.1:9000")
    ///
    /// Throws ``ConfigError`` with code `.unknownKey` whose `keyPath` names the key in full
    /// (`tls.listenAdress`), with a suggestion when a known key is close.
    public func strictContainer<Key: CodingKey & CaseIterable>(
        keyedBy type: Key.Type,
        file: String = #fileID,
        line: Int = #line
    ) throws -> KeyedDecodingContainer<Key> {
        let everything = try container(keyedBy: AnyCodingKey.self)
        let known = Key.allCases.map(\.stringValue)
        let knownSet = Set(known)
        if let unknown = everything.allKeys.first(where: { !knownSet.contains($0.stringValue) }) {
            throw ConfigError.unknownKey(
                keyPath: ConfigKeyPath.render(codingPath + [unknown]),
                suggestion: KeySuggestion.closest(to: unknown.stringValue, among: known),
                file: file, line: line)
        }
        return try container(keyedBy: type)
    }

    /// The key path of the value this decoder is decoding (`authorization.rules[1]`), for
    /// error messages from custom `init(from:)` code.
    public var configKeyPath: String { ConfigKeyPath.render(codingPath) }
}
