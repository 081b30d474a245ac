import Foundation
import P4Info
import P4RuntimeAPI

/// Checks entities against the committed P4Info and returns their canonical form (§9.1,
/// facts §4.2–§4.4). Pure: it reads the P4Info only; existence and references are checked by
/// the write path, which sees the backend.
struct EntryValidator {
    let index: P4InfoIndex

    func table(_ id: UInt32) throws -> P4TableInfo {
        guard id != 0 else { throw P4ServerError(.invalidArgument, "table_id 0 is not a valid id in a write") }
        guard let table = index.table(id: id) else { throw P4ServerError(.invalidArgument, "unknown table id \(id)") }
        return table
    }

    /// The match with canonical bytestrings, sorted by field id (the match is a set, §9.1).
    func canonicalMatch(_ matches: [P4_V1_FieldMatch], table: P4TableInfo) throws -> [P4_V1_FieldMatch] {
        // A key has a handful of fields: scanning the ones already taken beats a Set.
        var result: [P4_V1_FieldMatch] = []
        result.reserveCapacity(matches.count)
        for match in matches {
            guard let field = table.matchField(id: match.fieldID) else {
                throw P4ServerError(.invalidArgument, "table \"\(table.name)\" has no match field id \(match.fieldID)")
            }
            guard !result.contains(where: { $0.fieldID == field.id }) else {
                throw P4ServerError(.invalidArgument, "match field \"\(field.name)\" is given twice")
            }
            result.append(try canonicalFieldMatch(match, field: field, table: table))
        }
        for field in table.matchFields where field.kind == .exact && !result.contains(where: { $0.fieldID == field.id }) {
            throw P4ServerError(.invalidArgument, "exact match field \"\(field.name)\" of \"\(table.name)\" is missing; exact fields cannot be omitted")
        }
        // Clients usually send fields in P4Info order already.
        if result.indices.dropFirst().contains(where: { result[$0 - 1].fieldID > result[$0].fieldID }) {
            result.sort { $0.fieldID < $1.fieldID }
        }
        return result
    }

    private func canonicalFieldMatch(_ match: P4_V1_FieldMatch, field: P4MatchFieldInfo, table: P4TableInfo) throws -> P4_V1_FieldMatch {
        let width = field.bitwidth
        // Built only for an error: interpolating it for every field was a hot-path cost.
        func name() -> String { "match field \"\(field.name)\"" }
        var out = P4_V1_FieldMatch()
        out.fieldID = field.id
        func wrongKind(_ given: String) -> P4ServerError {
            P4ServerError(.invalidArgument, "\(name()) is \(field.kind) in the P4Info but the request gives \(given)")
        }
        switch match.fieldMatchType {
        case .exact(let exact)?:
            guard field.kind == .exact else { throw wrongKind("exact") }
            var canonical = P4_V1_FieldMatch.Exact()
            canonical.value = try ByteStrings.canonical(exact.value, bitwidth: width, what: name())
            out.exact = canonical
        case .ternary(let ternary)?:
            guard field.kind == .ternary else { throw wrongKind("ternary") }
            let value = try ByteStrings.value(ternary.value, bitwidth: width, what: "\(name()) value")
            let mask = try ByteStrings.value(ternary.mask, bitwidth: width, what: "\(name()) mask")
            guard !mask.isZero else {
                throw P4ServerError(.invalidArgument, "\(name()) has mask 0: a don't-care ternary match must be omitted")
            }
            guard value & mask == value else {
                throw P4ServerError(.invalidArgument, "\(name()) value \(value) has bits outside mask \(mask)")
            }
            var canonical = P4_V1_FieldMatch.Ternary()
            canonical.value = ByteStrings.canonical(value)
            canonical.mask = ByteStrings.canonical(mask)
            out.ternary = canonical
        case .lpm(let lpm)?:
            guard field.kind == .lpm else { throw wrongKind("lpm") }
            let value = try ByteStrings.value(lpm.value, bitwidth: width, what: name())
            guard lpm.prefixLen > 0 else {
                throw P4ServerError(.invalidArgument, "\(name()) has prefix_len \(lpm.prefixLen): a /0 match must be omitted, and negative lengths are invalid")
            }
            guard lpm.prefixLen <= width else {
                throw P4ServerError(.invalidArgument, "\(name()) has prefix_len \(lpm.prefixLen) > bitwidth \(width)")
            }
            guard value.maskedToPrefix(Int(lpm.prefixLen), bitwidth: width) == value else {
                throw P4ServerError(.invalidArgument, "\(name()) value \(value) has bits set beyond its /\(lpm.prefixLen) prefix")
            }
            var canonical = P4_V1_FieldMatch.LPM()
            canonical.value = ByteStrings.canonical(value)
            canonical.prefixLen = lpm.prefixLen
            out.lpm = canonical
        case .range(let range)?:
            guard field.kind == .range else { throw wrongKind("range") }
            let low = try ByteStrings.value(range.low, bitwidth: width, what: "\(name()) low")
            let high = try ByteStrings.value(range.high, bitwidth: width, what: "\(name()) high")
            guard low <= high else {
                throw P4ServerError(.invalidArgument, "\(name()) range low \(low) > high \(high)")
            }
            guard !(low.isZero && high == P4Value.allOnes(bitwidth: width)) else {
                throw P4ServerError(.invalidArgument, "\(name()) range covers every value: a don't-care range must be omitted")
            }
            var canonical = P4_V1_FieldMatch.Range()
            canonical.low = ByteStrings.canonical(low)
            canonical.high = ByteStrings.canonical(high)
            out.range = canonical
        case .optional(let optional)?:
            guard field.kind == .optional else { throw wrongKind("optional") }
            var canonical = P4_V1_FieldMatch.Optional()
            canonical.value = try ByteStrings.canonical(optional.value, bitwidth: width, what: name())
            out.optional = canonical
        case .other?:
            throw P4ServerError(.unimplemented, "\(name()): architecture-specific (other) matches are not supported")
        case nil:
            throw P4ServerError(.invalidArgument, "\(name()) has no match type set")
        }
        return out
    }

