import InfraNet
import Netlink
import XCTest

/// `plumbPod` / `unplumbPod`: ADD is atomic, DEL is idempotent.
final class PodInterfaceTests: NamespaceTestCase {
    private struct Setup {
        var node: String
        var pod: String
        var hostEnd: String
        var original: Link
        var spec: PodInterfaceSpec
    }

    /// A veth in a "node" namespace (the far end stays there, up) and an empty "pod" one.
    private func setUpNodeAndPod(addresses: [CIDR] = [CIDR("10.244.2.9/32")!]) async throws -> Setup {
        let node = try makeNamespace()
        let pod = try makeNamespace()
        let id = suffix()
        let hostEnd = "nlh\(id)"
        let original = try await runner.run(in: node.namespace) { socket -> Link in
            try socket.createVethPair(name: hostEnd, peerName: "nlf\(id)")
            try socket.setLink(try socket.link(named: "nlf\(id)"), up: true)
            return try socket.link(named: hostEnd)
        }
        let spec = PodInterfaceSpec(hostLinkName: hostEnd, hostNamespace: node.namespace, podNamespace: pod.namespace,
                                    macAddress: MACAddress("02:00:0a:f4:02:09")!, mtu: 1400, addresses: addresses,
                                    gatewayMAC: MACAddress("ee:ee:ee:ee:ee:ee")!, routes: [CIDR("10.96.0.0/12")!])
        return Setup(node: node.name, pod: pod.name, hostEnd: hostEnd, original: original, spec: spec)
    }

    private func linkNames(_ namespace: String) throws -> Set<String> {
        Set(try ipJSON(namespace, ["link", "show"]).compactMap { $0["ifname"] as? String })
    }

    /// The interface is back in the node under its own name, as it was, and down.
    private func assertReturned(_ setup: Setup, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try linkNames(setup.pod), ["lo"], file: file, line: line)
        let back = try XCTUnwrap(try ipJSON(setup.node, ["link", "show", setup.hostEnd]).first, file: file, line: line)
        XCTAssertEqual(back["address"] as? String, setup.original.macAddress?.description, file: file, line: line)
        XCTAssertEqual(back["mtu"] as? Int, setup.original.mtu, file: file, line: line)
        XCTAssertFalse((back["flags"] as? [String] ?? []).contains("UP"), "\(back)", file: file, line: line)
    }

    func testPlumbThenUnplumbTwice() async throws {
        let setup = try await setUpNodeAndPod()
        let link = try await runner.plumbPod(setup.spec)
        XCTAssertEqual(link.name, "eth0")
        XCTAssertEqual(try linkNames(setup.node), ["lo", "nlf" + setup.hostEnd.dropFirst(3)])

        let eth0 = try XCTUnwrap(try ipJSON(setup.pod, ["link", "show", "eth0"]).first)
        XCTAssertEqual(eth0["address"] as? String, "02:00:0a:f4:02:09")
        XCTAssertEqual(eth0["mtu"] as? Int, 1400)
        XCTAssertTrue((eth0["flags"] as? [String] ?? []).contains("UP"))
        let info = try ipJSON(setup.pod, ["-4", "addr", "show", "dev", "eth0"]).flatMap { $0["addr_info"] as? [[String: Any]] ?? [] }
        XCTAssertEqual(info.map { "\($0["local"] ?? "")/\($0["prefixlen"] ?? "")" }, ["10.244.2.9/32"])
        let routes = try ipJSON(setup.pod, ["-4", "route", "show"])
        XCTAssertEqual(Set(routes.compactMap { $0["dst"] as? String }), ["default", "10.96.0.0/12"], "\(routes)")
        XCTAssertTrue(routes.allSatisfy { ($0["flags"] as? [String] ?? []).contains("onlink") && $0["gateway"] as? String == "169.254.1.1" })
        let neighbours = try ipJSON(setup.pod, ["-4", "neigh", "show"])
        XCTAssertEqual(neighbours.map { $0["lladdr"] as? String }, ["ee:ee:ee:ee:ee:ee"])
        XCTAssertEqual(neighbours.first?["state"] as? [String], ["PERMANENT"])

        try await runner.unplumbPod(setup.spec, originalMAC: setup.original.macAddress, originalMTU: setup.original.mtu)
        try assertReturned(setup)
        try await runner.unplumbPod(setup.spec)   // DEL twice is fine
        try assertReturned(setup)
    }

    func testFailedAddIsUndone() async throws {
        // The same address twice: the second add fails after rename, MAC, MTU, up and one address.
        let setup = try await setUpNodeAndPod(addresses: [CIDR("10.244.2.9/32")!, CIDR("10.244.2.9/32")!])
        do {
            _ = try await runner.plumbPod(setup.spec)
            XCTFail("a duplicate address must fail the ADD")
        } catch let error as NetlinkError {
            XCTAssertEqual(error.code, .alreadyExists)
            XCTAssertTrue(error.message.hasPrefix("add address 10.244.2.9/32 to eth0 in /var/run/netns/\(setup.pod): File exists"), error.message)
        }
        try assertReturned(setup)
    }

    func testPodNameTakenLeavesThePodsInterfaceAlone() async throws {
        let setup = try await setUpNodeAndPod()
        try await runner.run(in: setup.spec.podNamespace) { socket in
            try socket.createVethPair(name: "eth0", peerName: "other0")
        }
        do {
            _ = try await runner.plumbPod(setup.spec)
            XCTFail("eth0 is taken in the pod")
        } catch let error as NetlinkError {
            XCTAssertEqual(error.code, .alreadyExists, error.message)
        }
        XCTAssertEqual(try linkNames(setup.pod), ["lo", "eth0", "other0"])
        let back = try XCTUnwrap(try ipJSON(setup.node, ["link", "show", setup.hostEnd]).first)
        XCTAssertEqual(back["address"] as? String, setup.original.macAddress?.description)
    }

    func testUnplumbWithoutNamespaceOrInterfaceIsSuccess() async throws {
        let setup = try await setUpNodeAndPod()
        try await runner.unplumbPod(setup.spec)   // interface never moved: nothing in the pod
        var gone = setup.spec
        gone.podNamespace = .named("nltest-gone-\(suffix())")
        try await runner.unplumbPod(gone)
        XCTAssertEqual(try linkNames(setup.node).contains(setup.hostEnd), true)
    }
}
