import CDPDK
import Foundation
import P4Info
import P4RuntimeAPI
import P4RuntimeServer

/// The P4Runtime core's backend for DPDK's SWX pipeline.
///
/// What clients wrote is kept in an `InMemoryBackend`, which Reads answer from. Each put or
/// remove is staged through `rte_swx_ctl` and noted in the record at once (so later updates
/// of the same Write see it); `finishWrite` commits the Write's staging once. A refused
/// update is taken out of the staging alone (CONTINUE_ON_ERROR: the others still apply); a
/// refused commit is aborted and the record put back, so the pipeline never differs from what
/// Read returns. Counters are read from and preset in the pipeline's register arrays, where
/// p4c-dpdk keeps PNA counters.
public struct DPDKBackend: P4TargetBackend {
    let dataplane: DPDKDataplane
    let builder: PipelineLibraryBuilder
    /// Used when SetForwardingPipelineConfig carries an empty `p4_device_config` (a
    /// controller that only knows P4Info, like the emulator's clients).
    let defaultDeviceConfig: DPDKDeviceConfig?

    var record = InMemoryBackend()
    var map: PipelineMap?
    /// The DPDK match texts each P4Runtime entry became (several for an expanded RANGE).
    var installed: [P4TableEntryKey: [String]] = [:]
    /// Which entry owns a DPDK match text, per spec table: two P4Runtime entries must not
    /// collapse into one DPDK entry.
    var owners: [String: [String: P4TableEntryKey]] = [:]
    /// P4Runtime group id → the group id DPDK's selector chose, per action profile.
    var groupIDs: [UInt32: [UInt32: UInt32]] = [:]
    /// The current Write's staging and undo (see `finishWrite`).
    var batch = WriteBatch()

    public init(dataplane: DPDKDataplane, builder: PipelineLibraryBuilder, defaultDeviceConfig: DPDKDeviceConfig? = nil) {
        self.dataplane = dataplane
        self.builder = builder
        self.defaultDeviceConfig = defaultDeviceConfig
    }

    public var references: ActionProfileReferences { record.references }

    // MARK: Pipeline

    public func verify(_ pipeline: P4InfoIndex, deviceConfig: Data) throws {
        let config = try self.config(deviceConfig)
        _ = try PipelineMap(index: pipeline, config: config)
        _ = try builder.library(forSpec: config.spec)
    }

    public mutating func realize(_ pipeline: P4InfoIndex, deviceConfig: Data) throws {
        let config = try self.config(deviceConfig)
        let map = try PipelineMap(index: pipeline, config: config)
        let library = try builder.library(forSpec: config.spec)
        let ports = dataplane.settings.ports
        try dataplane.install(library: library) { next in
            if let register = map.directionRegister {
                for (index, port) in ports.enumerated() where cdpdk_regarray_write(next.pointer, register, UInt32(index), port.direction.rawValue) != 0 {
                    throw P4ServerError(.invalidArgument, "the program's direction register cannot hold port \(index)")
                }
            }
            for (learner, timeouts) in config.learnerTimeouts.sorted(by: { $0.key < $1.key }) {
                for (id, seconds) in timeouts.enumerated() {
                    try check { cdpdk_learner_timeout_set(next.pointer, learner, UInt32(id), seconds, $0, $1) }
                }
            }
        }
        self.map = map
        record = InMemoryBackend()
        batch = WriteBatch()
        installed = [:]
        owners = [:]
        groupIDs = [:]
    }

    private func config(_ data: Data) throws -> DPDKDeviceConfig {
        if data.isEmpty, let defaultDeviceConfig { return defaultDeviceConfig }
        return try DPDKDeviceConfig(data)
    }

    private func mapped() throws -> PipelineMap {
        guard let map else { throw P4ServerError(.failedPrecondition, "no pipeline is running") }
        return map
    }

    private func table(_ id: UInt32) throws -> PipelineMap.Table {
        guard let table = try mapped().tables[id] else { throw P4ServerError(.notFound, "table id \(id) is not in the running pipeline") }
        return table
    }

    private func profile(_ id: UInt32) throws -> PipelineMap.Profile {
        guard let profile = try mapped().profiles[id] else { throw P4ServerError(.notFound, "action profile id \(id) is not in the running pipeline") }
        return profile
    }

    // MARK: Table entries

