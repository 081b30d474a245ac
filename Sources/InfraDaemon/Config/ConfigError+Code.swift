extension ConfigError {
    /// The kind of a ``ConfigError``.
    ///
    /// A struct over a private enum, so new kinds can be added without breaking callers that
    /// switch over the known ones.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case fileNotFound, unreadable, syntax, unknownKey, missingKey, typeMismatch, invalidValue
        }

        private let kind: Kind

        private init(_ kind: Kind) { self.kind = kind }

        /// The configuration file does not exist.
        public static let fileNotFound = Code(.fileNotFound)
        /// The file exists but could not be read (permissions, a directory, not UTF-8).
        public static let unreadable = Code(.unreadable)
        /// The text is not valid YAML; `yamlLine` and `yamlColumn` say where.
        public static let syntax = Code(.syntax)
        /// A mapping holds a key the config type does not know (usually a typo).
        public static let unknownKey = Code(.unknownKey)
        /// A key without a default is absent.
        public static let missingKey = Code(.missingKey)
        /// A value has the wrong shape: text where a number belongs, a list for a mapping.
        public static let typeMismatch = Code(.typeMismatch)
        /// A value has the right type but is not allowed (out of range, not one of the choices).
        public static let invalidValue = Code(.invalidValue)

        public var description: String {
            switch kind {
            case .fileNotFound: "fileNotFound"
            case .unreadable: "unreadable"
            case .syntax: "syntax"
            case .unknownKey: "unknownKey"
            case .missingKey: "missingKey"
            case .typeMismatch: "typeMismatch"
            case .invalidValue: "invalidValue"
            }
        }
    }
}
