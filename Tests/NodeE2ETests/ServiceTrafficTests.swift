import Foundation
import XCTest

/// Services through the whole node: infractl → manager → k8s_dp on infra-p4-dpdk, with real
/// connections from client pods (a, b) to server pods (c, d) that answer with their name.
final class ServiceTrafficTests: NodeTestCase {
    override class var podNames: [String] { ["a", "b", "c", "d"] }

    override class func prepare(_ node: NodeHarness) throws {
        for backend in ["c", "d"] { try node.startServer(in: backend, tcp: [8080], udp: [5353]) }
    }

    /// One Service port's JSON for infractl (an infra.v1 UpsertServicesRequest).
    func service(_ name: String, ip: String, transport: String = "TCP", port: Int, targetPort: Int = 8080, nodePort: Int = 0,
                 backends: [String], affinity: Bool = false) throws -> String {
        let node = try node()
        let members = try backends.map { #"{"ipAddress":"\#(try node.pod($0).ip)","port":\#(targetPort)}"# }.joined(separator: ",")
        return """
        {"services":[{"key":{"namespace":"e2e","name":"\(name)"},"clusterIps":["\(ip)"],
          \(affinity ? #""sessionAffinity":"SESSION_AFFINITY_CLIENT_IP","# : "")
          "ports":[{"name":"p","protocol":"PROTOCOL_\(transport)","port":\(port),"nodePort":\(nodePort),"backends":[\(members)]}]}]}
        """
    }

    func deleteService(_ name: String) throws {
        try node().deleteServices(#"{"keys":[{"namespace":"e2e","name":"\#(name)"}]}"#)
    }

    /// Every attempt was answered, from `peer` (the address the client called: replies are
    /// reverse-NATed), and the answers came from exactly `backends`.
    func assertAnswered(_ attempts: [NodeHarness.Attempt], from peer: String, by backends: Set<String>, _ what: String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(attempts.filter { $0.failure != nil }.count, 0, "\(what): \(attempts)", file: file, line: line)
        XCTAssertEqual(Set(attempts.compactMap(\.peer)), [peer], "\(what): \(attempts)", file: file, line: line)
        XCTAssertEqual(Set(attempts.compactMap(\.reply)), backends, "\(what): \(attempts)", file: file, line: line)
    }

    func testTCPServiceIsBalancedOverItsBackendsAndAnswersFromTheServiceAddress() throws {
        let node = try node()
        try node.applyServices(try service("tcp-web", ip: "10.96.0.10", port: 80, backends: ["c", "d"]))
        defer { try? deleteService("tcp-web") }
        // A connection to the Service address completes only if the backend's SYN-ACK came
        // back rewritten to 10.96.0.10:80 (reverse NAT); the peer is what the client saw.
        assertAnswered(try node.tcp(from: "a", to: "10.96.0.10", port: 80, count: 16), from: "10.96.0.10:80", by: ["c", "d"])
    }

    func testUDPServiceIsBalancedAndRepliesComeFromTheServiceAddress() throws {
        let node = try node()
        try node.applyServices(try service("udp-echo", ip: "10.96.0.11", transport: "UDP", port: 53, targetPort: 5353, backends: ["c", "d"]))
        defer { try? deleteService("udp-echo") }
        // recvfrom on an unconnected socket shows the reply's real source address.
        assertAnswered(try node.udp(from: "a", to: "10.96.0.11", port: 53, count: 16), from: "10.96.0.11:53", by: ["c", "d"])
    }

    func testNodePortOnTheNodeAddressReachesTheBackends() throws {
        let node = try node()
        try node.applyServices(try service("node-port", ip: "10.96.0.12", port: 80, nodePort: 30080, backends: ["c", "d"]))
        defer { try? deleteService("node-port") }
        let address = node.configuration.nodeAddress
        assertAnswered(try node.tcp(from: "b", to: address, port: 30080, count: 16), from: "\(address):30080", by: ["c", "d"])
    }

    func testClientIPAffinityKeepsEachClientOnOneBackendWhileAServiceWithoutItSpreads() throws {
        let node = try node()
        try node.applyServices(try service("sticky", ip: "10.96.0.13", port: 80, backends: ["c", "d"], affinity: true))
        try node.applyServices(try service("spread", ip: "10.96.0.14", port: 80, backends: ["c", "d"]))
        defer {
            try? deleteService("sticky")
            try? deleteService("spread")
        }
        for client in ["a", "b"] {
            let sticky = try node.tcp(from: client, to: "10.96.0.13", port: 80, count: 12)
            let backend = try XCTUnwrap(sticky.first?.reply, "\(sticky)")
            assertAnswered(sticky, from: "10.96.0.13:80", by: [backend], "client \(client) always reaches the same backend")
        }
        let spread = try node.tcp(from: "a", to: "10.96.0.14", port: 80, count: 16)
        XCTAssertEqual(Set(spread.compactMap(\.reply)), ["c", "d"], "without affinity one client spreads: \(spread)")
    }

    func testServiceWithoutEndpointsDropsAndCountsTheDrops() async throws {
        let node = try node()
        try node.applyServices(try service("empty", ip: "10.96.0.15", port: 80, backends: []))
        defer { try? deleteService("empty") }
        let before = try await node.counterPackets("service_drops").values.reduce(0, +)
        let attempts = try node.tcp(from: "a", to: "10.96.0.15", port: 80, count: 1, timeout: 1.5)
        // Dropped, not refused: the SYN (and its retransmission) vanish, the client times out.
        XCTAssertEqual(attempts.map(\.failure), ["TimeoutError"], "\(attempts)")
        let after = try await node.counterPackets("service_drops").values.reduce(0, +)
        XCTAssertGreaterThanOrEqual(after - before, 1, "service_drops counts the dropped SYNs (before \(before), after \(after))")
    }
}