    public func tableEntry(_ key: P4TableEntryKey) -> P4_V1_TableEntry? { record.tableEntry(key) }
    public func tableEntries(tableID: UInt32) -> [P4_V1_TableEntry] { record.tableEntries(tableID: tableID) }
    public func tableEntryCount(tableID: UInt32) -> Int { record.tableEntryCount(tableID: tableID) }

    public mutating func putTableEntry(_ entry: P4_V1_TableEntry, key: P4TableEntryKey) throws {
        let table = try table(key.tableID)
        guard !table.isLearner else {
            throw P4ServerError(.unimplemented, "table \"\(table.name)\" is a DPDK learner: DPDK 22.11's rte_swx_ctl cannot add its entries, the data plane learns them")
        }
        let matches = try EntryText.matches(entry, table: table)
        let action = try EntryText.action(entry.action, table: table) { try dpdkGroupID($0, table: key.tableID) }
        for match in matches {
            if let owner = owners[table.specName]?[match], owner != key {
                throw P4ServerError(.unimplemented, "table \"\(table.name)\": in DPDK this entry would be the same wildcard entry as another one (\(match)); entries differing only in priority are not supported")
            }
        }
        try stage(matches.map { .tableEntry(table: table.specName, text: $0 + " " + action, operation: CDPDK_ENTRY_ADD) })
        noteEntryChange(key)
        // A MODIFY whose new matches drop some of the old ones (never for one key today)
        // would leave them owned: release the old ones first.
        for match in installed[key] ?? [] { owners[table.specName]?[match] = nil }
        try record.putTableEntry(entry, key: key)
        installed[key] = matches
        for match in matches { owners[table.specName, default: [:]][match] = key }
    }

    public mutating func removeTableEntry(_ key: P4TableEntryKey) throws {
        let table = try table(key.tableID)
        let matches = installed[key] ?? []
        try stage(matches.map { .tableEntry(table: table.specName, text: $0, operation: CDPDK_ENTRY_DELETE) })
        noteEntryChange(key)
        try record.removeTableEntry(key)
        installed[key] = nil
        for match in matches { owners[table.specName]?[match] = nil }
    }

    public func defaultEntry(tableID: UInt32) -> P4_V1_TableEntry? { record.defaultEntry(tableID: tableID) }

    public mutating func setDefaultEntry(_ entry: P4_V1_TableEntry?, tableID: UInt32) throws {
        let table = try table(tableID)
        // A const default is the spec's own; nothing to change in DPDK.
        if let entry, !table.constDefault {
            let action = try EntryText.action(entry.action, table: table) { try dpdkGroupID($0, table: tableID) }
            try stage([table.isLearner
                ? .learnerDefault(learner: table.specName, action: action)
                : .tableEntry(table: table.specName, text: action, operation: CDPDK_ENTRY_DEFAULT)])
        }
        batch.changes.append(.defaultEntry(tableID: tableID, previous: record.defaultEntry(tableID: tableID)))
        try record.setDefaultEntry(entry, tableID: tableID)
    }

    // MARK: Action profiles

    public func member(profileID: UInt32, memberID: UInt32) -> P4_V1_ActionProfileMember? { record.member(profileID: profileID, memberID: memberID) }
    public func members(profileID: UInt32) -> [P4_V1_ActionProfileMember] { record.members(profileID: profileID) }
    public func memberCount(profileID: UInt32) -> Int { record.memberCount(profileID: profileID) }

    /// A member is the entry keyed by its id in the profile's member table.
    public mutating func putMember(_ member: P4_V1_ActionProfileMember) throws {
        let profile = try profile(member.actionProfileID)
        guard let action = profile.actions[member.action.actionID] else {
            throw P4ServerError(.invalidArgument, "action profile \"\(profile.name)\": action id \(member.action.actionID) has no DPDK action")
        }
        let text = "match \(EntryText.hex(UInt64(member.memberID))) " + (try EntryText.action(member.action, mapped: action))
        try stage([.tableEntry(table: profile.memberTable, text: text, operation: CDPDK_ENTRY_ADD)])
        noteMemberChange(profileID: member.actionProfileID, memberID: member.memberID)
        try record.putMember(member)
    }

    public mutating func removeMember(profileID: UInt32, memberID: UInt32) throws {
        let profile = try profile(profileID)
        try stage([.tableEntry(table: profile.memberTable, text: "match \(EntryText.hex(UInt64(memberID)))", operation: CDPDK_ENTRY_DELETE)])
        noteMemberChange(profileID: profileID, memberID: memberID)
        try record.removeMember(profileID: profileID, memberID: memberID)
    }

