import P4RuntimeAPI

/// How a table key field is matched (P4Info `MatchField.match`).
public enum P4MatchKind: Hashable, Sendable, CustomStringConvertible {
    case exact, lpm, ternary, range, optional
    /// An architecture-specific kind (`other_match_type`), e.g. "selector" in some targets.
    case other(String)
    case unspecified

    init(_ field: P4_Config_V1_MatchField) {
        switch field.match {
        case .matchType(let type)?:
            switch type {
            case .exact: self = .exact
            case .lpm: self = .lpm
            case .ternary: self = .ternary
            case .range: self = .range
            case .optional: self = .optional
            case .unspecified, .UNRECOGNIZED: self = .unspecified
            }
        case .otherMatchType(let name)?: self = .other(name)
        case nil: self = .unspecified
        }
    }

    /// Kinds that make a table need a non-zero priority (§9.1).
    public var needsPriority: Bool {
        switch self {
        case .ternary, .range, .optional: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .exact: "exact"
        case .lpm: "lpm"
        case .ternary: "ternary"
        case .range: "range"
        case .optional: "optional"
        case .other(let name): name
        case .unspecified: "unspecified"
        }
    }
}
