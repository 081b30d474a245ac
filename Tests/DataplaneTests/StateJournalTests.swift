import Foundation
@testable import InfraManagerCore
import InfraNet
import P4RuntimeAPI
import XCTest

/// The state journal: every accepted change is recorded before the agent is answered, so a
/// manager that dies without saving its state file comes back with every acknowledged change
/// and the same ids; torn and broken journals are handled as documented.
final class StateJournalTests: XCTestCase {
    private var directory: URL!
    private var path: String { directory.appendingPathComponent("state.json").path }

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("infra-journal-\(UUID())")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    private func makeStore(_ target: FakeTarget) async throws -> (DesiredStateStore, DataplaneProgrammer) {
        try await DataplaneFixture.store(target, stateFile: path)
    }

    /// Every kind of change, none of them flushed: the restart replays them from the journal
    /// alone, ends at the same generation, and finds the target already right (same ids).
    func testARestartWithoutAFlushReplaysEveryAcknowledgedChange() async throws {
        let target = FakeTarget()
        let (store, _) = try await makeStore(target)
        try await applyEveryKindOfChange(to: store)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing forced a snapshot: the journal alone holds the changes")

        try await assertRestartRestores(store, from: path, on: target)
        let generation = await store.generation
        // The restart wrote a snapshot at that generation and left one empty segment.
        XCTAssertEqual(try StateFile(path: path).load()?.generation, generation)
        let segments = try StateJournal.segments(of: path)
        XCTAssertEqual(segments.map(\.first), [generation + 1])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: segments[0].path)).count, 0)
    }

    /// A freed service index handed to another service in a later change must come back with
    /// that owner, not with the one that had it first.
    func testIdsFreedAndReusedAcrossChangesReplayToTheirLastOwner() async throws {
        let target = FakeTarget()
        let (store, _) = try await makeStore(target)
        let first = DataplaneFixture.service("first", clusterIP: "10.96.0.10", backends: [("10.244.1.7", 80)])
        _ = try await store.apply { state in (state.services.upsert(first, for: first.name), true) }
        _ = try await store.apply { state in (state.services.remove(first.name), true) }
        let second = DataplaneFixture.service("second", clusterIP: "10.96.0.11", backends: [("10.244.1.8", 80)])
        _ = try await store.apply { state in (state.services.upsert(second, for: second.name), true) }

        // The second service kept the index it reused.
        try await assertRestartRestores(store, from: path, on: target)
    }

    func testATornLastLineIsDroppedAndTheChangesBeforeItStay() async throws {
        let target = FakeTarget()
        let (store, _) = try await makeStore(target)
        try await applyEveryKindOfChange(to: store)
        let segment = try XCTUnwrap(try StateJournal.segments(of: path).last)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: segment.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"generation":99,"change":{"serv"#.utf8))
        try handle.close()

        let restarted = try DataplaneFixture.programmer(stateFile: path)
        let generation = await store.generation
        XCTAssertEqual(restarted.restored?.generation, generation)
        let state = await store.state
        XCTAssertEqual(restarted.restored?.state, state)
    }

    func testABrokenLineBeforeTheEndIsAnErrorNamingFileAndLine() async throws {
        let (store, _) = try await makeStore(FakeTarget())
        try await applyEveryKindOfChange(to: store)
        let segment = try XCTUnwrap(try StateJournal.segments(of: path).last)
        var lines = try String(contentsOfFile: segment.path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertGreaterThan(lines.count, 3)
        lines[1] = "not json"
        try lines.joined(separator: "\n").write(toFile: segment.path, atomically: false, encoding: .utf8)

        XCTAssertThrowsError(try DataplaneFixture.programmer(stateFile: path)) { error in
            XCTAssertTrue("\(error)".contains("\(segment.path) line 2 is not valid"), "\(error)")
        }
    }

    /// A record that could not be appended leaves a gap: the replay stops before it instead of
    /// applying later changes to a state that lacks it.
    func testReplayStopsAtAMissingGeneration() async throws {
        let (store, _) = try await makeStore(FakeTarget())
        try await applyEveryKindOfChange(to: store)
        let segment = try XCTUnwrap(try StateJournal.segments(of: path).last)
        var lines = try String(contentsOfFile: segment.path, encoding: .utf8).split(separator: "\n").map(String.init)
        let removed = try JSONDecoder().decode(StateJournal.Record.self, from: Data(lines[2].utf8))
        lines.remove(at: 2)
        try (lines.joined(separator: "\n") + "\n").write(toFile: segment.path, atomically: false, encoding: .utf8)

        let restarted = try DataplaneFixture.programmer(stateFile: path)
        XCTAssertEqual(restarted.restored?.generation, removed.generation - 1)
    }

    /// A flush compacts: the snapshot holds everything and the older segments are gone; the
    /// changes after it go to the new segment and replay on top of the snapshot.
    func testFlushCompactsAndLaterChangesReplayOnTheSnapshot() async throws {
        let target = FakeTarget()
        let (store, programmer) = try await makeStore(target)
        try await applyEveryKindOfChange(to: store)
        await programmer.flush()
        let flushed = await store.generation
        XCTAssertEqual(try StateFile(path: path).load()?.generation, flushed)
        XCTAssertEqual(try StateJournal.segments(of: path).map(\.first), [flushed + 1])

        let late = DataplaneFixture.service("late", clusterIP: "10.96.0.40", backends: [("10.244.1.9", 8080)])
        _ = try await store.apply { state in (state.services.upsert(late, for: late.name), true) }
        try await assertRestartRestores(store, from: path, on: target)
    }

    func testJournalSegmentsAreOwnerOnly() async throws {
        let (store, _) = try await makeStore(FakeTarget())
        try await applyEveryKindOfChange(to: store)
        for segment in try StateJournal.segments(of: path) {
            let mode = try FileManager.default.attributesOfItem(atPath: segment.path)[.posixPermissions] as? NSNumber
            XCTAssertEqual(mode?.intValue, 0o600, segment.path)
        }
    }

    /// Host interface set, services added, changed and removed, a policy and an endpoint.
    private func applyEveryKindOfChange(to store: DesiredStateStore) async throws {
        _ = try await store.apply { state in
            state.hostInterface = DataplaneFixture.host()
            return ((), true)
        }
        let web = DataplaneFixture.service("web", clusterIP: "10.96.0.10", nodePort: 30080, backends: [("10.244.1.7", 80), ("10.244.1.8", 80)])
        let db = DataplaneFixture.service("db", clusterIP: "10.96.0.11", port: 5432, backends: [("10.244.1.9", 5432)])
        _ = try await store.apply { state in
            state.put(web)
            state.put(db)
            return ((), true)
        }
        let moved = DataplaneFixture.service("web", clusterIP: "10.96.0.10", nodePort: 30080, backends: [("10.244.1.7", 80), ("10.244.1.10", 80)])
        _ = try await store.apply { state in (state.services.upsert(moved, for: moved.name), true) }
        _ = try await store.apply { state in (state.services.remove(db.name), true) }
        let policy = PolicyIntent(id: "default.allow", ingress: [RuleIntent(action: .allow, peers: [], transport: .tcp, ports: [], icmp: nil)], egress: [])
        let endpoint = EndpointIntent(id: "wep-1", pod: nil, addresses: [IPAddress("10.244.1.7")!], ingressPolicies: [policy.id], egressPolicies: [])
        _ = try await store.apply { state in
            state.put(policy)
            state.put(endpoint)
            return ((), true)
        }
        _ = try await store.apply { state in
            state.put(DataplaneFixture.pod("c1", port: "pod0", ip: "10.244.1.7"))
            return ((), true)
        }
    }
}

final class DataplaneIDsDeltaTests: XCTestCase {
    func testDeltasReplayToTheSameIdsAsTheChangesThatMadeThem() throws {
        let a = DataplaneIDs.ServiceSlot(namespace: "default", name: "a", port: "p")
        let b = DataplaneIDs.ServiceSlot(namespace: "default", name: "b", port: "p")
        var live = DataplaneIDs(maxServiceIndex: 8)
        var recorded: [DataplaneIDs.Delta] = []
        _ = try live.service(a)
        recorded.append(live.commit())
        var freeing = live.release(services: [a], acls: [])
        _ = try live.service(b)
        freeing.append(live.commit())
        recorded.append(freeing)
        _ = try live.service(a)
        recorded.append(live.commit())

        var replayed = DataplaneIDs(maxServiceIndex: 8)
        for delta in recorded { try replayed.replay(delta) }
        XCTAssertEqual(replayed.services, live.services)
        // Merged into one delta, the same result.
        var merged = DataplaneIDs.Delta()
        for delta in recorded { merged.append(delta) }
        var once = DataplaneIDs(maxServiceIndex: 8)
        try once.replay(merged)
        XCTAssertEqual(once.services, live.services)
    }
}

final class OwnedObjectsTests: XCTestCase {
    /// Below and past the index threshold: the first object under a key stays, every key is
    /// found, order is insertion order.
    func testFirstObjectPerKeyStaysAndEveryKeyIsFoundAtAnySize() {
        var objects = OwnedObjects()
        let count = OwnedObjects.indexThreshold * 2
        func key(_ id: Int) -> TargetKey { .group(profile: 7, id: UInt32(id)) }
        func entity(_ id: Int, _ generation: Int) -> PackedEntity {
            PackedEntity(P4_V1_Entity(P4_V1_ActionProfileGroup.with { $0.actionProfileID = 7; $0.groupID = UInt32(id); $0.maxSize = Int32(generation) }))
        }
        for id in 0..<count {
            objects.insertIfAbsent(key(id), entity(id, 1))
            objects.insertIfAbsent(key(id), entity(id, 2))
            objects.insertIfAbsent(key(id / 2), entity(id / 2, 3))
        }
        XCTAssertEqual(objects.count, count)
        XCTAssertEqual(Array(objects.keys), (0..<count).map(key))
        for id in 0..<count { XCTAssertEqual(objects[key(id)], entity(id, 1), "\(id)") }
        XCTAssertNil(objects[key(count)])
    }
}
