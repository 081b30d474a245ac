@testable import InfraManagerCore
import P4RuntimeAPI
import P4RuntimeClient

/// The in-memory fake of a P4Runtime target for unit tests (the real protocol rules run in
/// the emulator tests): insert of an existing key, delete or modify of a missing one fail per
/// update, `refuse` injects failures and `hold` keeps writes from ever arriving (a manager
/// that crashed before sending them).
actor FakeTarget: DataplaneTarget {
    var objects = TargetObjects()
    var writes = 0
    var updates = 0
    private var refuse: @Sendable (P4_V1_Update) -> Bool = { _ in false }
    private var refusalsLeft = Int.max
    private var hold: @Sendable ([P4_V1_Update]) -> Bool = { _ in false }
    private var held: [CheckedContinuation<Void, Never>] = []

    /// Refuses the updates `predicate` picks, in the next `writes` writes that have one.
    func setRefuse(writes: Int = .max, _ predicate: @escaping @Sendable (P4_V1_Update) -> Bool) {
        refuse = predicate
        refusalsLeft = writes
    }

    /// Writes that `predicate` picks wait, unapplied, until `releaseHeld()`.
    func setHold(_ predicate: @escaping @Sendable ([P4_V1_Update]) -> Bool) { hold = predicate }
    var heldWrites: Int { held.count }

    func releaseHeld() {
        hold = { _ in false }
        for waiter in held { waiter.resume() }
        held = []
    }
    func put(_ key: TargetKey, _ entity: PackedEntity) { objects[key] = entity }

    func write(_ encoded: [P4EncodedUpdate]) async throws {
        // Decoded here, so the predicates and checks below see messages; decoding also proves
        // the manager's encoded entities are well-formed.
        let batch = try encoded.map { try $0.decoded }
        if hold(batch) { await withCheckedContinuation { held.append($0) } }
        writes += 1
        var failures: [P4UpdateFailure] = []
        let refusing = refusalsLeft > 0 && batch.contains(where: refuse)
        if refusing { refusalsLeft -= 1 }
        for (index, update) in batch.enumerated() {
            updates += 1
            guard let key = TargetKey(update.entity) else { continue }
            if refusing, refuse(update) {
                failures.append(P4UpdateFailure(index: index, canonicalCode: .resourceExhausted, message: "refused by the test"))
                continue
            }
            switch update.type {
            case .insert:
                if objects[key] != nil { failures.append(.init(index: index, canonicalCode: .alreadyExists, message: "exists")); continue }
                objects[key] = PackedEntity(update.entity)
            case .modify:
                if case .defaultEntry = key {
                    objects[key] = update.entity.tableEntry.hasAction ? PackedEntity(update.entity) : nil
                    continue
                }
                if objects[key] == nil { failures.append(.init(index: index, canonicalCode: .notFound, message: "missing")); continue }
                objects[key] = PackedEntity(update.entity)
            case .delete:
                if objects[key] == nil { failures.append(.init(index: index, canonicalCode: .notFound, message: "missing")); continue }
                objects[key] = nil
            default:
                continue
            }
        }
        if !failures.isEmpty {
            throw P4RuntimeError(.updatesFailed, "\(failures.count) failed", rpcCode: .unknown, failures: failures)
        }
    }

    func read(tables: [UInt32], profiles: [UInt32]) async throws -> TargetObjects {
        objects.filter { tables.contains($0.key.resource) || profiles.contains($0.key.resource) }
    }
}
