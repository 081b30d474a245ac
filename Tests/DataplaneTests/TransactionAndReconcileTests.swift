import Foundation
import GRPCCore
import InfraDaemon
@testable import InfraManagerCore
import InfraNet
import P4RuntimeAPI
import XCTest

/// The transaction, capacity, conflict, reconciliation and state-file rules, against the
/// in-memory fake target.
final class TransactionAndReconcileTests: XCTestCase {
    func makeStore(_ target: FakeTarget, stateFile: String? = nil) async throws -> (DesiredStateStore, DataplaneProgrammer) {
        try await DataplaneFixture.store(target, stateFile: stateFile)
    }

    func testFailedWriteIsUndoneAndNothingIsPublished() async throws {
        let target = FakeTarget()
        let (store, _) = try await makeStore(target)
        let before = await target.objects
        // Refuse the frontend entries (the last phase) after slot entries and the group went in.
        let schema = try DataplaneFixture.schema()
        await target.setRefuse { $0.entity.tableEntry.tableID == schema.serviceLB.id && !$0.entity.tableEntry.isDefaultAction }
        let service = DataplaneFixture.service("web", clusterIP: "10.96.0.10", backends: [("10.244.1.7", 80), ("10.244.1.8", 80)])
        do {
            _ = try await store.apply { state in (state.services.upsert(service, for: service.name), true) }
            XCTFail("expected the write to fail")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .resourceExhausted, "\(error)")
            XCTAssertTrue(error.message.contains("undone"), error.message)
        }
        let after = await target.objects
        XCTAssertEqual(after, before, "slot entries and the group written before the failure were removed again")
        let (state, generation) = (await store.state, await store.generation)
        XCTAssertNil(state.services[service.name])
        XCTAssertEqual(generation, 0)

