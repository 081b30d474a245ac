import Foundation
import InfraNet
import XCTest

@testable import InterfacePool

/// Discovery and reconcile with real veth and tap devices and a real netns in the host
/// namespace (root only). Names carry this process's tag; tearDown removes all of them.
final class RealDeviceTests: XCTestCase {
    private var links: [String] = []
    private var namespaces: [String] = []
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "needs root to create links and namespaces")
        directory = try TemporaryDirectory()
    }

    override func tearDown() {
        for link in links { _ = try? ipCommand(["link", "del", "dev", link]) }
        for namespace in namespaces { _ = try? ipCommand(["netns", "del", namespace]) }
        directory?.remove()
    }

    private func addVeth(_ host: String, peer: String) throws {
        try ipCommand(["link", "add", host, "type", "veth", "peer", "name", peer])
        links.append(host)
    }

    private func addTap(_ name: String) throws {
        try ipCommand(["tuntap", "add", "dev", name, "mode", "tap"])
        links.append(name)
    }

    func testVethModeFindsTheHostEndsByPrefix() throws {
        let prefix = "iv\(processTag)_"
        try addVeth(prefix + "1", peer: "ip\(processTag)_1")
        try addVeth(prefix + "0", peer: "ip\(processTag)_0")
        let config = InterfacePoolConfig(mode: .veth, selector: .prefix(prefix), ports: [prefix + "0": 3])
        let found = try InterfaceDiscovery().discover(config)
        XCTAssertEqual(found.map(\.name), [prefix + "0", prefix + "1"])
        for interface in found {
            let facts = try linkFacts(interface.name)
            XCTAssertEqual(interface.index, facts.index)
            XCTAssertEqual(interface.macAddress, facts.mac)
        }
        XCTAssertEqual(found.map(\.ipuPort), [3, nil])
    }

    func testVethModeWithAListTakesThoseThatExistInListOrder() throws {
        let a = "iv\(processTag)_a", b = "iv\(processTag)_b"
        try addVeth(a, peer: "ip\(processTag)_a")
        try addVeth(b, peer: "ip\(processTag)_b")
        let config = InterfacePoolConfig(mode: .veth, selector: .names([b, "iv\(processTag)_gone", a]))
        XCTAssertEqual(try InterfaceDiscovery().discover(config).map(\.name), [b, a])
    }

    func testTapModeFindsTapDevicesAndSkipsAVethWithTheSamePrefix() throws {
        let prefix = "it\(processTag)_"
        try addTap(prefix + "0")
        try addTap(prefix + "1")
        try addVeth(prefix + "9", peer: "ip\(processTag)_9")
        let found = try InterfaceDiscovery().discover(InterfacePoolConfig(mode: .tap, selector: .pattern(prefix + "*")))
        XCTAssertEqual(found.map(\.name), [prefix + "0", prefix + "1"])
        let facts = try linkFacts(prefix + "1")
        XCTAssertEqual(found[1].index, facts.index)
        XCTAssertEqual(found[1].macAddress, facts.mac)
    }

    /// The interface goes into a pod netns like CNI ADD does; while the netns lives the
    /// allocation stays, and once the netns is deleted reconcile releases it.
    func testReconcileReleasesTheAllocationOfADeletedNetns() async throws {
        let prefix = "iv\(processTag)_"
        let namespace = "ipool-\(processTag)-\(UInt32.random(in: 0...0xFFFF))"
        try addVeth(prefix + "0", peer: "ip\(processTag)_0")
        try ipCommand(["netns", "add", namespace])
        namespaces.append(namespace)
        let netnsPath = "/var/run/netns/" + namespace
        let config = InterfacePoolConfig(mode: .veth, selector: .prefix(prefix), stateFile: directory.path + "/state.json")

        let pool = try InterfacePool(config: config)
        let allocation = try await pool.allocate(containerID: "c1", ifName: "eth0", netns: netnsPath)
        XCTAssertEqual(allocation.interface.name, prefix + "0")
        try ipCommand(["link", "set", "dev", prefix + "0", "netns", namespace])
        try ipCommand(["-n", namespace, "link", "set", "dev", prefix + "0", "name", "eth0"])

        let live = LiveNamespace.named().map { namespace in
            LiveNamespace(path: namespace.path, macAddresses: namespace.path == netnsPath ? try? macAddresses(inNamespace: (netnsPath as NSString).lastPathComponent) : nil)
        }
        XCTAssertTrue(live.contains { $0.path == netnsPath })
        let kept = try await pool.reconcile(liveNamespaces: live)
        XCTAssertEqual(kept, ReconcileReport())
        let stillAllocated = await pool.allocations
        XCTAssertEqual(stillAllocated, [allocation])

        try ipCommand(["netns", "del", namespace])
        namespaces.removeAll()
        let report = try await pool.reconcile(liveNamespaces: LiveNamespace.named())
        XCTAssertEqual(report.released, [allocation])
        XCTAssertEqual(report.dropped, [])
        let left = await pool.allocations
        XCTAssertEqual(left, [])
        // The new pool instance reads the same result from the state file.
        let reloaded = try InterfacePool(config: config)
        let reloadedAllocations = await reloaded.allocations
        XCTAssertEqual(reloadedAllocations, [])
    }
}
