import Foundation
@testable import InfraManagerCore
import P4RuntimeAPI
import XCTest

/// A change is acknowledged once it is in effect; the deletes of the groups and slot entries
/// it left unreferenced follow off its critical path. These tests pin down what that may and may
/// not leave behind.
final class DeferredDeleteTests: XCTestCase {
    private let web = { (backends: [String]) in
        DataplaneFixture.service("web", clusterIP: "10.96.0.10", backends: backends.map { ($0, 80) })
    }

    func testChangeIsAcknowledgedBeforeItsSlotDeleteAndARestartRemovesTheLeftover() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mgp-deferred-\(getpid())-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state.json").path
        let target = FakeTarget()
        let programmer = try DataplaneFixture.programmer(stateFile: path)
        try await programmer.targetReady(target)
        let store = DesiredStateStore(dataplane: programmer)
        let first = web(["10.244.1.7", "10.244.1.8", "10.244.1.9"])
        _ = try await store.apply { state in (state.services.upsert(first, for: first.name), true) }

        // Deletes never reach the target, as if the manager died right after acknowledging.
        await target.setHold { batch in batch.allSatisfy { $0.type == .delete } }
        // Should the change wait for its delete, release it after a while so the test fails
        // on the assertions below instead of hanging.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(10))
            await target.releaseHeld()
        }
        let second = web(["10.244.1.8", "10.244.1.9"])
        _ = try await store.apply { state in (state.services.upsert(second, for: second.name), true) }
        watchdog.cancel()
        let heldWrites = await target.heldWrites
        XCTAssertEqual(heldWrites, 1, "the slot delete is still pending when the change is acknowledged")

        // In effect: the group lists exactly the slots of the new backends; the third slot is left.
        let afterChange = await target.objects
        let slots = try Self.slots(in: afterChange)
        XCTAssertEqual(slots.count, 3)
        let groups = afterChange.compactMap { key, value -> P4_V1_ActionProfileGroup? in
            if case .group = key { return value.entity.actionProfileGroup }
            return nil
        }
        XCTAssertEqual(groups.count, 1)
        let listed = Set(groups[0].members.map { UInt64($0.memberID - 1) })
        XCTAssertEqual(Set(slots.filter { listed.contains($0.key) }.map(\.value)), [Data([10, 244, 1, 8]), Data([10, 244, 1, 9])])

        // A manager restarted from the state file deletes the leftover, and only that.
        await programmer.flush()
        let restarted = try DataplaneFixture.programmer(stateFile: path)
        let survivor = FakeTarget()
        for (key, value) in afterChange { await survivor.put(key, value) }
        let repairs = try await restarted.targetReady(survivor)
        XCTAssertEqual(repairs, 1, "one stale slot entry deleted")
        let repaired = await survivor.objects
        XCTAssertEqual(try Self.slots(in: repaired).values.sorted { $0.lexicographicallyPrecedes($1) }, [Data([10, 244, 1, 8]), Data([10, 244, 1, 9])])

        // The first manager, had it lived, ends with the same target.
        await target.releaseHeld()
        await programmer.settleDeferredDeletes()
        let settled = await target.objects
        XCTAssertEqual(settled, repaired)
    }

    func testRefusedDeferredDeleteIsRepairedBeforeTheNextChange() async throws {
        let target = FakeTarget()
        let programmer = try DataplaneFixture.programmer()
        try await programmer.targetReady(target)
        let store = DesiredStateStore(dataplane: programmer)
        let first = web(["10.244.1.7", "10.244.1.8", "10.244.1.9"])
        _ = try await store.apply { state in (state.services.upsert(first, for: first.name), true) }

        await target.setRefuse(writes: 1) { $0.type == .delete }
        let second = web(["10.244.1.8", "10.244.1.9"])
        _ = try await store.apply { state in (state.services.upsert(second, for: second.name), true) }
        await programmer.settleDeferredDeletes()
        let repaired = try Self.slots(in: await target.objects)
        XCTAssertEqual(repaired, [0: Data([10, 244, 1, 8]), 1: Data([10, 244, 1, 9])], "the refused delete was repaired")
        let status = await programmer.targetStatus
        XCTAssertTrue(status.ready, status.detail)

        // The slot the refused delete held can be written again by the next change.
        let third = web(["10.244.1.9", "10.244.1.10", "10.244.1.11"])
        _ = try await store.apply { state in (state.services.upsert(third, for: third.name), true) }
        await programmer.settleDeferredDeletes()
        let final = try Self.slots(in: await target.objects)
        XCTAssertEqual(final, [0: Data([10, 244, 1, 9]), 1: Data([10, 244, 1, 10]), 2: Data([10, 244, 1, 11])])
    }

    /// The `service_slots` entries on the target by slot, each as its backend's IPv4 address.
    private static func slots(in objects: TargetObjects) throws -> [UInt64: Data] {
        let table = try DataplaneFixture.schema().serviceSlots
        let slotField = table.field("meta.lb_slot").id
        var slots: [UInt64: Data] = [:]
        for (key, value) in objects {
            guard case .entry(table.id, _, _) = key else { continue }
            let entry = value.entity.tableEntry
            let slot = entry.match.first { $0.fieldID == slotField }!.exact.value.reduce(0) { $0 << 8 | UInt64($1) }
            slots[slot] = entry.action.action.params[0].value
        }
        return slots
    }
}
