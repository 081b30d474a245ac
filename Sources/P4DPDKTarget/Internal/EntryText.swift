import Foundation
import P4Info
import P4RuntimeAPI
import P4RuntimeServer

/// Renders P4Runtime entities as rte_swx_ctl's entry text
/// (`match <field>... [priority <n>] action <name> <arg> <value>...`). Text, not the binary
/// entry struct: DPDK's own parser then puts header fields in network order and checks
/// widths and argument names, the same way DPDK's CLI does.
enum EntryText {
    /// rte_swx_table_wm hands priorities to rte_acl, whose largest is 0x1FFFFFFF; in DPDK 0
    /// is the highest priority, in P4Runtime the largest number wins.
    static let maxPriority: Int32 = 0x1FFF_FFFF
    /// A RANGE field becomes one value/mask entry per prefix of its cover; a product of
    /// several would multiply, so one P4Runtime entry may become at most this many.
    static let maxExpansion = 1024

    /// The match part of each DPDK entry realizing `entry` (several when a RANGE field is
    /// expanded into prefixes).
    static func matches(_ entry: P4_V1_TableEntry, table: PipelineMap.Table) throws -> [String] {
        var alternatives: [[String]] = []
        for key in table.keys {
            let field = entry.match.first { $0.fieldID == key.fieldID }
            alternatives.append(try values(field, key: key, table: table))
        }
        var texts = [""]
        for options in alternatives {
            guard texts.count * options.count <= maxExpansion else {
                throw P4ServerError(.resourceExhausted, "table \"\(table.name)\": the entry's ranges expand into more than \(maxExpansion) DPDK entries")
            }
            texts = texts.flatMap { prefix in options.map { prefix + " " + $0 } }
        }
        var suffix = ""
        if table.needsPriority {
            guard entry.priority > 0, entry.priority <= maxPriority else {
                throw P4ServerError(.outOfRange, "table \"\(table.name)\": priority \(entry.priority) is outside 1...\(maxPriority), what DPDK's wildcard table can order")
            }
            suffix = " priority \(maxPriority - entry.priority)"
        }
        return texts.map { "match" + $0 + suffix }
    }

    /// `action <name> <arg> <value>...` for a direct action, or the hand-off to an action
    /// profile's member or (DPDK) group id.
    static func action(_ action: P4_V1_TableAction, table: PipelineMap.Table, groupID: (UInt32) throws -> UInt32) throws -> String {
        switch action.type {
        case .action(let direct)?:
            guard let mapped = table.actions[direct.actionID] else {
                throw P4ServerError(.invalidArgument, "table \"\(table.name)\": action id \(direct.actionID) has no DPDK action in this table")
            }
            return try Self.action(direct, mapped: mapped)
        case .actionProfileMemberID(let member)?:
            guard let name = table.setMemberAction else {
                throw P4ServerError(.invalidArgument, "table \"\(table.name)\" has no action profile for member \(member)")
            }
            return "action \(name) member_id \(hex(UInt64(member)))"
        case .actionProfileGroupID(let group)?:
            guard let name = table.setGroupAction else {
                throw P4ServerError(.invalidArgument, "table \"\(table.name)\" has no action selector for group \(group)")
            }
            return "action \(name) group_id \(hex(UInt64(try groupID(group))))"
        default:
            throw P4ServerError(.unimplemented, "table \"\(table.name)\": this kind of table action is not supported by infra-p4-dpdk")
        }
    }

    static func action(_ action: P4_V1_Action, mapped: PipelineMap.Action) throws -> String {
        var text = "action " + mapped.specName
        for parameter in mapped.parameters {
            guard let param = action.params.first(where: { $0.paramID == parameter.id }) else {
                throw P4ServerError(.invalidArgument, "action \(mapped.specName): parameter \"\(parameter.name)\" (id \(parameter.id)) is missing")
            }
            text += " \(parameter.name) \(hex(try number(param.value, what: parameter.name)))"
        }
        return text
    }

    private static func values(_ field: P4_V1_FieldMatch?, key: PipelineMap.Key, table: PipelineMap.Table) throws -> [String] {
        let all = key.bitwidth >= 64 ? UInt64.max : (UInt64(1) << UInt64(key.bitwidth)) - 1
        guard let field else {
            // Don't care: p4c-dpdk made the field a wildcard or LPM key, so 0/0 matches all.
            return ["0x0/0x0"]
        }
        switch field.fieldMatchType {
        case .exact(let exact)?:
            return [hex(try number(exact.value, what: key.name))]
        case .ternary(let ternary)?:
            return ["\(hex(try number(ternary.value, what: key.name)))/\(hex(try number(ternary.mask, what: key.name)))"]
        case .optional(let optional)?:
            return ["\(hex(try number(optional.value, what: key.name)))/\(hex(all))"]
        case .lpm(let lpm)?:
            let length = UInt64(lpm.prefixLen)
            let mask = length == 0 ? 0 : all ^ (length >= UInt64(key.bitwidth) ? 0 : (UInt64(1) << (UInt64(key.bitwidth) - length)) - 1)
            return ["\(hex(try number(lpm.value, what: key.name)))/\(hex(mask))"]
        case .range(let range)?:
            let low = try number(range.low, what: key.name), high = try number(range.high, what: key.name)
            return prefixCover(low: low, high: high, bitwidth: key.bitwidth).map { "\(hex($0.value))/\(hex($0.mask))" }
        default:
            throw P4ServerError(.unimplemented, "table \"\(table.name)\" key \"\(key.name)\": this match kind is not supported by infra-p4-dpdk")
        }
    }

    /// The fewest value/mask pairs whose union is exactly `low...high`: from `low`, the
    /// largest aligned power-of-two block that stays inside the range, repeatedly.
    static func prefixCover(low: UInt64, high: UInt64, bitwidth: Int) -> [(value: UInt64, mask: UInt64)] {
        let all = bitwidth >= 64 ? UInt64.max : (UInt64(1) << UInt64(bitwidth)) - 1
        var result: [(value: UInt64, mask: UInt64)] = []
        var start = low
        while start <= high {
            var bits = min(start == 0 ? bitwidth : start.trailingZeroBitCount, bitwidth)
            while bits > 0 && (bits >= 64 || start + ((UInt64(1) << UInt64(bits)) - 1) > high) { bits -= 1 }
            let span = bits == 0 ? 0 : (UInt64(1) << UInt64(bits)) - 1
            result.append((start, all & ~span))
            let end = start + span
            if end >= high { break }
            start = end + 1
        }
        return result
    }

    static func number(_ bytes: Data, what: String) throws -> UInt64 {
        guard let value = P4Value(bytes: bytes).uint64 else {
            throw P4ServerError(.outOfRange, "\(what): value wider than 64 bits")
        }
        return value
    }

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
}
