import P4Info

/// One key field of a table entry, by field name, as the controller thinks of it.
///
/// Don't-care matches are written by omitting the field (§9.1.1); the builder does that itself
/// for an LPM of prefix length 0, a ternary with mask 0, a range covering every value and an
/// optional of nil, so callers can pass wildcards uniformly.
public enum P4Match: Sendable, Hashable {
    case exact(String, P4Value)
    case lpm(String, P4Value, prefixLength: Int)
    case ternary(String, P4Value, mask: P4Value)
    case range(String, low: P4Value, high: P4Value)
    case optional(String, P4Value?)

    public var fieldName: String {
        switch self {
        case .exact(let name, _), .lpm(let name, _, _), .ternary(let name, _, _), .range(let name, _, _), .optional(let name, _):
            name
        }
    }

    var kind: P4MatchKind {
        switch self {
        case .exact: .exact
        case .lpm: .lpm
        case .ternary: .ternary
        case .range: .range
        case .optional: .optional
        }
    }
}
