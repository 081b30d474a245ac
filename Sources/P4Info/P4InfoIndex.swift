import P4RuntimeAPI

/// A P4Info with lookups by name: what the controller needs to turn table, field, action and
/// parameter names into the numeric ids and bitwidths P4Runtime speaks.
///
/// Built once per pipeline and immutable, so it is shared freely between tasks.
public struct P4InfoIndex: Sendable {
    /// The P4Info as loaded; this is what SetForwardingPipelineConfig sends.
    public let p4info: P4_Config_V1_P4Info
    private let tables: NameIndex<P4TableInfo>
    private let actions: NameIndex<P4ActionInfo>
    private let actionProfiles: NameIndex<P4ActionProfileInfo>
    private let counters: NameIndex<P4CounterInfo>
    private let directCounters: NameIndex<P4DirectCounterInfo>

    /// Indexes `p4info`; throws `.invalidP4Info` on an id of 0, a reused id or a reused name.
    public init(_ p4info: P4_Config_V1_P4Info) throws {
        self.p4info = p4info
        tables = try Self.index("table", p4info.tables) { ($0.preamble, P4TableInfo($0)) }
        actions = try Self.index("action", p4info.actions) { ($0.preamble, P4ActionInfo($0)) }
        actionProfiles = try Self.index("action profile", p4info.actionProfiles) { ($0.preamble, P4ActionProfileInfo($0)) }
        counters = try Self.index("counter", p4info.counters) { ($0.preamble, P4CounterInfo($0)) }
        directCounters = try Self.index("direct counter", p4info.directCounters) { ($0.preamble, P4DirectCounterInfo($0)) }
        for table in tables.elements {
            try Self.checkUnique(table.matchFields.map { ($0.id, $0.name) }, what: "match field", in: "table \"\(table.name)\"")
        }
        for action in actions.elements {
            try Self.checkUnique(action.params.map { ($0.id, $0.name) }, what: "parameter", in: "action \"\(action.name)\"")
        }
    }

    public var pkgInfo: P4_Config_V1_PkgInfo { p4info.pkgInfo }
    public var allTables: [P4TableInfo] { tables.elements }
    public var allActions: [P4ActionInfo] { actions.elements }

    // MARK: By name (full name or alias); errors name the unknown name and list the known ones.

    public func table(_ name: String) throws -> P4TableInfo { try tables.named(name) }
    public func action(_ name: String) throws -> P4ActionInfo { try actions.named(name) }
    public func actionProfile(_ name: String) throws -> P4ActionProfileInfo { try actionProfiles.named(name) }
    public func counter(_ name: String) throws -> P4CounterInfo { try counters.named(name) }
    public func directCounter(_ name: String) throws -> P4DirectCounterInfo { try directCounters.named(name) }

    /// The key field `field` of table `table`.
    public func matchField(_ field: String, inTable table: String) throws -> P4MatchFieldInfo {
        try self.table(table).matchField(field)
    }

    /// Parameter `param` of action `action`.
    public func param(_ param: String, ofAction action: String) throws -> P4ParamInfo {
        try self.action(action).param(param)
    }

    // MARK: By id (for decoding what a server returns)

    public func table(id: UInt32) -> P4TableInfo? { tables.withID(id) }
    public func action(id: UInt32) -> P4ActionInfo? { actions.withID(id) }
    public func actionProfile(id: UInt32) -> P4ActionProfileInfo? { actionProfiles.withID(id) }
    public func counter(id: UInt32) -> P4CounterInfo? { counters.withID(id) }
    public func directCounter(id: UInt32) -> P4DirectCounterInfo? { directCounters.withID(id) }

    private static func index<Proto, Element>(
        _ kind: String, _ protos: [Proto], _ make: (Proto) -> (P4_Config_V1_Preamble, Element)
    ) throws -> NameIndex<Element> {
        var index = NameIndex<Element>(kind: kind)
        for proto in protos {
            let (preamble, element) = make(proto)
            try index.add(element, id: preamble.id, name: preamble.name, alias: preamble.alias)
        }
        return index
    }

    /// Field and parameter ids are local to their parent; a duplicate would make encoding ambiguous.
    private static func checkUnique(_ items: [(UInt32, String)], what: String, in parent: String) throws {
        var ids = Set<UInt32>()
        var names = Set<String>()
        for (id, name) in items {
            guard ids.insert(id).inserted, names.insert(name).inserted else {
                throw P4InfoError(.invalidP4Info, "\(parent) has two \(what)s with id \(id) or name \"\(name)\"")
            }
        }
    }
}