        // The same request works once the target accepts it, with the ids the failed try gave back.
        await target.setRefuse { _ in false }
        _ = try await store.apply { state in (state.services.upsert(service, for: service.name), true) }
        let groups = await target.objects.keys.compactMap { (key: TargetKey) -> UInt32? in if case .group(_, let id) = key { return id }; return nil }
        XCTAssertEqual(groups, [1], "the service index the failed try took was given back")
    }

    func testOverflowIsRefusedWithResourceExhaustedNamingTheTableAndWritesNothing() async throws {
        let target = FakeTarget()
        let (store, _) = try await makeStore(target)
        let schema = try DataplaneFixture.schema()
        let writesBefore = await target.writes
        // One endpoint with more addresses than the ACL endpoint tables hold.
        let addresses = (0...schema.aclIngressEndpoint.size).map { (index: Int) in IPAddress("10.200.\(index / 256).\(index % 256)")! }
        let policy = PolicyIntent(id: "p", ingress: [RuleIntent(action: .allow, peers: [], transport: nil, ports: [], icmp: nil)], egress: [])
        let huge = EndpointIntent(id: "huge", pod: nil, addresses: addresses, ingressPolicies: ["p"], egressPolicies: [])
        do {
            _ = try await store.apply { state in
                state.put(policy)
                state.put(huge)
                return ((), true)
            }
            XCTFail("expected RESOURCE_EXHAUSTED")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .resourceExhausted)
            // Both endpoint tables would overflow (a policed endpoint is selected both ways);
            // the first by id is named.
            XCTAssertTrue(error.message.contains("\"acl_egress_endpoint\", which holds 0 of 4096"), error.message)
        }
        let writesAfter = await target.writes
        XCTAssertEqual(writesAfter, writesBefore, "nothing of the intent was written")

        let tooManyBackends = DataplaneFixture.service("wide", clusterIP: "10.96.0.98", backends: (0..<(schema.serviceBackends.maxGroupSize + 1)).map { (index: Int) -> (String, UInt16) in ("10.245.\(index / 200).\(index % 200 + 1)", 80) })
        do {
            _ = try await store.apply { state in (state.services.upsert(tooManyBackends, for: tooManyBackends.name), true) }
            XCTFail("expected RESOURCE_EXHAUSTED")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .resourceExhausted)
            XCTAssertTrue(error.message.contains("service_backends"), error.message)
        }
    }

    func testTwoServicesOnOneFrontendConflict() async throws {
        let (store, _) = try await makeStore(FakeTarget())
        let first = DataplaneFixture.service("a", clusterIP: "10.96.0.10", backends: [("10.244.1.7", 80)])
        let second = DataplaneFixture.service("b", clusterIP: "10.96.0.10", backends: [("10.244.1.8", 80)])
        _ = try await store.apply { state in (state.services.upsert(first, for: first.name), true) }
        do {
            _ = try await store.apply { state in (state.services.upsert(second, for: second.name), true) }
            XCTFail("expected a conflict")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .failedPrecondition)
            XCTAssertTrue(error.message.contains("service default/a"), error.message)
        }
    }

    func testUnknownPodPortIsRefusedByName() async throws {
        let (store, _) = try await makeStore(FakeTarget())
        let pod = DataplaneFixture.pod("c1", port: "nope", ip: "10.244.1.7")
        do {
            _ = try await store.apply { state in (state.pods.upsert(pod, for: pod.key), true) }
            XCTFail("expected a refusal")
        } catch let error as RPCError {
            XCTAssertTrue(error.message.contains("host_interface") && error.message.contains("nope"), error.message)
        }
    }

    func testChangesAreRefusedWhileTheTargetIsNotReady() async throws {
        let programmer = try DataplaneFixture.programmer()
        let store = DesiredStateStore(dataplane: programmer)
        let pod = DataplaneFixture.pod("c1", port: "pod0", ip: "10.244.1.7")
        do {
            _ = try await store.apply { state in (state.pods.upsert(pod, for: pod.key), true) }
            XCTFail("expected UNAVAILABLE")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .unavailable)
        }
        let count = await store.state.pods.count
        XCTAssertEqual(count, 0)
    }

    func testReconciliationRemovesStaleAddsMissingAndFixesChanged() async throws {
        let target = FakeTarget()
        let (store, programmer) = try await makeStore(target)
        let service = DataplaneFixture.service("web", clusterIP: "10.96.0.10", backends: [("10.244.1.7", 80)])
        let pod = DataplaneFixture.pod("c1", port: "pod0", ip: "10.244.1.7")
        _ = try await store.apply { state in
            state.put(service)
            state.put(pod)
            return ((), true)
        }
        let wanted = await target.objects
        // Damage the target: drop one entry, change another, add a stale one.
        let schema = try DataplaneFixture.schema()
        let entries = wanted.filter { if case .entry = $0.key { return true }; return false }
        let dropped = try XCTUnwrap(entries.first { $0.key.resource == schema.serviceLB.id })
        let changed = try XCTUnwrap(entries.first { $0.key.resource == schema.ipv4ToPort.id })
        var damaged = wanted
        damaged[dropped.key] = nil
        var altered = changed.value.entity
        altered.tableEntry.action.action.params[0].value = Data([9])
        damaged[changed.key] = PackedEntity(altered)
        let stale = EntityBuilding.entry(schema.arpToPort, match: [EntityBuilding.exact(schema.arpToPort.field("hdr.arp.tpa"), 0x0a09_0909)],
                                         action: EntityBuilding.action(schema.arpForward, [5]))
        damaged[stale.0] = stale.1
        let fresh = FakeTarget()
        for (key, value) in damaged { await fresh.put(key, value) }

        let repairs = try await programmer.targetReady(fresh)
        XCTAssertEqual(repairs, 3)
        let repaired = await fresh.objects
        XCTAssertEqual(repaired, wanted)
        let again = try await programmer.targetReady(fresh)
        XCTAssertEqual(again, 0, "a second reconciliation finds nothing to do")
    }

    func testStateFileRestoresDesiredStateAndIdsSoARestartRewritesNothing() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("infra-state-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state.json").path
        let target = FakeTarget()
        let (store, programmer) = try await makeStore(target, stateFile: path)
        _ = try await store.apply { state in
            state.put(DataplaneFixture.service("a", clusterIP: "10.96.0.10", backends: [("10.244.1.7", 80), ("10.244.1.9", 80)]))
            state.put(DataplaneFixture.service("b", clusterIP: "10.96.0.11", backends: []))
            return ((), true)
        }
        _ = try await store.apply { state in (state.services.remove(ServiceName(namespace: "default", name: "a")), true) }
        _ = try await store.apply { state in
            state.put(DataplaneFixture.service("c", clusterIP: "10.96.0.12", backends: [("10.244.1.7", 80)]))
            return ((), true)
        }
        // The changes are in the journal; a flush writes the snapshot.
        await programmer.flush()
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)

        try await assertRestartRestores(store, from: path, on: target)
    }

    /// The background writer claims a change the moment it starts writing; a flush that
    /// overlaps it must wait for that write instead of finding nothing left to do (this lost
    /// the whole state file once in CI, when the first write was the one in flight).
    func testFlushReturnsOnlyWhenEveryAcceptedChangeIsInTheFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("infra-flush-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state.json").path
        let (store, programmer) = try await makeStore(FakeTarget(), stateFile: path)
        for round in 0..<40 {
            _ = try await store.apply { state in
                state.put(DataplaneFixture.service("s\(round)", clusterIP: "10.96.1.\(round + 1)", backends: [("10.244.1.7", 80)]))
                return ((), true)
            }
            // Let the writer (1 ms delay in tests) get under way on some rounds and not others.
            if round % 2 == 1 { try await Task.sleep(for: .milliseconds(1)) }
            await programmer.flush()
            let saved = try XCTUnwrap(try StateFile(path: path).load(), "round \(round): no state file after flush")
            let generation = await store.generation
            XCTAssertEqual(saved.generation, generation, "round \(round)")
        }
    }

    /// A request is applied in place; a refused one must put back what it replaced and
    /// removed, not only drop what it added.
    func testRefusedChangeRevertsUpdatesRemovalsAndTheHostInterface() async throws {
        let target = FakeTarget()
        let (store, _) = try await makeStore(target)
        let web = DataplaneFixture.service("web", clusterIP: "10.96.0.10", backends: [("10.244.1.7", 80)])
        let api = DataplaneFixture.service("api", clusterIP: "10.96.0.11", backends: [("10.244.1.8", 80)])
        _ = try await store.apply { state in
            state.put(web)
            state.put(api)
            state.hostInterface = DataplaneFixture.host()
            return ((), true)
        }
        let (before, generation) = (await store.state, await store.generation)
        let objects = await target.objects
        struct Refused: Error {}
        do {
            _ = try await store.apply { state -> ((), changed: Bool) in
                state.put(DataplaneFixture.service("web", clusterIP: "10.96.0.10", backends: [("10.244.1.9", 80)]))
                _ = state.services.remove(api.name)
                state.hostInterface = DataplaneFixture.host(["192.168.10.6/24"])
                throw Refused()
            }
            XCTFail("expected the mutation's error")
        } catch is Refused {}
        let after = await store.state
        XCTAssertEqual(after, before)
        XCTAssertEqual(after.hostInterface, DataplaneFixture.host())
        let afterGeneration = await store.generation
        XCTAssertEqual(afterGeneration, generation)
        let afterObjects = await target.objects
        XCTAssertEqual(afterObjects, objects)

        // Nothing of the refused request is left to be programmed by the next one.
        _ = try await store.apply { state in (state.services.upsert(api, for: api.name), true) }
        let final = await store.state
        XCTAssertEqual(final, before)
        let finalObjects = await target.objects
        XCTAssertEqual(finalObjects, objects)
    }

    /// The state file is streamed a piece at a time; it must read back as the state it was
    /// written from, and hold the same JSON values as `JSONEncoder` writes for it.
    func testStateFileReadsBackAndMatchesJSONEncoder() throws {
        var state = DesiredState()
        state.hostInterface = DataplaneFixture.host()
        state.put(DataplaneFixture.pod("p1", port: "port1", ip: "10.244.1.7"))
        var ids = DataplaneIDs(maxServiceIndex: 2048)
        for index in 0..<1030 {
            let service = DataplaneFixture.service("s\(index)", clusterIP: "10.96.\(index / 250).\(index % 250 + 1)", backends: [("10.244.2.1", 80)])
            state.put(service)
            let slot = DataplaneIDs.ServiceSlot(namespace: "default", name: "s\(index)", port: "p")
            _ = try ids.service(slot)
        }
        ids.commit()
        for contents in [
            StateFile.contents(of: state, generation: 7, ids: ids.snapshot),
            StateFile.contents(of: DesiredState(), generation: 0, ids: DataplaneIDs(maxServiceIndex: 1).snapshot),
        ] {
            let whole = try StateFile.encoded(contents)
            let reference = try JSONEncoder().encode(contents)
            XCTAssertEqual(try JSONSerialization.jsonObject(with: whole) as? NSDictionary, try JSONSerialization.jsonObject(with: reference) as? NSDictionary)
            let decoded = try JSONDecoder().decode(StateFile.Contents.self, from: whole)
            XCTAssertEqual(decoded.desiredState, contents.desiredState)
            XCTAssertEqual(decoded.generation, contents.generation)
            XCTAssertEqual(decoded.ids.services, contents.ids.services)
            // Streamed to the file in small pieces: the same bytes, and more than one piece.
            var pieces: [Data] = []
            try StateFile.encode(contents, flushSize: 4096) { pieces.append($0) }
            XCTAssertEqual(pieces.reduce(Data(), +), whole)
            if whole.count > 8192 { XCTAssertGreaterThan(pieces.count, 1) }
        }
    }

    /// A save that fails while streaming leaves the previous file whole.
    func testFailedStreamingSaveKeepsThePreviousFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mgp-save-\(getpid())-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state.json").path
        try AtomicFile.write(Data("old".utf8), to: path)
        struct Interrupted: Error {}
        XCTAssertThrowsError(try AtomicFile.write(to: path) { append in
            try append(Data("half of the new".utf8))
            throw Interrupted()
        }) { XCTAssertTrue($0 is Interrupted, "\($0)") }
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data("old".utf8))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".tmp"))
    }

    /// Service indexes survive a restore; a file written when member ids were still recorded
    /// (before the fixed slot members) loads, its member ids ignored; a duplicate index is a
    /// clear error.
    func testServiceIndexesSurviveRestoreAndOldMemberIdsAreIgnored() throws {
        var ids = DataplaneIDs(maxServiceIndex: 64)
        let web = DataplaneIDs.ServiceSlot(namespace: "default", name: "web", port: "http")
        let api = DataplaneIDs.ServiceSlot(namespace: "default", name: "api", port: "http")
        _ = try ids.service(web)
        _ = try ids.service(api)
        ids.commit()
        var restored = DataplaneIDs(maxServiceIndex: 64)
        try restored.restore(JSONDecoder().decode(DataplaneIDs.Snapshot.self, from: JSONEncoder().encode(ids.snapshot)))
        XCTAssertEqual(restored.services, ids.services)

        let older = Data("""
        {"acls":[],"services":[{"slot":{"namespace":"default","name":"web","port":"http"},"id":3}],
         "members":[{"slot":{"affinity":false,"service":{"namespace":"default","name":"web","port":"http"},"backend":"10.244.1.7:80"},"id":9}]}
        """.utf8)
        var fromOlder = DataplaneIDs(maxServiceIndex: 64)
        try fromOlder.restore(JSONDecoder().decode(DataplaneIDs.Snapshot.self, from: older))
        XCTAssertEqual(fromOlder.services, [web: 3])

        var twice = ids.snapshot
        twice.services.append(.init(slot: DataplaneIDs.ServiceSlot(namespace: "default", name: "db", port: "sql"), id: twice.services[0].id))
        var broken = DataplaneIDs(maxServiceIndex: 64)
        XCTAssertThrowsError(try broken.restore(twice)) { error in
            XCTAssertTrue("\(error)".contains("service index \(twice.services[0].id) is recorded twice"), "\(error)")
        }
    }

    func testCorruptStateFileIsACleanError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("infra-state-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try DataplaneFixture.programmer(stateFile: path)) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
    }
}

final class IDAllocatorTests: XCTestCase {
    func testLiveIdsAreNeverHandedOutTwiceAndReleasedOnesComeBack() {
        var allocator = IDAllocator(range: 1...3)
        let ids = (0..<3).compactMap { _ in allocator.allocate() }
        XCTAssertEqual(Set(ids), [1, 2, 3])
        XCTAssertNil(allocator.allocate(), "the range is exhausted")
        allocator.release(2)
        allocator.release(2)
        XCTAssertEqual(allocator.allocate(), 2)
        XCTAssertNil(allocator.allocate())
    }

    func testClaimMarksRestoredIdsLiveAndFreesTheGap() {
        var allocator = IDAllocator(range: 1...10)
        XCTAssertTrue(allocator.claim(4))
        XCTAssertFalse(allocator.claim(4), "already live")
        XCTAssertFalse(allocator.claim(11), "outside the range")
        let next = (0..<4).compactMap { _ in allocator.allocate() }
        XCTAssertEqual(Set(next), [1, 2, 3, 5])
    }
}
