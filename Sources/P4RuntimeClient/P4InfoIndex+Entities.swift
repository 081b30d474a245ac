import Foundation
import P4Info
import P4RuntimeAPI

/// Name-based builders: table, field, action and parameter names become ids, and values are
/// checked against the P4Info bitwidths and encoded canonically (or full width on request).
/// The checks are the ones a server enforces (§9.1), so a mistake fails here with the names in
/// the message instead of as an INVALID_ARGUMENT for update #n.
extension P4InfoIndex {
    /// A table entry of table `table` with key `match`, running `action` with `params`.
    ///
    /// Every exact field must be given; wildcards are omitted (see `P4Match`). `priority` must
    /// be non-zero exactly when the table has a ternary, range or optional field.
    public func tableEntry(
        _ table: String, match: [P4Match], action: String, params: KeyValuePairs<String, P4Value> = [:],
        priority: Int32 = 0, style: P4ByteStringStyle = .canonical
    ) throws -> P4_V1_TableEntry {
        let info = try self.table(table)
        var entry = P4_V1_TableEntry()
        entry.tableID = info.id
        entry.match = try fieldMatches(info, match, style: style)
        if info.needsPriority != (priority != 0) {
            throw P4InfoError(.invalidEntity, info.needsPriority
                ? "table \"\(info.name)\" has ternary, range or optional fields: entries need a non-zero priority"
                : "table \"\(info.name)\" has only exact/LPM fields: priority must be 0, not \(priority)")
        }
        entry.priority = priority
        entry.action = try .with { $0.action = try tableAction(info, action, params, style: style, asDefault: false) }
        return entry
    }

    /// The default entry of `table` set to `action` (for a MODIFY; §9.1.3).
    public func defaultEntry(
        _ table: String, action: String, params: KeyValuePairs<String, P4Value> = [:], style: P4ByteStringStyle = .canonical
    ) throws -> P4_V1_TableEntry {
        let info = try self.table(table)
        if let constID = info.constDefaultActionID {
            throw P4InfoError(.invalidEntity, "table \"\(info.name)\" has a const default action (id 0x\(String(constID, radix: 16))); it cannot be changed")
        }
        let built = try tableAction(info, action, params, style: style, asDefault: true)
        return .with {
            $0.tableID = info.id
            $0.isDefaultAction = true
            $0.action = .with { $0.action = built }
        }
    }

    /// An action call by name with every parameter given exactly once.
    public func action(_ name: String, params: KeyValuePairs<String, P4Value> = [:], style: P4ByteStringStyle = .canonical) throws -> P4_V1_Action {
        let info = try action(name)
        var given: [String: P4Value] = [:]
        for (param, value) in params {
            guard given.updateValue(value, forKey: param) == nil else {
                throw P4InfoError(.invalidEntity, "action \"\(info.name)\": parameter \"\(param)\" given twice")
            }
        }
        var built = P4_V1_Action()
        built.actionID = info.id
        for param in info.params {
            guard let value = given.removeValue(forKey: param.name) else {
                throw P4InfoError(.invalidEntity, "action \"\(info.name)\": parameter \"\(param.name)\" (bit<\(param.bitwidth)>) is missing; P4Runtime has no parameter defaults")
            }
            let bytes = try value.encoded(bitwidth: param.bitwidth, style: style, for: "action \"\(info.name)\" parameter \"\(param.name)\"")
            built.params.append(.with { $0.paramID = param.id; $0.value = bytes })
        }
        if let extra = given.keys.sorted().first {
            _ = try info.param(extra)  // throws .unknownName listing the real parameters
        }
        return built
    }

    /// A member of action profile `profile` running `action`.
    public func actionProfileMember(
        _ profile: String, memberID: UInt32, action: String, params: KeyValuePairs<String, P4Value> = [:],
        style: P4ByteStringStyle = .canonical
    ) throws -> P4_V1_ActionProfileMember {
        let info = try actionProfile(profile)
        guard memberID != 0 else { throw P4InfoError(.invalidEntity, "action profile \"\(info.name)\": member id 0 is invalid") }
        let built = try self.action(action, params: params, style: style)
        return .with {
            $0.actionProfileID = info.id
            $0.memberID = memberID
            $0.action = built
        }
    }

    // MARK: Read wildcards (§9.1.6, §13.2)

    /// Every non-default entry of `table`.
    public func allEntries(ofTable table: String) throws -> P4_V1_Entity {
        let id = try self.table(table).id
        return P4_V1_Entity(P4_V1_TableEntry.with { $0.tableID = id })
    }

    /// Every cell of counter `counter`, or the one at `index`.
    public func counterEntries(_ counter: String, index: Int64? = nil) throws -> P4_V1_Entity {
        let id = try self.counter(counter).id
        return P4_V1_Entity(P4_V1_CounterEntry.with {
            $0.counterID = id
            if let index { $0.index = .with { $0.index = index } }
        })
    }

