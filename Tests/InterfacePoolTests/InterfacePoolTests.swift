import Foundation
import InfraNet
import XCTest

@testable import InterfacePool

/// Allocation, release, persistence, crash safety, exhaustion, reconcile rules and
/// concurrency, over veth-mode interfaces in a fake sysfs.
final class InterfacePoolTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var sysfs: FakeSysfs!
    private var stateFile: String { directory.path + "/state/pool.json" }

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        sysfs = try FakeSysfs(in: directory)
    }

    override func tearDown() {
        directory.remove()
    }

    /// `veth0` … `veth<count-1>`, MAC 02:00:00:00:00:<n>, ifindex 100 + n.
    private func addVeths(_ count: Int) throws {
        for n in 0..<count {
            try sysfs.netdev("veth\(n)", index: Int32(100 + n), mac: String(format: "02:00:00:00:00:%02x", n))
        }
    }

    private func makePool(ports: [String: UInt32] = [:]) throws -> InterfacePool {
        let config = InterfacePoolConfig(mode: .veth, selector: .prefix("veth"), stateFile: stateFile, ports: ports)
        return try InterfacePool(config: config, discovery: sysfs.discovery)
    }

    private func stateJSON() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: stateFile))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func recordedNames() throws -> [String] {
        let allocations = try XCTUnwrap(stateJSON()["allocations"] as? [[String: Any]])
        return allocations.compactMap { ($0["interface"] as? [String: Any])?["name"] as? String }
    }

    func testAllocateReleaseAndIdempotentRelease() async throws {
        try addVeths(2)
        let pool = try makePool(ports: ["veth1": 9])
        let first = try await pool.allocate(containerID: "c1", ifName: "eth0", netns: "/run/netns/a")
        XCTAssertEqual(first.interface, PoolInterface(name: "veth0", index: 100, macAddress: MACAddress("02:00:00:00:00:00")!))
        let second = try await pool.allocate(containerID: "c2", ifName: "eth0", netns: "/run/netns/b")
        XCTAssertEqual(second.interface.name, "veth1")
        XCTAssertEqual(second.interface.ipuPort, 9)
        // A retried ADD gets the same interface.
        let again = try await pool.allocate(containerID: "c1", ifName: "eth0", netns: "/run/netns/a")
        XCTAssertEqual(again, first)

        let released = try await pool.release(containerID: "c1", ifName: "eth0")
        XCTAssertEqual(released, first)
        let releasedAgain = try await pool.release(containerID: "c1", ifName: "eth0")
        XCTAssertNil(releasedAgain)
        let unknown = try await pool.release(containerID: "never", ifName: "eth0")
        XCTAssertNil(unknown)
        XCTAssertEqual(try recordedNames(), ["veth1"])

        let reused = try await pool.allocate(containerID: "c3", ifName: "eth0", netns: "/run/netns/c")
        XCTAssertEqual(reused.interface.name, "veth0")
        let available = try await pool.available()
        XCTAssertEqual(available, [])
    }

    func testExhaustionNamesTheModeAndThePoolSize() async throws {
        try addVeths(3)
        let pool = try makePool()
        for n in 0..<3 {
            _ = try await pool.allocate(containerID: "c\(n)", ifName: "eth0", netns: "/run/netns/\(n)")
        }
        await assertPoolError(
            try await pool.allocate(containerID: "c9", ifName: "eth0", netns: "/run/netns/9"),
            code: .poolExhausted, contains: ["exhausted", "mode veth", "3 interfaces"])
        XCTAssertEqual(try recordedNames(), ["veth0", "veth1", "veth2"])
    }

    private func inventoryMACs() throws -> [String: String] {
        let inventory = try XCTUnwrap(stateJSON()["inventory"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: inventory.compactMap { entry in
            (entry["name"] as? String).flatMap { name in (entry["macAddress"] as? String).map { (name, $0) } }
        })
    }

    /// Once reconcile has seen every candidate, an allocation reads only the candidates up to
    /// the first free one: a later candidate's changed sysfs file is not read (its inventory
    /// entry keeps the MAC reconcile saw). A candidate the inventory does not know yet makes
    /// the allocation read them all, so the inventory learns it.
    func testAllocationReadsOnlyUpToTheFirstFreeCandidateOnceTheInventoryKnowsThePool() async throws {
        try addVeths(4)
        let pool = try makePool()
        _ = try await pool.reconcile(liveNamespaces: [])
        XCTAssertEqual(try inventoryMACs()["veth3"], "02:00:00:00:00:03")
        let veth3 = try FileManager.default.destinationOfSymbolicLink(atPath: sysfs.netClass + "/veth3")
        try "02:00:00:00:00:33\n".write(toFile: veth3 + "/address", atomically: false, encoding: .utf8)

        let first = try await pool.allocate(containerID: "c0", ifName: "eth0", netns: "/n/0")
        XCTAssertEqual(first.interface.name, "veth0")
        XCTAssertEqual(try inventoryMACs()["veth3"], "02:00:00:00:00:03", "veth3 was read although veth0 was free")

        try sysfs.netdev("veth4", index: 104, mac: "02:00:00:00:00:04")
        let second = try await pool.allocate(containerID: "c1", ifName: "eth0", netns: "/n/1")
        XCTAssertEqual(second.interface.name, "veth1")
        let inventory = try inventoryMACs()
        XCTAssertEqual(inventory["veth4"], "02:00:00:00:00:04")
        XCTAssertEqual(inventory["veth3"], "02:00:00:00:00:33")
    }

    func testAllocationsSurviveANewPoolInstance() async throws {
        try addVeths(4)
        var before: [Allocation] = []
        do {
            let pool = try makePool()
            for n in 0..<3 {
                before.append(try await pool.allocate(containerID: "c\(n)", ifName: "eth\(n)", netns: "/run/netns/\(n)"))
            }
            try await pool.release(containerID: "c1", ifName: "eth1")
        }
        let reopened = try makePool()
        let after = await reopened.allocations
        XCTAssertEqual(after, [before[0], before[2]])
        let same = try await reopened.allocate(containerID: "c2", ifName: "eth2", netns: "/run/netns/2")
        XCTAssertEqual(same, before[2])
        // The next new pod gets the interface c1 gave back, not one that is still held.
        let next = try await reopened.allocate(containerID: "c4", ifName: "eth0", netns: "/run/netns/4")
        XCTAssertEqual(next.interface.name, "veth1")
    }

    func testTheStateFileIsValidJSONWithMode0600AfterEveryStep() async throws {
        try addVeths(2)
        let pool = try makePool()
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateFile), "nothing is written before the first change")
        let steps: [(String, () async throws -> Void)] = [
            ("allocate c1", { _ = try await pool.allocate(containerID: "c1", ifName: "eth0", netns: "/n/1") }),
            ("allocate c2", { _ = try await pool.allocate(containerID: "c2", ifName: "eth0", netns: "/n/2") }),
            ("release c1", { try await pool.release(containerID: "c1", ifName: "eth0") }),
            ("release c1 again", { try await pool.release(containerID: "c1", ifName: "eth0") }),
            ("release c2", { try await pool.release(containerID: "c2", ifName: "eth0") }),
        ]
        var expected: [[String]] = [["veth0"], ["veth0", "veth1"], ["veth1"], ["veth1"], []]
        for (name, step) in steps {
            try await step()
            let attributes = try FileManager.default.attributesOfItem(atPath: stateFile)
            XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600, name)
            XCTAssertEqual(try recordedNames(), expected.removeFirst(), name)
            XCTAssertEqual(try stateJSON()["mode"] as? String, "veth", name)
            XCTAssertFalse(FileManager.default.fileExists(atPath: stateFile + ".tmp"), name)
        }
    }

    /// A crash between writing the temporary file and renaming it leaves `<state>.tmp`; the
    /// next start reads only the state file, and the next write replaces the leftover.
    func testALeftoverTemporaryFileIsIgnored() async throws {
        try addVeths(2)
        let first = try await makePool().allocate(containerID: "c1", ifName: "eth0", netns: "/n/1")
        try #"{"version": 1, "mode": "veth", "allocations": [{"containerID": "c9", "#.write(
            toFile: stateFile + ".tmp", atomically: false, encoding: .utf8)
        let reopened = try makePool()
        let loaded = await reopened.allocations
        XCTAssertEqual(loaded, [first])
        let second = try await reopened.allocate(containerID: "c2", ifName: "eth0", netns: "/n/2")
        XCTAssertEqual(second.interface.name, "veth1")
        XCTAssertEqual(try recordedNames(), ["veth0", "veth1"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateFile + ".tmp"))
    }

    func testACorruptOrForeignStateFileStopsThePool() async throws {
        try FileManager.default.createDirectory(atPath: directory.path + "/state", withIntermediateDirectories: true)
        try "{ not json".write(toFile: stateFile, atomically: false, encoding: .utf8)
        await assertPoolError(try makePool(), code: .corruptState, contains: [stateFile])
        try #"{"version": 1, "mode": "tap", "allocations": [], "inventory": []}"#.write(toFile: stateFile, atomically: false, encoding: .utf8)
        await assertPoolError(try makePool(), code: .stateMismatch, contains: ["tap", "veth"])
    }

    func testAFailedStateWriteAllocatesNothing() async throws {
        try addVeths(1)
        // The state file's directory cannot be created: a regular file is in the way.
        try "".write(toFile: directory.path + "/blocker", atomically: false, encoding: .utf8)
        let config = InterfacePoolConfig(mode: .veth, selector: .prefix("veth"), stateFile: directory.path + "/blocker/pool.json")
        let pool = try InterfacePool(config: config, discovery: sysfs.discovery)
        await assertPoolError(try await pool.allocate(containerID: "c1", ifName: "eth0", netns: "/n/1"), code: .stateWriteFailed)
        let allocations = await pool.allocations
        XCTAssertEqual(allocations, [])
    }

    /// Many concurrent ADDs: every success has its own interface, and exactly the surplus fails
    /// with `.poolExhausted`.
    func testConcurrentAllocationsNeverShareAnInterface() async throws {
        let size = 24, callers = 40
        try addVeths(size)
        let pool = try makePool()
        let results = await withTaskGroup(of: Result<Allocation, any Error>.self) { group in
            for n in 0..<callers {
                group.addTask {
                    do {
                        return .success(try await pool.allocate(containerID: "c\(n)", ifName: "eth0", netns: "/n/\(n)"))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var all: [Result<Allocation, any Error>] = []
            for await result in group { all.append(result) }
            return all
        }
        let names = results.compactMap { try? $0.get().interface.name }
        XCTAssertEqual(names.count, size)
        XCTAssertEqual(Set(names).count, size, "an interface was given twice")
        let failures = results.compactMap { result -> InterfacePoolError? in
            if case .failure(let error) = result { return error as? InterfacePoolError }
            return nil
        }
        XCTAssertEqual(failures.count, callers - size)
        XCTAssertTrue(failures.allSatisfy { $0.code == .poolExhausted })
        XCTAssertEqual(Set(try recordedNames()), Set(names))
    }

    /// Reconcile rules on a fake sysfs: netns gone → released; interface neither in the host
    /// nor in its netns → dropped; a pool interface in a pod netns without a record → reported
    /// and never handed out.
    func testReconcileReleasesDropsAndReports() async throws {
        try addVeths(4)
        let pool = try makePool()
        let inGone = try await pool.allocate(containerID: "gone", ifName: "eth0", netns: "/n/gone")  // veth0
        let inPlace = try await pool.allocate(containerID: "kept", ifName: "eth0", netns: "/n/kept")  // veth1
        let vanished = try await pool.allocate(containerID: "lost", ifName: "eth0", netns: "/n/lost")  // veth2
        // ADD moved veth1 and veth2 into their netns; veth3 got into /n/stray with no record.
        for name in ["veth1", "veth2", "veth3"] { try sysfs.removeNetdev(name) }
        let live = [
            LiveNamespace(path: "/n/kept", macAddresses: [inPlace.interface.macAddress, MACAddress("02:aa:00:00:00:01")!]),
            LiveNamespace(path: "/n/lost", macAddresses: []),
            LiveNamespace(path: "/n/stray", macAddresses: [MACAddress("02:00:00:00:00:03")!]),
        ]
        let report = try await pool.reconcile(liveNamespaces: live)
        XCTAssertEqual(report.released, [inGone])
        XCTAssertEqual(report.dropped, [vanished])
        XCTAssertEqual(report.unrecorded.map(\.interface.name), ["veth3"])
        XCTAssertEqual(report.unrecorded.map(\.netns), ["/n/stray"])
        let left = await pool.allocations
        XCTAssertEqual(left, [inPlace])
        XCTAssertEqual(try recordedNames(), ["veth1"])

        // Only veth0 is in the host namespace and free; the stray veth3 is not handed out.
        let next = try await pool.allocate(containerID: "new", ifName: "eth0", netns: "/n/new")
        XCTAssertEqual(next.interface.name, "veth0")
        await assertPoolError(try await pool.allocate(containerID: "more", ifName: "eth0", netns: "/n/more"), code: .poolExhausted)
    }

    func testReconcileKeepsAnAllocationWhoseNamespaceContentsAreUnknown() async throws {
        try addVeths(1)
        let pool = try makePool()
        let allocation = try await pool.allocate(containerID: "c1", ifName: "eth0", netns: "/n/1")
        try sysfs.removeNetdev("veth0")
        let report = try await pool.reconcile(liveNamespaces: [LiveNamespace(path: "/n/1")])
        XCTAssertEqual(report, ReconcileReport())
        let left = await pool.allocations
        XCTAssertEqual(left, [allocation])
    }
}
