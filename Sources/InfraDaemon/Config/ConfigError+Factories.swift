extension ConfigError {
    /// A value that parsed but is not acceptable; for `validate()` functions and custom
    /// `init(from:)` checks.
    ///
    ///     throw ConfigError.invalidValue(keyPath: c.keyPath(for: .port), value: String(port),
    ///                                    reason: "must be between 1 and 65535")
    public static func invalidValue(
        keyPath: String,
        value: String?,
        reason: String,
        file: String = #fileID,
        line: Int = #line
    ) -> ConfigError {
        let shown = value.map { "invalid value \(ConfigValueText.quoted($0))" } ?? "invalid value"
        return ConfigError(
            code: .invalidValue, keyPath: keyPath, value: value, message: "\(shown): \(reason)",
            file: file, line: line)
    }

    /// A key the config type does not accept. `keyPath` names the key itself.
    public static func unknownKey(
        keyPath: String,
        suggestion: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> ConfigError {
        let key = ConfigKeyPath.lastComponent(of: keyPath)
        var message = "unknown key \(ConfigValueText.quoted(key))"
        if let suggestion { message += " (did you mean \(ConfigValueText.quoted(suggestion))?)" }
        return ConfigError(code: .unknownKey, keyPath: keyPath, message: message, file: file, line: line)
    }

    /// A required key that is absent. `keyPath` names the missing key.
    public static func missingKey(keyPath: String, file: String = #fileID, line: Int = #line) -> ConfigError {
        ConfigError(code: .missingKey, keyPath: keyPath, message: "missing required key", file: file, line: line)
    }
}
