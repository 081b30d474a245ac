import P4Info
import P4RuntimeAPI
import P4RuntimeServer

/// How one P4Info's objects are realized in one spec: built at VERIFY from the P4Info, the
/// context JSON and the spec, so every later Write only looks names up.
struct PipelineMap: Sendable {
    struct Key: Sendable {
        var fieldID: UInt32
        var name: String
        var kind: P4MatchKind
        var bitwidth: Int
    }

    struct Parameter: Sendable {
        var id: UInt32
        var name: String
    }

    struct Action: Sendable {
        var specName: String
        /// In the spec's argument order.
        var parameters: [Parameter]
    }

    struct Table: Sendable {
        var name: String
        var specName: String
        /// Filled by the data plane only (add-on-miss); rte_swx_ctl has no entry API for it.
        var isLearner: Bool
        /// In the spec's key order.
        var keys: [Key]
        var needsPriority: Bool
        var actions: [UInt32: Action]
        /// For a table with an action profile: the spec actions that hand a member or a
        /// group id to the profile's tables.
        var setMemberAction: String?
        var setGroupAction: String?
        var profileID: UInt32?
        var constDefault: Bool
    }

    struct Profile: Sendable {
        var name: String
        /// The table keyed by member id that holds each member's action.
        var memberTable: String
        var selector: String?
        var actions: [UInt32: Action]
    }

    struct Counter: Sendable {
        var packets: String?
        var bytes: String?
    }

    var tables: [UInt32: Table] = [:]
    var profiles: [UInt32: Profile] = [:]
    var counters: [UInt32: Counter] = [:]
    var learners: Set<String>
    /// PNA's per-port direction register when the program has one.
    var directionRegister: String?

