import Foundation
import GRPCCore
import InfraDaemon
import Logging
import P4Info
import P4RuntimeClient

/// Keeps the target equal to the desired state: programs each accepted change as one
/// `DataplaneTransaction`, and reconciles the whole target whenever a connection to it
/// becomes primary (start, reconnect, target restart).
///
/// While no target is ready, changes are refused with UNAVAILABLE and nothing changes: an
/// agent is never told a pod is plumbed when its entries are not on the target.
public actor DataplaneProgrammer {
    /// What status reports about the target.
    public struct TargetStatus: Sendable {
        public var ready: Bool
        public var detail: String
    }

    private var model: DataplaneModel
    private var target: (any DataplaneTarget)?
    private var detail = "not connected yet"
    private let stateFile: StateFile?
    private let journal: StateJournal?
    private let logger: Logger
    /// Ids the model handed out and freed since the last journal record.
    private var pendingIDs = DataplaneIDs.Delta()
    /// Journal records not yet on disk; whether a snapshot is due (the journal outgrew the
    /// last one, or an append failed); whether anything changed since the last snapshot's cut.
    private var unsynced = false
    private var compactionDue = false
    private var changedSinceSnapshot = false
    private var snapshotBytes = 0
    private weak var store: DesiredStateStore?
    private var writing = false
    private var compactionInFlight: Task<Void, Never>?
    private let saveDelay: Duration
    /// The group and member deletes of the last change, written after it was acknowledged.
    private var deferredDeletes: Task<Void, Never>?

    /// A compaction pays off once the journal holds more bytes than a snapshot would, but
    /// never for less than this.
    static let minimumCompactionBytes = 4 << 20

    /// The desired state recovered from the state file, for the store to start from.
    nonisolated let restored: (state: DesiredState, generation: UInt64)?

    /// Loads the state file (if any), replays its journal and builds the model of what the
    /// target should hold. After a replay the state file is rewritten at once, so the journal
    /// starts empty.
    init(schema: K8sDpSchema, settings: DataplaneSettings, stateFile: String?, saveDelay: Duration = .milliseconds(200), logger: Logger) throws {
        var model = DataplaneModel(translator: K8sDpTranslator(schema: schema, settings: settings))
        let file = stateFile.map(StateFile.init(path:))
        var state = DesiredState()
        var generation: UInt64 = 0
        var replayed = 0
        if let file {
            if let contents = try file.load() {
                try model.ids.restore(contents.ids)
                state = contents.desiredState
                generation = contents.generation
            }
            let (records, notes) = try StateJournal.records(of: file.path, after: generation)
            for note in notes { logger.warning("state journal", metadata: ["note": "\(note)"]) }
            for record in records {
                state.replay(record.change)
                do {
                    try model.ids.replay(record.ids)
                } catch {
                    throw StateFileError("state journal record \(record.generation) of \(file.path) does not fit its snapshot: \(error)")
                }
                generation = record.generation
            }
            replayed = records.count
        }
        var owners = DataplaneModel.changedOwners(previousHostInterface: nil, new: state)
        owners.insert(.node)
        let newIDs: DataplaneIDs.Delta
        do {
            newIDs = model.commit(try model.plan(state, owners: owners))
        } catch {
            throw StateFileError("the saved desired state no longer fits this configuration: \(error)")
        }
        state.clearTouched()
        if let file {
            if replayed > 0 || !newIDs.isEmpty {
                try file.save(StateFile.contents(of: state, generation: generation, ids: model.ids.snapshot))
            }
            let journal = StateJournal(statePath: file.path)
            journal.remove(try journal.startSegment(after: generation))
            self.journal = journal
            snapshotBytes = file.size
        } else {
            journal = nil
        }
        self.model = model
        self.stateFile = file
        self.saveDelay = saveDelay
        self.logger = logger
        restored = generation == 0 ? nil : (state, generation)
        logger.info("dataplane model built", metadata: ["generation": "\(generation)", "replayed": "\(replayed)", "objects": "\(model.allObjects.count)"])
    }

    /// Builds the programmer for the committed k8s_dp P4Info at `p4infoPath`.
    public init(p4info: P4InfoIndex, settings: DataplaneSettings, stateFile: String?, logger: Logger) throws {
        let schema: K8sDpSchema
        do {
            schema = try K8sDpSchema(p4info)
        } catch {
            throw DataplaneError(.badPipeline, "the P4Info is not k8s_dp as this manager knows it: \(error)")
        }
        try self.init(schema: schema, settings: settings, stateFile: stateFile, logger: logger)
    }

    // MARK: Changes

    /// Programs what `new` changed (its touched keys; the host interface compared with
    /// `previousHostInterface`); throws an `RPCError` the agent sees (INVALID_ARGUMENT /
    /// FAILED_PRECONDITION / RESOURCE_EXHAUSTED for the intent itself, UNAVAILABLE when the
    /// target is not ready or failed) and then nothing has changed.
    ///
    /// The change is acknowledged once it is in effect on the target: its entry deletes,
    /// inserts and modifies are acknowledged. Deleting the groups and members it left
    /// unreferenced follows in the background (one round trip less on a one-service change);
    /// the next change or reconciliation waits for it, so the ids those deletes free are never
    /// inserted again before they are gone. After a crash in between, the restarted manager's
    /// reconciliation deletes them as stale (the model no longer holds them).
    func program(previousHostInterface: HostInterfaceIntent?, to new: DesiredState) async throws {
        await settleDeferredDeletes()
        let owners = DataplaneModel.changedOwners(previousHostInterface: previousHostInterface, new: new)
        guard !owners.isEmpty else { return }
        let plan: DataplaneModel.Plan
        do {
            plan = try model.plan(new, owners: owners)
        } catch let error as IntentError {
            throw error.rpcError
        }
        guard let target else {
            model.abandon()
            throw RPCError(code: .unavailable, message: "the P4Runtime target is not ready (\(detail)); nothing was changed")
        }
        let (effective, deletes) = plan.transaction.splitOffDeletes()
        do {
            try await effective.apply(to: target)
        } catch let error as DataplaneError {
            model.abandon()
            if error.code != .writeRefused { markTargetLost("a write failed: \(error.message)") }
            throw Self.rpcError(error)
        }
        let ids = model.commit(plan)
        // Kept for the journal record only; a programmer without a state file has none.
        if journal != nil { pendingIDs.append(ids) }
        if !deletes.isEmpty {
            deferredDeletes = Task { await self.writeDeferred(deletes, to: target) }
        }
    }

    /// Waits until the last change's deferred deletes are on the target (or were repaired).
    public func settleDeferredDeletes() async {
        while let pending = deferredDeletes {
            deferredDeletes = nil
            await pending.value
        }
    }

    /// A failed deferred delete leaves only unreferenced objects behind, but the model has
    /// already freed their ids; reconciling removes them before the next change can reuse one.
    private func writeDeferred(_ deletes: DataplaneTransaction, to target: any DataplaneTarget) async {
        do {
            try await deletes.applyForward(to: target)
        } catch {
            logger.warning("deleting unreferenced groups and members failed; reconciling", metadata: ["error": "\(error)"])
            do {
                try await repair(target)
            } catch {
                markTargetLost("reconciliation after a failed delete failed: \(error)")
            }
        }
    }

    /// Records a change `store` accepted as generation `generation`: appended to the journal
    /// before the store answers, on disk within `saveDelay`. The state file itself is rewritten
    /// only when the journal has outgrown it (see `StateJournal`).
    func stateChanged(in store: DesiredStateStore, change: DesiredState.Change, generation: UInt64) {
        guard let journal else { return }
        self.store = store
        changedSinceSnapshot = true
        let record = StateJournal.Record(generation: generation, change: change, ids: pendingIDs)
        pendingIDs = DataplaneIDs.Delta()
        do {
            try journal.append(record)
            unsynced = true
        } catch {
            logger.error("cannot append to the state journal; saving the whole state instead", metadata: ["error": "\(error)"])
            compactionDue = true
        }
        if journal.segmentBytes > max(Self.minimumCompactionBytes, snapshotBytes) { compactionDue = true }
        guard !writing else { return }
        writing = true
        Task { await self.writerLoop() }
    }

    /// Syncs the journal every `saveDelay` while changes come, and compacts when due. The pause
    /// after a compaction is at least eight times its duration, so on a large node the
    /// snapshot writer takes at most a ninth of a core.
    private func writerLoop() async {
        var pause = saveDelay
        while unsynced || compactionDue {
            try? await Task.sleep(for: pause)
            pause = saveDelay
            if compactionDue {
                let started = ContinuousClock.now
                await compact()
                pause = max(saveDelay, (ContinuousClock.now - started) * 8)
            } else if unsynced, let journal {
                unsynced = false
                let synced = await Task.detached { () -> String? in
                    // Also hands back what the changes since the last sync freed: a stream of
                    // requests fragments the heap without any single one being large.
                    defer { HeapRelease.afterLargeTransientWork() }
                    do { try journal.sync(); return nil } catch { return "\(error)" }
                }.value
                if let failure = synced {
                    logger.error("cannot sync the state journal; saving the whole state instead", metadata: ["error": "\(failure)"])
                    compactionDue = true
                }
            }
        }
        writing = false
    }

    /// Writes a snapshot of every change accepted before the call and drops the journal up to
    /// it (graceful shutdown, tests). Returns once that snapshot is on disk, also when a
    /// compaction already under way had taken the caller's change.
    public func flush() async {
        await compact(onlyIfChanged: true)
    }

    /// One compaction at a time: a caller first waits for the one in flight, because that one
    /// may have cut the journal after the caller's change without having it on disk yet.
    private func compact(onlyIfChanged: Bool = false) async {
        while let running = compactionInFlight { await running.value }
        guard let store, let stateFile, let journal, changedSinceSnapshot || !onlyIfChanged else { return }
        compactionDue = false
        let logger = self.logger
        let compaction = Task {
            do {
                // State, ids and the journal's cut at one generation, between two changes.
                let (state, generation, cut) = try await store.snapshot { generation in
                    try await self.cutJournal(after: generation)
                }
                let bytes = try await Task.detached { () -> Int in
                    try stateFile.save(StateFile.contents(of: state, generation: generation, ids: cut.ids))
                    journal.remove(cut.olderSegments)
                    // Encoding the file freed megabytes of small allocations.
                    HeapRelease.afterLargeTransientWork()
                    return stateFile.size
                }.value
                self.compacted(bytes: bytes)
            } catch {
                logger.error("cannot save the state file; the journal keeps every change", metadata: ["error": "\(error)"])
                self.compactionFailed()
            }
            // Cleared by the compaction itself, before anyone waiting on it resumes.
            self.compactionInFlight = nil
        }
        compactionInFlight = compaction
        await compaction.value
    }

    /// Starts a new journal segment after `generation` and returns the ids at that point with
    /// the segments a snapshot at `generation` makes obsolete. Runs while the store's gate is
    /// held, so no change is half applied.
    private func cutJournal(after generation: UInt64) throws -> (ids: DataplaneIDs.Snapshot, olderSegments: [String]) {
        guard let journal else { return (model.ids.snapshot, []) }
        changedSinceSnapshot = false
        let older = try journal.startSegment(after: generation)
        unsynced = false
        return (model.ids.snapshot, older)
    }

    private func compacted(bytes: Int) { snapshotBytes = bytes }

    private func compactionFailed() {
        changedSinceSnapshot = true
        compactionDue = true
    }

    static func rpcError(_ error: DataplaneError) -> RPCError {
        if case let failure as P4RuntimeError = error.underlying,
           failure.failures.contains(where: { $0.canonicalCode == .resourceExhausted }) {
            return RPCError(code: .resourceExhausted, message: error.description)
        }
        return RPCError(code: error.code == .writeRefused ? .internalError : .unavailable, message: error.description)
    }

    // MARK: Target

    /// Makes `target` the one to program: reads everything the manager owns on it and writes
    /// what differs from the model, so nothing is missing, duplicated or stale. Returns the
    /// number of updates that took.
    @discardableResult
    func targetReady(_ target: some DataplaneTarget) async throws -> Int {
        await settleDeferredDeletes()
        let updates: Int
        do {
            updates = try await repair(target)
        } catch {
            markTargetLost("reconciliation failed: \(error)")
            throw error
        }
        self.target = target
        detail = "ready"
        logger.info("target reconciled", metadata: ["updates": "\(updates)"])
        return updates
    }

    /// Reads what the manager owns on `target` and writes what differs from the model.
    @discardableResult
    private func repair(_ target: some DataplaneTarget) async throws -> Int {
        let schema = model.translator.schema
        let actual = try await target.read(tables: schema.managedTables.map(\.id), profiles: schema.managedProfiles.map(\.id))
        let transaction = DataplaneTransaction(from: actual.filter { Self.managed($0.key, schema) }, to: model.allObjects, slotTables: schema.slotTables)
        try await transaction.apply(to: target)
        return transaction.updateCount
    }

    /// Default entries are only compared for the tables whose default the manager sets.
    private static func managed(_ key: TargetKey, _ schema: K8sDpSchema) -> Bool {
        if case .defaultEntry(let table) = key { return table == schema.arpToPort.id || table == schema.ipv4ToPort.id }
        return true
    }

    func markTargetLost(_ reason: String) {
        if target != nil { logger.warning("target lost", metadata: ["reason": "\(reason)"]) }
        target = nil
        detail = reason
    }

    public var targetStatus: TargetStatus { TargetStatus(ready: target != nil, detail: detail) }

    public var tableOccupancy: [(name: String, entries: Int, capacity: Int)] { model.tableOccupancy }
}
