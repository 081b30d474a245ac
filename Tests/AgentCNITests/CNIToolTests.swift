import Foundation
import XCTest

/// infra-cni as a runtime drives it: the CNI project's cnitool (built from Debian's source
/// package by scripts/setup --test) runs a conflist with infra-cni and host-local against the
/// real backend and a real manager.
final class CNIToolTests: AgentCNITestCase {
    var networkName = ""

    override func setUp() async throws {
        try await super.setUp()
        guard FileManager.default.isExecutableFile(atPath: CNIPeers.cnitool) else {
            throw XCTSkip("cnitool is not built; run scripts/setup --test")
        }
        guard let infraCNI = CNIPeers.product("infra-cni") else { throw XCTSkip("infra-cni is not built") }
        networkName = "acni-\(UInt32.random(in: 0...UInt32.max))"
        try CNIPeers.makePluginDirectory(at: directory + "/bin", infraCNI: infraCNI)
        try FileManager.default.createDirectory(atPath: directory + "/netconf", withIntermediateDirectories: true)
        let conflist = """
        {"cniVersion":"1.0.0","name":"\(networkName)","plugins":[{"type":"infra-cni","agentSocket":"\(socketPath)","mtu":1450,
         "ipam":{"type":"host-local","dataDir":"\(directory)/ipam","ranges":[[{"subnet":"10.251.0.0/24","gateway":"10.251.0.1"}]],
                 "routes":[{"dst":"0.0.0.0/0"},{"dst":"10.96.0.0/12"}]}}]}
        """
        try conflist.write(toFile: directory + "/netconf/10-\(networkName).conflist", atomically: true, encoding: .utf8)
    }

    override func tearDown() async throws {
        CNIPeers.dropCachedResults(network: networkName)
        try await super.tearDown()
    }

    func cnitool(_ verb: String, _ ns: String) async throws -> ProcessRun {
        try await runOffPool(CNIPeers.cnitool, [verb, networkName, "/var/run/netns/\(ns)"], environment: [
            "NETCONFPATH": directory + "/netconf", "CNI_PATH": directory + "/bin", "CNI_IFNAME": "eth0",
            "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-tool", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        ])
    }

    func testAddPlumbsThePodCheckFindsTamperingDelCleansUpTwice() async throws {
        let ns = try makeNamespace()
        let added = try await cnitool("add", ns)
        XCTAssertEqual(added.status, 0, added.stderr)
        let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(added.stdout.utf8)) as? [String: Any], added.stdout)
        let ips = try XCTUnwrap(result["ips"] as? [[String: Any]])
        let address = try XCTUnwrap(ips.first?["address"] as? String)
        XCTAssertTrue(address.hasPrefix("10.251.0.") && address.hasSuffix("/32"), address)
        XCTAssertEqual(ips.first?["gateway"] as? String, "169.254.1.1")
        let first = await pool.allocations.first
        let allocation = try XCTUnwrap(first)
        let interfaces = try XCTUnwrap(result["interfaces"] as? [[String: Any]])
        XCTAssertEqual(interfaces.first?["mac"] as? String, allocation.interface.macAddress.description)
        XCTAssertEqual(interfaces.first?["sandbox"] as? String, "/var/run/netns/\(ns)")

        // The pod as the kernel holds it.
        let host = String(address.split(separator: "/")[0])
        try assertPlumbed(ns, address: host, mac: allocation.interface.macAddress.description, mtu: 1450)
        XCTAssertEqual(try ipJSON(ns, ["route", "show", "10.96.0.0/12"]).first?["gateway"] as? String, "169.254.1.1")
        let pods = try await manager.status().desired.pods
        XCTAssertEqual(pods, 1, "the manager acknowledged the pod before ADD returned")

        // Traffic to the gateway leaves the pod with the ARP proxy's MAC and reaches the pool port.
        let port = try XCTUnwrap(poolNames.firstIndex(of: allocation.interface.name).map { peerNames[$0] })
        try await assertTrafficReachesPort(port, fromNetns: "/var/run/netns/\(ns)")

        let checked = try await cnitool("check", ns)
        XCTAssertEqual(checked.status, 0, "untouched pod: \(checked.stderr)")

        try command(["ip", "-n", ns, "addr", "del", "\(host)/32", "dev", "eth0"])
        let noAddress = try await cnitool("check", ns)
        XCTAssertNotEqual(noAddress.status, 0)
        XCTAssertTrue(noAddress.stderr.contains("lacks address \(host)/32"), noAddress.stderr)
        try command(["ip", "-n", ns, "addr", "add", "\(host)/32", "dev", "eth0"])
        let restored = try await cnitool("check", ns)
        XCTAssertEqual(restored.status, 0, restored.stderr)

        try command(["ip", "-n", ns, "link", "set", "eth0", "address", "02:00:00:00:0a:99"])
        let otherMAC = try await cnitool("check", ns)
        XCTAssertNotEqual(otherMAC.status, 0)
        XCTAssertTrue(otherMAC.stderr.contains("has MAC 02:00:00:00:0a:99"), otherMAC.stderr)

        let deleted = try await cnitool("del", ns)
        XCTAssertEqual(deleted.status, 0, deleted.stderr)
        try await assertNothingHeld(ns)
        let again = try await cnitool("del", ns)
        XCTAssertEqual(again.status, 0, "DEL twice: \(again.stderr)")
        try await assertNothingHeld(ns)
    }
}

