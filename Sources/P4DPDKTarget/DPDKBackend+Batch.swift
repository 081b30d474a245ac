import CDPDK
import P4RuntimeAPI
import P4RuntimeServer

/// One commit per Write: staging, the undo record, and the commit itself.
extension DPDKBackend {
    /// Commits what the Write staged, then presets its counters. If DPDK refuses the commit
    /// (it aborts it: `abort_on_fail`), the record is put back as it was before the Write and
    /// the error is thrown, so every update the Write had accepted fails with it.
    public mutating func finishWrite() throws {
        let batch = self.batch
        self.batch = WriteBatch()
        guard !batch.isEmpty else { return }
        do {
            try dataplane.withPipeline { pipeline in
                if let broken = batch.broken {
                    cdpdk_abort(pipeline.pointer)
                    throw broken
                }
                if !batch.calls.isEmpty {
                    do {
                        try check { cdpdk_commit(pipeline.pointer, $0, $1) }
                    } catch let refused as P4ServerError {
                        throw P4ServerError(refused.code, "DPDK refused the commit of this Write, so none of its updates applied (\(refused.message))")
                    }
                }
                for preset in batch.counterPresets { Self.write(preset, on: pipeline) }
            }
        } catch {
            for change in batch.changes.reversed() { undo(change) }
            releaseGroups(batch.calls)
            throw error
        }
    }

    /// Gives DPDK back the selector group ids an aborted Write had taken (best effort: if this
    /// commit fails too, those ids stay taken until the next pipeline).
    private func releaseGroups(_ calls: [StagedCall]) {
        let added = calls.compactMap { call -> StagedCall? in
            if case .groupAdd(let selector, let id) = call { return .groupDelete(selector: selector, id: id) }
            return nil
        }
        guard !added.isEmpty else { return }
        _ = try? dataplane.withPipeline { pipeline in
            do {
                for call in added { try call.stage(on: pipeline) }
                try check { cdpdk_commit(pipeline.pointer, $0, $1) }
            } catch {
                cdpdk_abort(pipeline.pointer)
            }
        }
    }

    /// Stages a new selector group and returns the id DPDK chose for it.
    mutating func stageNewGroup(_ selector: String) throws -> UInt32 {
        var id: UInt32 = 0
        try stage { pipeline in
            id = try StagedCall.addGroup(selector, on: pipeline)
            return [.groupAdd(selector: selector, id: id)]
        }
        return id
    }

    /// Stages one update's calls.
    mutating func stage(_ calls: [StagedCall]) throws {
        try stage { pipeline in
            for call in calls { try call.stage(on: pipeline) }
            return calls
        }
    }

    /// Stages one update with `body`, which returns the calls it staged. If any is refused,
    /// DPDK's whole staging is aborted and the Write's earlier calls are staged again, so the
    /// refused update leaves nothing behind and the others still commit.
    mutating func stage(_ body: (PipelineHandle) throws -> [StagedCall]) throws {
        let earlier = batch.calls
        var broken: P4ServerError?
        defer { if let broken { batch.broken = broken } }
        let staged = try dataplane.withPipeline { pipeline in
            do {
                return try body(pipeline)
            } catch {
                cdpdk_abort(pipeline.pointer)
                do {
                    for call in earlier { try call.stage(on: pipeline) }
                } catch let restage {
                    broken = P4ServerError(.internalError, "after refusing an update DPDK did not take this Write's earlier updates again (\(restage)); the whole Write is undone")
                }
                throw error
            }
        }
        batch.calls += staged
    }

    // MARK: Undo

    /// Notes an entry's state before a put or remove changes it.
    mutating func noteEntryChange(_ key: P4TableEntryKey) {
        batch.changes.append(.tableEntry(key, previous: record.tableEntry(key), position: record.readPosition(key), matches: installed[key]))
    }

    mutating func noteMemberChange(profileID: UInt32, memberID: UInt32) {
        batch.changes.append(.member(profileID: profileID, memberID: memberID, previous: record.member(profileID: profileID, memberID: memberID)))
    }

    mutating func noteGroupChange(profileID: UInt32, groupID: UInt32) {
        batch.changes.append(.group(profileID: profileID, groupID: groupID, previous: record.group(profileID: profileID, groupID: groupID), dpdkID: groupIDs[profileID]?[groupID]))
    }

    /// Puts one record object back; each call can only have succeeded before, so none fails.
    private mutating func undo(_ change: RecordChange) {
        switch change {
        case .tableEntry(let key, let previous, let position, let matches):
            let specName = map?.tables[key.tableID]?.specName ?? ""
            for match in installed[key] ?? [] { owners[specName]?[match] = nil }
            if let previous, let position {
                if record.tableEntry(key) != nil {
                    try? record.putTableEntry(previous, key: key)
                } else {
                    record.restoreTableEntry(previous, key: key, readPosition: position)
                }
            } else {
                try? record.removeTableEntry(key)
            }
            installed[key] = matches
            for match in matches ?? [] { owners[specName, default: [:]][match] = key }
        case .defaultEntry(let tableID, let previous):
            try? record.setDefaultEntry(previous, tableID: tableID)
        case .member(let profileID, let memberID, let previous):
            if let previous { try? record.putMember(previous) } else { try? record.removeMember(profileID: profileID, memberID: memberID) }
        case .group(let profileID, let groupID, let previous, let dpdkID):
            if let previous { try? record.putGroup(previous) } else { try? record.removeGroup(profileID: profileID, groupID: groupID) }
            groupIDs[profileID, default: [:]][groupID] = dpdkID
        }
    }

    // MARK: Counters

    /// Writes a preset's cells; `setCounterData` checked the range, so no write is refused.
    private static func write(_ preset: CounterPreset, on pipeline: PipelineHandle) {
        for index in preset.indices {
            if let packets = preset.counter.packets {
                _ = cdpdk_regarray_write(pipeline.pointer, packets, UInt32(index), UInt64(preset.data.packetCount))
            }
            if let bytes = preset.counter.bytes {
                _ = cdpdk_regarray_write(pipeline.pointer, bytes, UInt32(index), UInt64(preset.data.byteCount))
            }
        }
    }
}
