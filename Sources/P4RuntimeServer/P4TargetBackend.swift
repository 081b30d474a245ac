import Foundation
import P4Info
import P4RuntimeAPI

/// Where forwarding state lives: the part of a P4Runtime target that differs between the
/// in-memory emulator and a real dataplane (DPDK later).
///
/// The core has already checked every rule P4Runtime states (ids, match kinds, bytestrings,
/// priorities, references, capacity) before it calls a backend, and it serializes all calls
/// under one lock, so a backend only stores and realizes. Entries arrive canonical (shortest
/// bytestrings, matches sorted by field id) and are returned as stored. A backend that cannot
/// realize something throws; a `P4ServerError` keeps its code, anything else becomes INTERNAL.
///
/// Pipeline changes need no more than `verify` and `realize`: COMMIT (after VERIFY_AND_SAVE)
/// and RECONCILE_AND_COMMIT are done by the core as `realize` followed by a replay of the
/// kept state through the same put/set calls a Write makes.
///
/// Counters: indexed counter cells go through `counterData` / `setCounterData`. A direct
/// counter's value travels on its table entry (`counter_data`), so `tableEntry` and
/// `tableEntries` return it and `putTableEntry` presets it. In memory, no packets flow and a
/// counter holds what was last written (zero at first). A dataplane backend (DPDK) answers
/// reads from the pipeline's statistics instead and treats a write as a preset of the cell,
/// usually a reset to zero (keeping a per-cell offset where the hardware counter cannot be
/// written).
public protocol P4TargetBackend: Sendable {
    /// Checks that `pipeline` could be realized, changing nothing (VERIFY).
    func verify(_ pipeline: P4InfoIndex, deviceConfig: Data) throws
    /// Realizes `pipeline` and drops all forwarding state, counters included (VERIFY_AND_COMMIT).
    mutating func realize(_ pipeline: P4InfoIndex, deviceConfig: Data) throws

    func tableEntry(_ key: P4TableEntryKey) -> P4_V1_TableEntry?
    func tableEntries(tableID: UInt32) -> [P4_V1_TableEntry]
    func tableEntryCount(tableID: UInt32) -> Int
    /// Inserts or replaces the entry with this key.
    mutating func putTableEntry(_ entry: P4_V1_TableEntry, key: P4TableEntryKey) throws
    mutating func removeTableEntry(_ key: P4TableEntryKey) throws

    /// The default entry, nil when the program gives the table no default action.
    func defaultEntry(tableID: UInt32) -> P4_V1_TableEntry?
    mutating func setDefaultEntry(_ entry: P4_V1_TableEntry?, tableID: UInt32) throws

    func member(profileID: UInt32, memberID: UInt32) -> P4_V1_ActionProfileMember?
    func members(profileID: UInt32) -> [P4_V1_ActionProfileMember]
    mutating func putMember(_ member: P4_V1_ActionProfileMember) throws
    mutating func removeMember(profileID: UInt32, memberID: UInt32) throws

    func group(profileID: UInt32, groupID: UInt32) -> P4_V1_ActionProfileGroup?
    func groups(profileID: UInt32) -> [P4_V1_ActionProfileGroup]
    mutating func putGroup(_ group: P4_V1_ActionProfileGroup) throws
    mutating func removeGroup(profileID: UInt32, groupID: UInt32) throws

    /// One cell of an indexed counter (§9.3.1), zero for a cell never written. The core has
    /// checked the counter id and that `index` is within the counter's size.
    func counterData(counterID: UInt32, index: Int64) -> P4_V1_CounterData
    /// Sets the cells `indices` of a counter to `data` (CounterEntry MODIFY; all cells when
    /// the request leaves the index unset).
    mutating func setCounterData(_ data: P4_V1_CounterData, counterID: UInt32, indices: Range<Int64>) throws

    /// The references between entries, groups and members (see `ActionProfileReferences`),
    /// kept current by the backend's put and remove calls.
    var references: ActionProfileReferences { get }
    /// How many members profile `profileID` holds.
    func memberCount(profileID: UInt32) -> Int

    /// Ends a batch: called once after every update of a Write was applied or refused (and
    /// after a pipeline commit's replay). A backend that stages changes (DPDK) commits them
    /// here, once, instead of once per update. If it throws, it must first undo every change
    /// since the previous call, so that reads answer as before the batch; the core then
    /// reports each update it had accepted in that Write as failed with this error.
    mutating func finishWrite() throws
}
