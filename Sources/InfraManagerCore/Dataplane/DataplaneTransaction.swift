import P4RuntimeAPI
import P4RuntimeClient

/// The one way the manager changes the target: the updates that turn one set of objects
/// into another, in dependency order, each with the update that undoes it.
///
/// Phases run one after another because a target may reorder updates within a request
/// (§12.2): entry deletes first (they free the groups and members they point at), then member,
/// group and entry inserts and modifies, then group and member deletes. Entries of a slot
/// table (`K8sDpSchema.slotTables`) travel with the members: a group's slot must have its
/// entry before the group lists it and keep it until the group no longer does, although
/// only the data plane, not P4Runtime, follows that reference. If a phase fails,
/// everything already done is undone in reverse, so a failed transaction leaves the target as
/// it found it and never holds half an intent.
struct DataplaneTransaction: Sendable {
    struct Step: Sendable {
        let update: P4EncodedUpdate
        let undo: P4EncodedUpdate
    }

    private(set) var phases: [[Step]] = Array(repeating: [], count: 6)

    var isEmpty: Bool { phases.allSatisfy(\.isEmpty) }
    var updateCount: Int { phases.reduce(0) { $0 + $1.count } }

    /// The transaction turning `old` into `new` for the keys in `keys` (all keys of both
    /// when nil).
    init(from old: TargetObjects, to new: TargetObjects, keys: Set<TargetKey>? = nil, slotTables: Set<UInt32> = []) {
        func rank(_ key: TargetKey) -> Int { key.rank(slotTables: slotTables) }
        func visit(_ key: TargetKey) {
            let packedBefore = old[key]
            let packedAfter = new[key]
            guard packedBefore != packedAfter else { return }
            // The model's bytes go into the Write as they are: nothing is decoded here.
            switch (packedBefore, packedAfter) {
            case (nil, let after?):
                if case .defaultEntry(let table) = key {
                    // A default entry always exists; "inserting" one is a MODIFY (§9.1.3).
                    add(.modify(after), undo: .modify(Self.resetDefault(table: table)), rank: key.rank, deleting: false)
                } else {
                    add(.insert(after), undo: .delete(after), rank: rank(key), deleting: false)
                }
            case (let before?, nil):
                if case .defaultEntry(let table) = key {
                    add(.modify(Self.resetDefault(table: table)), undo: .modify(before), rank: key.rank, deleting: false)
                } else {
                    add(.delete(before), undo: .insert(before), rank: rank(key), deleting: true)
                }
            case (let before?, let after?):
                add(.modify(after), undo: .modify(before), rank: rank(key), deleting: false)
            default:
                break
            }
        }
        if let keys {
            for key in keys { visit(key) }
        } else {
            for key in old.keys { visit(key) }
            for key in new.keys where old[key] == nil { visit(key) }
        }
    }

    private mutating func add(_ update: P4EncodedUpdate, undo: P4EncodedUpdate, rank: Int, deleting: Bool) {
        let phase: Int
        switch (rank, deleting) {
        case (2, true): phase = 0
        case (0, false): phase = 1
        case (1, false): phase = 2
        case (2, false): phase = 3
        case (1, true): phase = Self.deletePhases.lowerBound
        default: phase = Self.deletePhases.upperBound
        }
        phases[phase].append(Step(update: update, undo: undo))
    }

    /// The transaction cut in two: what puts the change in effect (entry deletes, every
    /// insert and modify) and the group and member deletes that only free what nothing
    /// references any more. The manager acknowledges a change after the first part and
    /// writes the second off the change's critical path (see `DataplaneProgrammer`).
    func splitOffDeletes() -> (effective: DataplaneTransaction, deletes: DataplaneTransaction) {
        var effective = self
        var deletes = DataplaneTransaction()
        for phase in Self.deletePhases {
            deletes.phases[phase] = phases[phase]
            effective.phases[phase] = []
        }
        return (effective, deletes)
    }

    /// Group deletes, then member deletes: after every entry that pointed at them is gone.
    private static let deletePhases = 4...5

    private init() {}

    /// Writes the phases in order without undoing anything on a failure: for deletes of
    /// objects nothing references, where putting back what a failed phase removed would only
    /// restore garbage. The caller repairs by reconciling.
    func applyForward(to target: some DataplaneTarget) async throws {
        for phase in phases where !phase.isEmpty {
            try await target.write(phase.map(\.update))
        }
    }

    /// A default entry back to the program's own default: an entry with no action (§9.1.3).
    static func resetDefault(table: UInt32) -> PackedEntity {
        PackedEntity(bytes: EntityWire.tableEntry(tableID: table, match: nil, priority: 0, isDefault: true, action: nil))
    }

    /// Runs the phases against `target`; on a failure undoes what was done and throws it.
    func apply(to target: some DataplaneTarget) async throws {
        var done: [[Step]] = []
        for phase in phases where !phase.isEmpty {
            do {
                try await target.write(phase.map(\.update))
                done.append(phase)
            } catch let error as P4RuntimeError where error.code == .updatesFailed {
                let failed = Set(error.failures.map(\.index))
                done.append(phase.enumerated().filter { !failed.contains($0.offset) }.map(\.element))
                try await undo(done, on: target, after: error)
                throw DataplaneError(.writeRefused, "the target refused \(failed.count) of \(phase.count) updates; the change was undone: \(error.failures.prefix(3).map(\.description).joined(separator: "; "))", underlying: error)
            } catch {
                // An RPC-wide failure: the target may have applied part of the request.
                // Undo what is known done; the rest is found by the next reconciliation.
                try? await undo(done, on: target, after: error)
                throw DataplaneError(.targetUnavailable, "writing to the target failed: \(error)", underlying: error)
            }
        }
    }

    /// Undoes phase by phase, last first, so dependencies hold on the way back too.
    private func undo(_ done: [[Step]], on target: some DataplaneTarget, after error: Error) async throws {
        do {
            for phase in done.reversed() where !phase.isEmpty {
                try await target.write(phase.reversed().map(\.undo))
            }
        } catch {
            throw DataplaneError(.undoFailed, "undoing a failed change also failed (\(error)); the target will be reconciled", underlying: error)
        }
    }
}

extension P4EncodedUpdate {
    static func insert(_ entity: PackedEntity) -> Self { Self(.insert, entity: entity.bytes) }
    static func modify(_ entity: PackedEntity) -> Self { Self(.modify, entity: entity.bytes) }
    static func delete(_ entity: PackedEntity) -> Self { Self(.delete, entity: entity.bytes) }
}