    init(index: P4InfoIndex, config: DPDKDeviceConfig) throws {
        let context = try DPDKContext(config.context)
        let spec = SpecObjects(config.spec)
        learners = spec.learners
        directionRegister = spec.regarrays.contains("direction") ? "direction" : nil
        let byName = Dictionary(context.tables.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

        for learner in config.learnerTimeouts.keys where !spec.learners.contains(learner) {
            throw P4ServerError(.invalidArgument, "p4_device_config learner_timeouts names \"\(learner)\", which the spec does not declare as a learner")
        }
        for table in index.allTables {
            guard let entry = byName[table.name], entry.tableType == "match" else {
                throw P4ServerError(.invalidArgument, "the context JSON has no match table \"\(table.name)\" (P4Info table id \(table.id)): spec and P4Info are from different compiles")
            }
            tables[table.id] = try Self.table(table, context: entry, index: index, spec: spec)
        }
        for profile in index.p4info.actionProfiles.compactMap({ index.actionProfile(id: $0.preamble.id) }) {
            guard let entry = context.tables.first(where: { $0.tableType == "action" && ($0.handle == profile.id || $0.name == profile.name) }) else {
                throw P4ServerError(.invalidArgument, "the context JSON has no action data table for action profile \"\(profile.name)\" (id \(profile.id))")
            }
            try Self.require(entry.targetName, in: spec.tables, what: "table", for: profile.name)
            var selector: String?
            if profile.withSelector {
                guard let found = context.tables.first(where: { $0.tableType == "selection" && $0.boundToActionDataTableHandle == entry.handle }) else {
                    throw P4ServerError(.invalidArgument, "the context JSON has no selector bound to \"\(profile.name)\"")
                }
                try Self.require(found.targetName, in: spec.selectors, what: "selector", for: profile.name)
                selector = found.targetName
            }
            profiles[profile.id] = Profile(
                name: profile.name, memberTable: entry.targetName, selector: selector,
                actions: try Self.actions(entry, index: index, spec: spec, owner: profile.name)
            )
        }
        let externs = context.externs ?? []
        for counter in index.p4info.counters.compactMap({ index.counter(id: $0.preamble.id) }) {
            guard let entry = externs.first(where: { $0.type == "Counter" && $0.name == counter.name }) else {
                throw P4ServerError(.invalidArgument, "the context JSON has no counter \"\(counter.name)\" (id \(counter.id))")
            }
            counters[counter.id] = try Self.counter(entry.targetName, unit: counter.unit, spec: spec, name: counter.name)
        }
        if let direct = index.p4info.directCounters.first {
            throw P4ServerError(.unimplemented, "direct counter \"\(direct.preamble.name)\": infra-p4-dpdk does not realize direct counters (DPDK 22.11 keeps them per entry in a way rte_swx_ctl cannot read back by entry)")
        }
        if let meter = index.p4info.meters.first {
            throw P4ServerError(.unimplemented, "meter \"\(meter.preamble.name)\": infra-p4-dpdk does not realize meters")
        }
    }

    private static func table(_ table: P4TableInfo, context: DPDKContext.Table, index: P4InfoIndex, spec: SpecObjects) throws -> Table {
        let isLearner = context.addOnMiss ?? false
        try require(context.targetName, in: isLearner ? spec.learners : spec.tables, what: isLearner ? "learner" : "table", for: table.name)
        let fields = (context.matchKeyFields ?? []).sorted { $0.position < $1.position }
        var keys: [Key] = []
        for field in fields {
            guard let info = table.matchFields.first(where: { $0.name == field.name }) else {
                throw P4ServerError(.invalidArgument, "table \"\(table.name)\": context key field \"\(field.name)\" is not a P4Info match field")
            }
            guard info.bitwidth <= 64 else {
                throw P4ServerError(.unimplemented, "table \"\(table.name)\" key \"\(info.name)\" is \(info.bitwidth) bits; infra-p4-dpdk writes keys up to 64 bits")
            }
            keys.append(Key(fieldID: info.id, name: info.name, kind: info.kind, bitwidth: info.bitwidth))
        }
        guard keys.count == table.matchFields.count else {
            throw P4ServerError(.invalidArgument, "table \"\(table.name)\": the context JSON has \(keys.count) key fields, P4Info \(table.matchFields.count)")
        }
        var result = Table(
            name: table.name, specName: context.targetName, isLearner: isLearner, keys: keys, needsPriority: table.needsPriority,
            actions: try actions(context, index: index, spec: spec, owner: table.name), profileID: nil, constDefault: table.constDefaultActionID != nil
        )
        if let profileID = table.implementationID, let profile = index.actionProfile(id: profileID) {
            result.profileID = profileID
            result.setMemberAction = context.targetName + "_set_member_id"
            try require(result.setMemberAction!, in: spec.actions, what: "action", for: table.name)
            if profile.withSelector {
                result.setGroupAction = context.targetName + "_set_group_id"
                try require(result.setGroupAction!, in: spec.actions, what: "action", for: table.name)
            }
        }
        return result
    }

    private static func actions(_ context: DPDKContext.Table, index: P4InfoIndex, spec: SpecObjects, owner: String) throws -> [UInt32: Action] {
        var result: [UInt32: Action] = [:]
        for action in context.actions ?? [] {
            guard let info = index.action(id: action.handle) else {
                throw P4ServerError(.invalidArgument, "\"\(owner)\": context action \"\(action.name)\" has handle \(action.handle), which no P4Info action has")
            }
            // The context names actions with their control's prefix; the spec without it.
            let specName = action.targetName.split(separator: ".").last.map(String.init) ?? action.targetName
            try require(specName, in: spec.actions, what: "action", for: owner)
            var parameters: [Parameter] = []
            for parameter in action.p4Parameters.sorted(by: { $0.position < $1.position }) {
                guard let param = info.params.first(where: { $0.name == parameter.name }) else {
                    throw P4ServerError(.invalidArgument, "action \"\(info.name)\": context parameter \"\(parameter.name)\" is not in P4Info")
                }
                guard param.bitwidth <= 64 else {
                    throw P4ServerError(.unimplemented, "action \"\(info.name)\" parameter \"\(param.name)\" is \(param.bitwidth) bits; infra-p4-dpdk writes up to 64")
                }
                parameters.append(Parameter(id: param.id, name: param.name))
            }
            result[info.id] = Action(specName: specName, parameters: parameters)
        }
        return result
    }

    private static func counter(_ target: String, unit: P4_Config_V1_CounterSpec.Unit, spec: SpecObjects, name: String) throws -> Counter {
        // p4c-dpdk keeps a counter in register arrays: <name>_packets and <name>_bytes for
        // both units, the bare name for one.
        func array(_ suffix: String) -> String? {
            if spec.regarrays.contains(target + suffix) { return target + suffix }
            return spec.regarrays.contains(target) ? target : nil
        }
        let counter: Counter
        switch unit {
        case .packets: counter = Counter(packets: array("_packets"), bytes: nil)
        case .bytes: counter = Counter(packets: nil, bytes: array("_bytes"))
        default: counter = Counter(packets: array("_packets"), bytes: array("_bytes"))
        }
        if counter.packets == nil && counter.bytes == nil {
            throw P4ServerError(.invalidArgument, "counter \"\(name)\": the spec has no register array \(target)[_packets|_bytes]")
        }
        return counter
    }

    private static func require(_ name: String, in names: Set<String>, what: String, for owner: String) throws {
        guard names.contains(name) else {
            throw P4ServerError(.invalidArgument, "\"\(owner)\": the spec declares no \(what) \"\(name)\" (spec and context are from different compiles?)")
        }
    }
}
