/// A configuration problem, phrased for the operator who wrote the file.
///
/// Every failure of ``ConfigLoader`` is one of these, whether the file is missing, the YAML does
/// not parse, a key is misspelt or a value is out of range, so a daemon can print
/// `description` and exit without knowing which layer complained.
///
/// `description` reads like
/// `config /etc/infra/manager.yaml: tls.reloadIntervalSeconds: invalid value "-3": must be a positive number`.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    /// What kind of problem this is; match on it instead of on `message`.
    public var code: Code
    /// Where the configuration came from (a file path, or the `source` given to
    /// ``ConfigLoader/load(_:fromYAML:source:)``); nil until the loader fills it in.
    public var source: String?
    /// The dotted path of the offending key, with list indices in brackets
    /// (`authorization.rules[1].role`); empty when the problem is the file as a whole.
    public var keyPath: String
    /// The offending value as written in the file, when there is one.
    public var value: String?
    /// The text that follows the key path in `description`, e.g. `invalid value "-3": must be a positive number`.
    public var message: String
    /// The 1-based line in the YAML text, when the loader could find it.
    public var yamlLine: Int?
    /// The 1-based column in the YAML text, for syntax errors.
    public var yamlColumn: Int?
    /// The Swift source file that raised the error; for debugging the daemon, not the config.
    public var file: String
    /// The Swift source line that raised the error.
    public var line: Int

    public init(
        code: Code,
        keyPath: String,
        value: String? = nil,
        message: String,
        source: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.keyPath = keyPath
        self.value = value
        self.message = message
        self.source = source
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "config"
        if let source { text += " \(source)" }
        text += ": "
        if let yamlLine, code == .syntax {
            // A syntax error has no key path; the position is the only way to find it.
            text += "line \(yamlLine)"
            if let yamlColumn { text += ", column \(yamlColumn)" }
            text += ": "
        }
        // An unknown key is reported against the mapping that holds it, so the key is not
        // printed twice (`tls: unknown key "listenAdress"`), while `keyPath` names it in full.
        let shownPath = code == .unknownKey ? ConfigKeyPath.parent(of: keyPath) : keyPath
        if !shownPath.isEmpty { text += "\(shownPath): " }
        return text + message
    }
}
