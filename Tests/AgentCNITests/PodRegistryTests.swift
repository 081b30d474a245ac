import Foundation
@testable import InfraAgentCore
import XCTest

/// What a Sync reports while the manager is being told about a pod: the pod being created is
/// in, the pod being deleted is out, and after `settle` the file alone decides.
final class PodRegistryTests: XCTestCase {
    func testSyncReportsAnnouncedPodsAndLeavesOutWithdrawnOnes() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pods-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let registry = try PodRegistry(path: path)
        func pod(_ id: String) -> PodRecord {
            PodRecord(containerID: id, interfaceName: "eth0", netns: "/var/run/netns/\(id)", namespace: "default",
                      podName: id, hostInterface: "pool0", macAddress: "02:00:00:00:00:01", ipAddresses: ["10.250.0.5/32"])
        }
        try await registry.insert(pod("kept"))
        try await registry.insert(pod("leaving"))

        await registry.announce(pod("coming"))
        await registry.withdraw(containerID: "leaving", interfaceName: "eth0")
        var reported = await registry.reported.map(\.containerID)
        XCTAssertEqual(reported, ["coming", "kept"])
        let recorded = await registry.all.map(\.containerID)
        XCTAssertEqual(recorded, ["kept", "leaving"], "announce and withdraw do not touch the file")

        // The create failed and the delete failed: both settle back to what the file says.
        await registry.settle(containerID: "coming", interfaceName: "eth0")
        await registry.settle(containerID: "leaving", interfaceName: "eth0")
        reported = await registry.reported.map(\.containerID)
        XCTAssertEqual(reported, ["kept", "leaving"])

        // Both succeed this time: the file changes, then they settle.
        await registry.announce(pod("coming"))
        await registry.withdraw(containerID: "leaving", interfaceName: "eth0")
        try await registry.insert(pod("coming"))
        try await registry.remove(containerID: "leaving", interfaceName: "eth0")
        await registry.settle(containerID: "coming", interfaceName: "eth0")
        await registry.settle(containerID: "leaving", interfaceName: "eth0")
        reported = await registry.reported.map(\.containerID)
        XCTAssertEqual(reported, ["coming", "kept"])
        let reloaded = try PodRegistry(path: path)
        let fromFile = await reloaded.reported.map(\.containerID)
        XCTAssertEqual(fromFile, ["coming", "kept"])
    }
}