extension AgentCNITestCase {
    /// eth0 in `ns` has the address as a host route, the MAC and MTU, the on-link default via
    /// 169.254.1.1 and the gateway as a PERMANENT neighbour with the ARP proxy's MAC.
    func assertPlumbed(_ ns: String, address: String, mac: String, mtu: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let link = try XCTUnwrap(try ipJSON(ns, ["addr", "show", "dev", "eth0"]).first, file: file, line: line)
        XCTAssertEqual(link["address"] as? String, mac, file: file, line: line)
        XCTAssertEqual(link["mtu"] as? Int, mtu, file: file, line: line)
        XCTAssertEqual(link["operstate"] as? String, "UP", file: file, line: line)
        let addresses = link["addr_info"] as? [[String: Any]] ?? []
        XCTAssertTrue(addresses.contains { $0["local"] as? String == address && $0["prefixlen"] as? Int == 32 }, "\(addresses)", file: file, line: line)
        let defaults = try ipJSON(ns, ["route", "show", "default"])
        XCTAssertEqual(defaults.first?["gateway"] as? String, "169.254.1.1", file: file, line: line)
        XCTAssertTrue((defaults.first?["flags"] as? [String] ?? []).contains("onlink"), "\(defaults)", file: file, line: line)
        let neighbour = try XCTUnwrap(try ipJSON(ns, ["neigh", "show", "169.254.1.1", "dev", "eth0"]).first, file: file, line: line)
        XCTAssertEqual(neighbour["lladdr"] as? String, gatewayMAC.description, file: file, line: line)
        XCTAssertEqual(neighbour["state"] as? [String], ["PERMANENT"], file: file, line: line)
    }

    /// Sends UDP datagrams to an off-link address from inside the pod's netns and captures on
    /// the pool port's host end: they arrive there in frames addressed to the ARP proxy's MAC
    /// (the pod's permanent gateway neighbour). Nobody answers; only the arrival counts.
    func assertTrafficReachesPort(_ port: String, fromNetns netns: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let capture = try FrameCapture(interface: port)
        let target = "10.96.0.10"
        let gateway = gatewayMAC.description
        let captured = Task.detached {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(returning: capture.first(within: 10) { $0.destinationMAC == gateway && $0.ipv4Destination == target })
                }
            }
        }
        try sendUDP(inNetns: netns, to: target, count: 5)
        let frame = await captured.value
        XCTAssertNotNil(frame, "no IPv4 frame to \(target) with destination MAC \(gateway) arrived on \(port)", file: file, line: line)
    }

    /// After DEL: the netns holds only lo, every pool end is home, no slot, pod or lease is held.
    func assertNothingHeld(_ ns: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        XCTAssertEqual(try ipJSON(ns, ["link", "show"]).compactMap { $0["ifname"] as? String }, ["lo"], file: file, line: line)
        XCTAssertEqual(try poolLinksInHost(), Set(poolNames), file: file, line: line)
        let allocations = await pool.allocations
        XCTAssertEqual(allocations, [], file: file, line: line)
        let pods = try await manager.status().desired.pods
        XCTAssertEqual(pods, 0, file: file, line: line)
        let registered = await backend.pods()
        XCTAssertEqual(registered.count, 0, file: file, line: line)
        let leases = try FileManager.default.subpathsOfDirectory(atPath: directory).filter { $0.contains("/ipam/") || $0.hasPrefix("ipam/") }
        XCTAssertEqual(leases.filter { $0.split(separator: "/").last?.hasPrefix("10.") == true }, [], "host-local leases", file: file, line: line)
    }
}