    public func group(profileID: UInt32, groupID: UInt32) -> P4_V1_ActionProfileGroup? { record.group(profileID: profileID, groupID: groupID) }
    public func groups(profileID: UInt32) -> [P4_V1_ActionProfileGroup] { record.groups(profileID: profileID) }

    /// A group is a selector group; DPDK picks its id, the map keeps it.
    public mutating func putGroup(_ group: P4_V1_ActionProfileGroup) throws {
        let profile = try profile(group.actionProfileID)
        guard let selector = profile.selector else {
            throw P4ServerError(.unimplemented, "action profile \"\(profile.name)\" has no selector, so it has no groups in DPDK")
        }
        let old = record.group(profileID: group.actionProfileID, groupID: group.groupID)
        let before = Dictionary((old?.members ?? []).map { ($0.memberID, $0.weight) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(group.members.map { ($0.memberID, $0.weight) }, uniquingKeysWith: { first, _ in first })
        let known = groupIDs[group.actionProfileID]?[group.groupID]
        let id: UInt32
        if let known { id = known } else { id = try stageNewGroup(selector) }
        var calls: [StagedCall] = []
        for (member, weight) in before where after[member] != weight {
            calls.append(.groupMember(selector: selector, group: id, member: member, weight: 0))
        }
        for (member, weight) in after where before[member] != weight {
            calls.append(.groupMember(selector: selector, group: id, member: member, weight: UInt32(max(weight, 1))))
        }
        do {
            try stage(calls)
        } catch {
            // The refused update's new group id goes back to DPDK with this Write's commit.
            if known == nil { try? stage([.groupDelete(selector: selector, id: id)]) }
            throw error
        }
        noteGroupChange(profileID: group.actionProfileID, groupID: group.groupID)
        try record.putGroup(group)
        groupIDs[group.actionProfileID, default: [:]][group.groupID] = id
    }

    public mutating func removeGroup(profileID: UInt32, groupID: UInt32) throws {
        let profile = try profile(profileID)
        if let selector = profile.selector, let id = groupIDs[profileID]?[groupID] {
            try stage([.groupDelete(selector: selector, id: id)])
        }
        noteGroupChange(profileID: profileID, groupID: groupID)
        try record.removeGroup(profileID: profileID, groupID: groupID)
        groupIDs[profileID]?[groupID] = nil
    }

    private func dpdkGroupID(_ group: UInt32, table: UInt32) throws -> UInt32 {
        guard let profileID = try self.table(table).profileID, let id = groupIDs[profileID]?[group] else {
            throw P4ServerError(.notFound, "group \(group) has no DPDK selector group")
        }
        return id
    }

    // MARK: Counters

    public func counterData(counterID: UInt32, index: Int64) -> P4_V1_CounterData {
        var data = P4_V1_CounterData()
        guard let counter = map?.counters[counterID] else { return data }
        _ = try? dataplane.withPipeline { pipeline in
            var value: UInt64 = 0
            if let packets = counter.packets, cdpdk_regarray_read(pipeline.pointer, packets, UInt32(index), &value) == 0 {
                data.packetCount = Int64(truncatingIfNeeded: value)
            }
            if let bytes = counter.bytes, cdpdk_regarray_read(pipeline.pointer, bytes, UInt32(index), &value) == 0 {
                data.byteCount = Int64(truncatingIfNeeded: value)
            }
        }
        return data
    }

    /// Presets the cells in the register arrays (a register can be written, so no offset),
    /// once the Write commits. The range is checked now, so the preset cannot fail later.
    public mutating func setCounterData(_ data: P4_V1_CounterData, counterID: UInt32, indices: Range<Int64>) throws {
        guard let counter = try mapped().counters[counterID] else { throw P4ServerError(.notFound, "counter id \(counterID) is not in the running pipeline") }
        guard !indices.isEmpty else { return }
        try dataplane.withPipeline { pipeline in
            for array in [counter.packets, counter.bytes].compactMap({ $0 }) {
                var value: UInt64 = 0
                for index in [indices.lowerBound, indices.upperBound - 1] where cdpdk_regarray_read(pipeline.pointer, array, UInt32(index), &value) != 0 {
                    throw P4ServerError(.outOfRange, "counter cell \(array)[\(index)] is not in the pipeline")
                }
            }
        }
        batch.counterPresets.append(CounterPreset(counter: counter, data: data, indices: indices))
    }
}