    /// The direct counters of every entry of `table`.
    public func directCounterEntries(ofTable table: String) throws -> P4_V1_Entity {
        let id = try self.table(table).id
        return P4_V1_Entity(P4_V1_DirectCounterEntry.with { $0.tableEntry = .with { $0.tableID = id } })
    }

    // MARK: Parts

    private func tableAction(
        _ table: P4TableInfo, _ action: String, _ params: KeyValuePairs<String, P4Value>, style: P4ByteStringStyle, asDefault: Bool
    ) throws -> P4_V1_Action {
        let built = try self.action(action, params: params, style: style)
        guard let ref = table.actionRefs.first(where: { $0.id == built.actionID }) else {
            let allowed = table.actionRefs.compactMap { self.action(id: $0.id)?.name }
            throw P4InfoError(.invalidEntity, "action \"\(action)\" is not an action of table \"\(table.name)\"; allowed: \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        switch (ref.scope, asDefault) {
        case (.tableOnly, true):
            throw P4InfoError(.invalidEntity, "action \"\(action)\" is @tableonly in table \"\(table.name)\" and cannot be its default")
        case (.defaultOnly, false):
            throw P4InfoError(.invalidEntity, "action \"\(action)\" is @defaultonly in table \"\(table.name)\" and cannot be used in an entry")
        default:
            return built
        }
    }

    private func fieldMatches(_ table: P4TableInfo, _ matches: [P4Match], style: P4ByteStringStyle) throws -> [P4_V1_FieldMatch] {
        var seen = Set<String>()
        var result: [P4_V1_FieldMatch] = []
        for match in matches {
            let field = try table.matchField(match.fieldName)
            guard seen.insert(field.name).inserted else {
                throw P4InfoError(.invalidEntity, "table \"\(table.name)\": field \"\(field.name)\" matched twice")
            }
            guard field.kind == match.kind else {
                throw P4InfoError(.invalidEntity, "table \"\(table.name)\": field \"\(field.name)\" is \(field.kind), not \(match.kind)")
            }
            if let encoded = try fieldMatch(match, field, table: table.name, style: style) { result.append(encoded) }
        }
        if let missing = table.matchFields.first(where: { $0.kind == .exact && !seen.contains($0.name) }) {
            throw P4InfoError(.invalidEntity, "table \"\(table.name)\": exact field \"\(missing.name)\" is missing; exact fields cannot be wildcards")
        }
        return result
    }

    /// One field's match, or nil for a don't-care (which must be omitted).
    private func fieldMatch(_ match: P4Match, _ field: P4MatchFieldInfo, table: String, style: P4ByteStringStyle) throws -> P4_V1_FieldMatch? {
        let what = "table \"\(table)\" field \"\(field.name)\""
        let width = field.bitwidth
        func encode(_ value: P4Value) throws -> Data { try value.encoded(bitwidth: width, style: style, for: what) }
        var built = P4_V1_FieldMatch()
        built.fieldID = field.id
        switch match {
        case .exact(_, let value):
            built.exact = try .with { $0.value = try encode(value) }
        case .lpm(_, let value, let prefixLength):
            guard (0...width).contains(prefixLength) else {
                throw P4InfoError(.invalidEntity, "\(what): prefix length \(prefixLength) is outside 0...\(width)")
            }
            if prefixLength == 0 { return nil }
            let bytes = try encode(value)
            guard value.maskedToPrefix(prefixLength, bitwidth: width) == value else {
                throw P4InfoError(.invalidEntity, "\(what): \(value)/\(prefixLength) has bits set below the prefix")
            }
            built.lpm = .with { $0.value = bytes; $0.prefixLen = Int32(prefixLength) }
        case .ternary(_, let value, let mask):
            let maskBytes = try encode(mask)
            if mask.isZero { return nil }
            let valueBytes = try encode(value)
            guard value & mask == value else {
                throw P4InfoError(.invalidEntity, "\(what): value \(value) has bits outside mask \(mask)")
            }
            built.ternary = .with { $0.value = valueBytes; $0.mask = maskBytes }
        case .range(_, let low, let high):
            let lowBytes = try encode(low)
            let highBytes = try encode(high)
            guard low <= high else { throw P4InfoError(.invalidEntity, "\(what): range low \(low) is above high \(high)") }
            if low.isZero && high == P4Value.allOnes(bitwidth: width) { return nil }
            built.range = .with { $0.low = lowBytes; $0.high = highBytes }
        case .optional(_, let value):
            guard let value else { return nil }
            built.optional = try .with { $0.value = try encode(value) }
        }
        return built
    }
}
