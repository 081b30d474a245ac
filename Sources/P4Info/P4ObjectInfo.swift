import P4RuntimeAPI

/// A table as P4Info describes it, with its fields in key order.
public struct P4TableInfo: Sendable {
    public let id: UInt32
    public let name: String
    public let alias: String
    public let matchFields: [P4MatchFieldInfo]
    /// Action ids the table may use (`action_refs`), with their scope.
    public let actionRefs: [P4_Config_V1_ActionRef]
    /// nil when the default action may be changed.
    public let constDefaultActionID: UInt32?
    /// nil for a direct table, else the action profile or selector id.
    public let implementationID: UInt32?
    public let directResourceIDs: [UInt32]
    public let size: Int64
    /// True when entries may carry `idle_timeout_ns` (`NOTIFY_CONTROL`).
    public let supportsIdleTimeout: Bool
    public let isConst: Bool
    public let proto: P4_Config_V1_Table

    init(_ table: P4_Config_V1_Table) {
        id = table.preamble.id
        name = table.preamble.name
        alias = table.preamble.alias
        matchFields = table.matchFields.map(P4MatchFieldInfo.init)
        actionRefs = table.actionRefs
        constDefaultActionID = table.constDefaultActionID == 0 ? nil : table.constDefaultActionID
        implementationID = table.implementationID == 0 ? nil : table.implementationID
        directResourceIDs = table.directResourceIds
        size = table.size
        supportsIdleTimeout = table.idleTimeoutBehavior == .notifyControl
        isConst = table.isConstTable
        proto = table
    }

    /// True when some key field is ternary, range or optional, so entries need a priority.
    public var needsPriority: Bool { matchFields.contains { $0.kind.needsPriority } }

    /// The key field called `name`; the error lists the table's fields.
    public func matchField(_ name: String) throws -> P4MatchFieldInfo {
        if let field = matchFields.first(where: { $0.name == name }) { return field }
        throw P4InfoError(.unknownName, "table \"\(self.name)\" has no match field \"\(name)\"; its fields are \(Self.list(matchFields.map(\.name)))")
    }

    public func matchField(id: UInt32) -> P4MatchFieldInfo? { matchFields.first { $0.id == id } }

    static func list(_ names: [String]) -> String {
        names.isEmpty ? "(none)" : names.map { "\"\($0)\"" }.joined(separator: ", ")
    }
}

public struct P4MatchFieldInfo: Sendable, Hashable {
    public let id: UInt32
    public let name: String
    public let bitwidth: Int
    public let kind: P4MatchKind

    init(_ field: P4_Config_V1_MatchField) {
        id = field.id
        name = field.name
        bitwidth = Int(field.bitwidth)
        kind = P4MatchKind(field)
    }
}

/// An action and its parameters in declaration order.
public struct P4ActionInfo: Sendable {
    public let id: UInt32
    public let name: String
    public let alias: String
    public let params: [P4ParamInfo]

    init(_ action: P4_Config_V1_Action) {
        id = action.preamble.id
        name = action.preamble.name
        alias = action.preamble.alias
        params = action.params.map { P4ParamInfo(id: $0.id, name: $0.name, bitwidth: Int($0.bitwidth)) }
    }

    /// The parameter called `name`; the error lists the action's parameters.
    public func param(_ name: String) throws -> P4ParamInfo {
        if let param = params.first(where: { $0.name == name }) { return param }
        throw P4InfoError(.unknownName, "action \"\(self.name)\" has no parameter \"\(name)\"; its parameters are \(P4TableInfo.list(params.map(\.name)))")
    }
}

public struct P4ParamInfo: Sendable, Hashable {
    public let id: UInt32
    public let name: String
    public let bitwidth: Int
}

/// An action profile, or an action selector when `withSelector` is true.
public struct P4ActionProfileInfo: Sendable {
    public let id: UInt32
    public let name: String
    public let tableIDs: [UInt32]
    public let withSelector: Bool
    public let size: Int64
    /// 0 for plain profiles and for selectors without a group size limit.
    public let maxGroupSize: Int32

    init(_ profile: P4_Config_V1_ActionProfile) {
        id = profile.preamble.id
        name = profile.preamble.name
        tableIDs = profile.tableIds
        withSelector = profile.withSelector
        size = profile.size
        maxGroupSize = profile.maxGroupSize
    }
}

/// An indexed counter array.
public struct P4CounterInfo: Sendable {
    public let id: UInt32
    public let name: String
    public let unit: P4_Config_V1_CounterSpec.Unit
    public let size: Int64

    init(_ counter: P4_Config_V1_Counter) {
        id = counter.preamble.id
        name = counter.preamble.name
        unit = counter.spec.unit
        size = counter.size
    }
}

/// A counter attached to every entry of one table.
public struct P4DirectCounterInfo: Sendable {
    public let id: UInt32
    public let name: String
    public let unit: P4_Config_V1_CounterSpec.Unit
    public let tableID: UInt32

    init(_ counter: P4_Config_V1_DirectCounter) {
        id = counter.preamble.id
        name = counter.preamble.name
        unit = counter.spec.unit
        tableID = counter.directTableID
    }
}
