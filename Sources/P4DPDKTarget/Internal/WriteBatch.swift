import CDPDK
import P4RuntimeAPI
import P4RuntimeServer

/// What one Write has staged in `rte_swx_ctl` and changed in the backend's record, until
/// `finishWrite` commits it (and forgets this) or undoes it.
struct WriteBatch: Sendable {
    /// The DPDK calls of the updates accepted so far, in order: after a refused update DPDK's
    /// staging is aborted and these are staged again.
    var calls: [StagedCall] = []
    /// How to put the record back, one change per backend call, oldest first.
    var changes: [RecordChange] = []
    /// Counter presets: register writes are not part of a DPDK transaction, so they wait for
    /// the commit.
    var counterPresets: [CounterPreset] = []
    /// Set when the staging could not be restored after a refused update: the Write cannot
    /// commit any of it.
    var broken: P4ServerError?

    var isEmpty: Bool { calls.isEmpty && changes.isEmpty && counterPresets.isEmpty && broken == nil }
}

/// One `rte_swx_ctl` staging call, kept as data so it can be staged again.
enum StagedCall: Sendable {
    case tableEntry(table: String, text: String, operation: cdpdk_entry_op)
    case learnerDefault(learner: String, action: String)
    /// The group id DPDK chose (`addGroup`). DPDK keeps an added group id through an abort
    /// (`selector_abort` leaves `groups_added`), so staging it again is nothing to do; a
    /// group id must be given back with a delete and a commit.
    case groupAdd(selector: String, id: UInt32)
    case groupDelete(selector: String, id: UInt32)
    /// Weight 0 removes the member from the group.
    case groupMember(selector: String, group: UInt32, member: UInt32, weight: UInt32)

    func stage(on pipeline: PipelineHandle) throws {
        switch self {
        case .tableEntry(let table, let text, let operation):
            try check { cdpdk_table_entry(pipeline.pointer, table, text, Int32(operation.rawValue), $0, $1) }
        case .learnerDefault(let learner, let action):
            try check { cdpdk_learner_default_entry(pipeline.pointer, learner, action, $0, $1) }
        case .groupAdd:
            break
        case .groupDelete(let selector, let id):
            try check { cdpdk_selector_group_delete(pipeline.pointer, selector, id, $0, $1) }
        case .groupMember(let selector, let group, let member, 0):
            try check { cdpdk_selector_member_delete(pipeline.pointer, selector, group, member, $0, $1) }
        case .groupMember(let selector, let group, let member, let weight):
            try check { cdpdk_selector_member_add(pipeline.pointer, selector, group, member, weight, $0, $1) }
        }
    }

    /// Stages a new selector group; DPDK picks (and returns) its id.
    static func addGroup(_ selector: String, on pipeline: PipelineHandle) throws -> UInt32 {
        var chosen: UInt32 = 0
        try check { cdpdk_selector_group_add(pipeline.pointer, selector, &chosen, $0, $1) }
        return chosen
    }
}

/// The state of one record object before a backend call changed it.
enum RecordChange: Sendable {
    /// `position` is its place in read order, `matches` the DPDK match texts it had.
    case tableEntry(P4TableEntryKey, previous: P4_V1_TableEntry?, position: Int?, matches: [String]?)
    case defaultEntry(tableID: UInt32, previous: P4_V1_TableEntry?)
    case member(profileID: UInt32, memberID: UInt32, previous: P4_V1_ActionProfileMember?)
    case group(profileID: UInt32, groupID: UInt32, previous: P4_V1_ActionProfileGroup?, dpdkID: UInt32?)
}

/// A counter cell range to preset once the Write's commit succeeded.
struct CounterPreset: Sendable {
    var counter: PipelineMap.Counter
    var data: P4_V1_CounterData
    var indices: Range<Int64>
}
