import Foundation
@testable import InfraManagerCore
import P4RuntimeAPI
import XCTest

/// A change is acknowledged once it is in effect; the deletes of the groups and members it
/// left unreferenced follow off its critical path. These tests pin down what that may and may
/// not leave behind.
final class DeferredDeleteTests: XCTestCase {
    private let web = { (backends: [String]) in
        DataplaneFixture.service("web", clusterIP: "10.96.0.10", backends: backends.map { ($0, 80) })
    }

    func testChangeIsAcknowledgedBeforeItsMemberDeleteAndARestartRemovesTheLeftover() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mgp-deferred-\(getpid())-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state.json").path
        let target = FakeTarget()
        let programmer = try DataplaneFixture.programmer(stateFile: path)
        try await programmer.targetReady(target)
        let store = DesiredStateStore(dataplane: programmer)
        let first = web(["10.244.1.7", "10.244.1.8"])
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
        XCTAssertEqual(heldWrites, 1, "the member delete is still pending when the change is acknowledged")

        // In effect: the group lists exactly the new backends' members; the old member is left.
        let afterChange = await target.objects
        let members = Self.members(in: afterChange)
        XCTAssertEqual(members.count, 3)
        let groups = afterChange.compactMap { key, value -> P4_V1_ActionProfileGroup? in
            if case .group = key { return value.entity.actionProfileGroup }
            return nil
        }
        XCTAssertEqual(groups.count, 1)
        let listed = Set(groups[0].members.map(\.memberID))
        let listedAddresses = Set(members.filter { listed.contains($0.key) }.map(\.value))
        XCTAssertEqual(listedAddresses, [Data([10, 244, 1, 8]), Data([10, 244, 1, 9])])

        // A manager restarted from the state file deletes the leftover, and only that.
        await programmer.flush()
        let restarted = try DataplaneFixture.programmer(stateFile: path)
        let survivor = FakeTarget()
        for (key, value) in afterChange { await survivor.put(key, value) }
        let repairs = try await restarted.targetReady(survivor)
        XCTAssertEqual(repairs, 1, "one stale member deleted")
        let repaired = await survivor.objects
        XCTAssertEqual(Set(Self.members(in: repaired).values), [Data([10, 244, 1, 8]), Data([10, 244, 1, 9])])

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
        let first = web(["10.244.1.7", "10.244.1.8"])
        _ = try await store.apply { state in (state.services.upsert(first, for: first.name), true) }

        await target.setRefuse(writes: 1) { $0.type == .delete }
        let second = web(["10.244.1.8", "10.244.1.9"])
        _ = try await store.apply { state in (state.services.upsert(second, for: second.name), true) }
        await programmer.settleDeferredDeletes()
        let repaired = Self.members(in: await target.objects)
        XCTAssertEqual(Set(repaired.values), [Data([10, 244, 1, 8]), Data([10, 244, 1, 9])], "the refused delete was repaired")
        let status = await programmer.targetStatus
        XCTAssertTrue(status.ready, status.detail)

        // The id the refused delete held is free again and the next change can use it.
        let third = web(["10.244.1.9", "10.244.1.10"])
        _ = try await store.apply { state in (state.services.upsert(third, for: third.name), true) }
        await programmer.settleDeferredDeletes()
        let final = Self.members(in: await target.objects)
        XCTAssertEqual(Set(final.values), [Data([10, 244, 1, 9]), Data([10, 244, 1, 10])])
        XCTAssertTrue(final.keys.contains(1), "the id the refused delete held was handed out again: \(final.keys.sorted())")
    }

    /// The members on the target by id, each as its backend's IPv4 address.
    private static func members(in objects: TargetObjects) -> [UInt32: Data] {
        var members: [UInt32: Data] = [:]
        for (key, value) in objects {
            if case .member(_, let id) = key { members[id] = value.entity.actionProfileMember.action.params[0].value }
        }
        return members
    }
}
