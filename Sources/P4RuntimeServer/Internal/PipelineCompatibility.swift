import P4Info
import P4RuntimeAPI

/// Whether RECONCILE_AND_COMMIT can keep the forwarding state of the running pipeline under a
/// new P4Info (§14).
///
/// The emulator's rule, narrower than "whatever the target can translate": every table,
/// action profile and counter that holds state must exist in the new P4Info with the same id
/// and an unchanged definition (match fields, actions and their parameters, implementation,
/// direct resources; a profile's tables and selector; a counter's size and unit). Objects
/// without state may change or disappear freely. Anything else is refused with
/// INVALID_ARGUMENT naming the first object that blocks, and nothing changes.
enum PipelineCompatibility {
    /// What a table entry's meaning depends on; names and documentation are left out.
    struct TableShape: Equatable {
        var matchFields: [P4MatchFieldInfo]
        var actions: [ActionShape]
        var implementationID: UInt32?
        var directResourceIDs: [UInt32]
        var isConst: Bool
        var supportsIdleTimeout: Bool

        init(_ table: P4TableInfo, in index: P4InfoIndex) {
            matchFields = table.matchFields.sorted { $0.id < $1.id }
            actions = table.actionRefs.map { ActionShape(ref: $0, index: index) }.sorted { $0.id < $1.id }
            implementationID = table.implementationID
            directResourceIDs = table.directResourceIDs.sorted()
            isConst = table.isConst
            supportsIdleTimeout = table.supportsIdleTimeout
        }
    }

    struct ActionShape: Equatable {
        var id: UInt32
        var scope: Int
        var params: [P4ParamInfo]

        init(ref: P4_Config_V1_ActionRef, index: P4InfoIndex) {
            id = ref.id
            scope = ref.scope.rawValue
            params = index.action(id: ref.id)?.params.sorted { $0.id < $1.id } ?? []
        }
    }

    static func check(_ snapshot: ForwardingSnapshot, from old: P4InfoIndex, to new: P4InfoIndex) throws {
        for table in old.allTables where snapshot.tableIDs.contains(table.id) {
            try checkTable(table, old: old, new: new, holding: snapshot.entries[table.id]?.count ?? 0, why: "holds state")
        }
        for profile in old.allActionProfiles where snapshot.profileIDs.contains(profile.id) {
            guard let next = new.actionProfile(id: profile.id) else {
                throw refusal("action profile \"\(profile.name)\" has members or groups but is not in the new P4Info")
            }
            guard next.withSelector == profile.withSelector, next.maxGroupSize == profile.maxGroupSize,
                  next.tableIDs.sorted() == profile.tableIDs.sorted() else {
                throw refusal("action profile \"\(profile.name)\" has members or groups and its definition changes (selector, max group size or tables)")
            }
            // Members carry actions of the profile's tables, so those must keep their shape too.
            for table in profile.tableIDs.compactMap({ old.table(id: $0) }) {
                try checkTable(table, old: old, new: new, holding: 0, why: "uses action profile \"\(profile.name)\", which has members or groups,")
            }
        }
        for counter in old.allCounters where snapshot.counterIDs.contains(counter.id) {
            guard let next = new.counter(id: counter.id), next.size == counter.size, next.unit == counter.unit else {
                throw refusal("counter \"\(counter.name)\" has non-zero cells and is missing or changes size or unit in the new P4Info")
            }
        }
    }

    /// `why` says what makes the table matter, for the error.
    private static func checkTable(_ table: P4TableInfo, old: P4InfoIndex, new: P4InfoIndex, holding entries: Int, why: String) throws {
        guard let next = new.table(id: table.id) else {
            throw refusal("table \"\(table.name)\" \(why) but is not in the new P4Info")
        }
        guard TableShape(next, in: new) == TableShape(table, in: old) else {
            throw refusal("table \"\(table.name)\" \(why) and its definition changes (match fields, actions, parameters, implementation or direct resources)")
        }
        if next.size > 0 && entries > next.size {
            throw refusal("table \"\(table.name)\" holds \(entries) entries but its new size is \(next.size)")
        }
    }

    private static func refusal(_ reason: String) -> P4ServerError {
        P4ServerError(.invalidArgument, "RECONCILE_AND_COMMIT cannot keep the forwarding state: \(reason); use VERIFY_AND_COMMIT to start empty")
    }
}
