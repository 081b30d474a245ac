import Foundation
import GRPCCore
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
    private let logger: Logger
    /// Whether an accepted change is not in the state file yet, where to read the state from,
    /// and whether a writer runs.
    private var dirty = false
    private weak var store: DesiredStateStore?
    private var saving = false
    private var saveInFlight: Task<Void, Never>?
    private let saveDelay: Duration
    /// The group and member deletes of the last change, written after it was acknowledged.
    private var deferredDeletes: Task<Void, Never>?

    /// The desired state recovered from the state file, for the store to start from.
    nonisolated let restored: (state: DesiredState, generation: UInt64)?

    /// Loads the state file (if any) and builds the model of what the target should hold.
    init(schema: K8sDpSchema, settings: DataplaneSettings, stateFile: String?, saveDelay: Duration = .milliseconds(200), logger: Logger) throws {
        var model = DataplaneModel(translator: K8sDpTranslator(schema: schema, settings: settings))
        let file = stateFile.map(StateFile.init(path:))
        var state = DesiredState()
        var generation: UInt64 = 0
        if let contents = try file?.load() {
            try model.ids.restore(contents.ids)
            state = contents.desiredState
            generation = contents.generation
        }
        var owners = DataplaneModel.changedOwners(previousHostInterface: nil, new: state)
        owners.insert(.node)
        do {
            model.commit(try model.plan(state, owners: owners))
        } catch {
            throw StateFileError("the saved desired state no longer fits this configuration: \(error)")
        }
        state.clearTouched()
        self.model = model
        self.stateFile = file
        self.saveDelay = saveDelay
        self.logger = logger
        restored = generation == 0 ? nil : (state, generation)
        logger.info("dataplane model built", metadata: ["generation": "\(generation)", "objects": "\(model.allObjects.count)"])
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
        model.commit(plan)
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

    /// Notes that `store` accepted a change; the state file is rewritten shortly after,
    /// coalescing changes that arrive meanwhile.
    ///
    /// Why nothing is copied or encoded here: with 10,000 services the snapshot is megabytes
    /// of JSON, and building it on every change put O(node) work on the path of a one-service
    /// change. The writer takes one snapshot per save and encodes it off this actor.
    func stateChanged(in store: DesiredStateStore) {
        guard stateFile != nil else { return }
        self.store = store
        dirty = true
        guard !saving else { return }
        saving = true
        Task { await self.saveLoop() }
    }

    /// Saves while changes keep coming. The pause before each save is at least `saveDelay` and
    /// at least eight times the last save's duration, so on a large node under a stream of
    /// changes the writer takes at most a ninth of a core (at four times it still took a
    /// quarter of the manager's CPU during a bulk load); the file then trails by a few
    /// seconds, which the agent's Sync after a crash makes up for.
    private func saveLoop() async {
        var pause = saveDelay
        while dirty {
            try? await Task.sleep(for: pause)
            let started = ContinuousClock.now
            await saveNow()
            pause = max(saveDelay, (ContinuousClock.now - started) * 8)
        }
        saving = false
    }

    /// Writes the current state if it changed since the last write (graceful shutdown, tests).
    /// Returns once every change accepted before the call is in the file, also when the
    /// background writer had already taken it and is still writing.
    public func flush() async {
        await saveNow()
    }

    /// One write at a time: a caller first waits for the write in flight, because that one may
    /// have claimed the caller's change (cleared `dirty`) without having it on disk yet.
    private func saveNow() async {
        while let running = saveInFlight { await running.value }
        guard dirty, let store, let stateFile else { return }
        dirty = false
        let logger = self.logger
        let write = Task {
            // Ids first: a state newer than its ids only costs rewriting a few entries after a
            // crash, while ids newer than the state would keep ids of objects that are gone.
            let ids = self.model.ids
            let (state, generation) = await store.snapshot()
            await Task.detached {
                do {
                    try stateFile.save(StateFile.contents(of: state, generation: generation, ids: ids.snapshot))
                } catch {
                    logger.error("cannot save the state file", metadata: ["error": "\(error)"])
                }
            }.value
            // Cleared by the write itself, before anyone waiting on it resumes.
            self.saveInFlight = nil
        }
        saveInFlight = write
        await write.value
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
