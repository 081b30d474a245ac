extension KeyedDecodingContainer {
    /// The value for `key`, or `defaultValue` when the key is absent or null.
    ///
    /// A null counts as absent so that `tls:` with nothing under it means "all TLS defaults".
    public func decode<T: Decodable>(
        _ type: T.Type,
        forKey key: Key,
        default defaultValue: @autoclosure () -> T
    ) throws -> T {
        try decodeIfPresent(type, forKey: key) ?? defaultValue()
    }

    /// The enum case for `key`, or `defaultValue`; an unknown case names every allowed one
    /// (`must be one of: auto, stderr, journal`) rather than Swift's generic message.
    ///
    /// (No `file`/`line` parameters here: defaulted extra parameters would make Swift prefer
    /// the plain generic overload above, and the choices would be lost.)
    public func decode<T: Decodable & RawRepresentable & CaseIterable>(
        _ type: T.Type,
        forKey key: Key,
        default defaultValue: @autoclosure () -> T
    ) throws -> T where T.RawValue == String {
        guard let raw = try decodeIfPresent(String.self, forKey: key) else { return defaultValue() }
        guard let value = T(rawValue: raw) else {
            let choices = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError.invalidValue(
                keyPath: keyPath(for: key), value: raw, reason: "must be one of: \(choices)")
        }
        return value
    }

    /// The full key path of `key` in this container (`tls.reloadIntervalSeconds`).
    public func keyPath(for key: Key) -> String {
        ConfigKeyPath.render(codingPath + [key])
    }

    /// The key path of this container itself; empty at the top level.
    public var configKeyPath: String { ConfigKeyPath.render(codingPath) }

    /// An `.invalidValue` error for `key`, for checks right after decoding:
    ///
    ///     guard port > 0 else { throw c.invalidValue(port, forKey: .port, reason: "must be positive") }
    public func invalidValue(
        _ value: some Any,
        forKey key: Key,
        reason: String,
        file: String = #fileID,
        line: Int = #line
    ) -> ConfigError {
        ConfigError.invalidValue(
            keyPath: keyPath(for: key), value: String(describing: value), reason: reason, file: file, line: line)
    }
}