    /// Priority is required (non-zero) exactly when a key field is ternary, range or optional (§9.1).
    func checkPriority(_ priority: Int32, table: P4TableInfo) throws {
        if table.needsPriority && priority == 0 {
            throw P4ServerError(.invalidArgument, "table \"\(table.name)\" has ternary, range or optional fields, so entries need a non-zero priority")
        }
        if !table.needsPriority && priority != 0 {
            throw P4ServerError(.invalidArgument, "table \"\(table.name)\" has no ternary, range or optional field, so priority must be 0, not \(priority)")
        }
    }

    /// An action with canonical params, checked against `refs` (the table's or profile's
    /// action refs) and the scope that applies (§9.1.2).
    func canonicalAction(_ action: P4_V1_Action, refs: [P4_Config_V1_ActionRef], asDefault: Bool, owner: @autoclosure () -> String) throws -> P4_V1_Action {
        guard let ref = refs.first(where: { $0.id == action.actionID }) else {
            throw P4ServerError(.invalidArgument, "action id \(action.actionID) is not an action of \(owner())")
        }
        guard let info = index.action(id: action.actionID) else {
            throw P4ServerError(.invalidArgument, "unknown action id \(action.actionID)")
        }
        if asDefault && ref.scope == .tableOnly {
            throw P4ServerError(.permissionDenied, "action \"\(info.name)\" is @tableonly and cannot be the default action of \(owner())")
        }
        if !asDefault && ref.scope == .defaultOnly {
            throw P4ServerError(.permissionDenied, "action \"\(info.name)\" is @defaultonly and cannot be used in an entry of \(owner())")
        }
        var out = P4_V1_Action()
        out.actionID = action.actionID
        out.params.reserveCapacity(action.params.count)
        for (position, param) in action.params.enumerated() {
            guard let spec = info.params.first(where: { $0.id == param.paramID }) else {
                throw P4ServerError(.invalidArgument, "action \"\(info.name)\" has no parameter id \(param.paramID)")
            }
            // An action has a handful of parameters: a scan of the ones before beats a Set.
            guard !action.params[..<position].contains(where: { $0.paramID == param.paramID }) else {
                throw P4ServerError(.invalidArgument, "parameter \"\(spec.name)\" of \"\(info.name)\" is given twice")
            }
            var canonical = P4_V1_Action.Param()
            canonical.paramID = spec.id
            canonical.value = try ByteStrings.canonical(param.value, bitwidth: spec.bitwidth, what: "parameter \"\(spec.name)\" of \"\(info.name)\"")
            out.params.append(canonical)
        }
        // No duplicates and every id known: a count short of the spec means one is missing.
        for spec in info.params where action.params.count < info.params.count && !action.params.contains(where: { $0.paramID == spec.id }) {
            throw P4ServerError(.invalidArgument, "parameter \"\(spec.name)\" of \"\(info.name)\" is missing")
        }
        return out
    }
}

