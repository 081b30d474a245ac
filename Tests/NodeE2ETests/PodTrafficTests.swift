import Foundation
import XCTest

/// Pod-to-pod traffic, ARP through the proxy and NetworkPolicy through the whole node. Pods a
/// and b are clients; c (no policy) and e (the policies' endpoint) run servers on TCP 8080,
/// 8081, 9090 and UDP 5353 that answer with their name.
final class PodTrafficTests: NodeTestCase {
    override class var podNames: [String] { ["a", "b", "c", "e"] }

    override class func prepare(_ node: NodeHarness) throws {
        for server in ["c", "e"] { try node.startServer(in: server, tcp: [8080, 8081, 9090], udp: [5353]) }
    }

    // MARK: Pod to pod

    func testPodToPodPingAndTCP() throws {
        let node = try node()
        let target = try node.pod("c").ip
        let ping = try node.run(in: "a", ["ping", "-c", "3", "-i", "0.2", "-W", "2", target])
        XCTAssertTrue(ping.succeeded && ping.stdout.contains(" 0% packet loss"), "\(ping)")
        // TCP needs complete checksums on the wire: the agent turned TX checksum offload off
        // on each pod's veth end (nothing here runs ethtool -K).
        let attempts = try node.tcp(from: "a", to: target, port: 8080, count: 3)
        XCTAssertEqual(attempts.map(\.reply), ["c", "c", "c"], "\(attempts)")
        XCTAssertEqual(Set(attempts.compactMap(\.peer)), ["\(target):8080"])
    }

    func testTheAgentTurnsTXChecksumOffloadOffOnEveryPod() throws {
        let node = try node()
        try XCTSkipUnless((try? Command.run(["which", "ethtool"]))?.succeeded == true, "ethtool is not installed")
        for pod in node.podList {
            let features = try node.run(in: pod.name, ["ethtool", "-k", "eth0"])
            XCTAssertTrue(features.stdout.contains("tx-checksumming: off"), "pod \(pod.name): \(features)")
        }
    }

    /// The counter-proof of the fix: with offload turned back on in one pod, its TCP dies in
    /// the pipeline (partial checksums) while ping still passes.
    func testWithTXChecksumOffloadBackOnAPodsTCPFails() throws {
        let node = try node()
        try XCTSkipUnless((try? Command.run(["which", "ethtool"]))?.succeeded == true, "ethtool is not installed")
        let namespace = try node.pod("b").namespace
        try Command.check(["ip", "netns", "exec", namespace, "ethtool", "-K", "eth0", "tx", "on"])
        defer { _ = try? Command.run(["ip", "netns", "exec", namespace, "ethtool", "-K", "eth0", "tx", "off"]) }
        let target = try node.pod("c").ip
        XCTAssertTrue(try node.run(in: "b", ["ping", "-c", "1", "-W", "2", target]).succeeded)
        XCTAssertEqual(try node.tcp(from: "b", to: target, port: 8080, timeout: 1).map(\.reply), [nil])
    }

    // MARK: ARP

    func testArpingTheGatewayGetsTheProxyMAC() throws {
        let node = try node()
        let arping = try node.run(in: "a", ["arping", "-c", "2", "-w", "5", "-I", "eth0", NodeHarness.gateway])
        XCTAssertEqual(arping.status, 0, "\(arping)")
        XCTAssertTrue(arping.stdout.lowercased().contains("reply from \(NodeHarness.gateway) [\(NodeHarness.gatewayMAC)]"), "\(arping)")
    }

    func testKernelNeighbourResolutionOfTheGatewayGetsTheProxyMAC() throws {
        let node = try node()
        let pod = "b"
        try Command.check(["ip", "-n", try node.pod(pod).namespace, "neigh", "del", NodeHarness.gateway, "dev", "eth0"])
        defer {
            // Back to what the plumbing made: the permanent entry.
            _ = try? Command.run(["ip", "-n", (try? node.pod(pod).namespace) ?? "", "neigh", "replace", NodeHarness.gateway,
                                  "lladdr", NodeHarness.gatewayMAC, "dev", "eth0", "nud", "permanent"])
        }
        let ping = try node.run(in: pod, ["ping", "-c", "2", "-i", "0.2", "-W", "2", try node.pod("c").ip])
        XCTAssertTrue(ping.succeeded, "\(ping)")
        let neighbours = try node.run(in: pod, ["ip", "-j", "neigh", "show", NodeHarness.gateway, "dev", "eth0"])
        let entries = try JSONSerialization.jsonObject(with: Data(neighbours.stdout.utf8)) as? [[String: Any]] ?? []
        XCTAssertEqual(entries.first?["lladdr"] as? String, NodeHarness.gatewayMAC, "\(neighbours)")
        let state = entries.first?["state"] as? [String] ?? []
        XCTAssertFalse(state.contains("PERMANENT"), "the kernel learned it (not the plumbing's entry): \(state)")
        XCTAssertFalse(state.contains("FAILED") || state.contains("INCOMPLETE"), "\(state)")
    }

    // MARK: Policy

    /// Applies `rules` as the only ingress policy of pod e, runs `body`, then removes both.
    func withIngressPolicy(_ rules: String, _ body: (NodeHarness) throws -> Void) throws {
        let node = try node()
        let target = try node.pod("e")
        try node.applyPolicies("""
        {"upsertPolicies":[{"id":"e2e/policy","ingress":[\(rules)]}],
         "upsertEndpoints":[{"id":"e2e/e/eth0","pod":{"containerId":"\(target.containerID)","interfaceName":"eth0"},
           "ipAddresses":["\(target.ip)"],"ingressPolicyIds":["e2e/policy"]}]}
        """)
        defer { try? node.applyPolicies(#"{"removeEndpointIds":["e2e/e/eth0"],"removePolicyIds":["e2e/policy"]}"#) }
        try body(node)
    }

    func replies(_ attempts: [NodeHarness.Attempt]) -> [String?] { attempts.map(\.reply) }

    func testPolicyByCIDRAllowsDeniesAndDefaultDeniesWhileAPodWithoutPolicyPasses() throws {
        let node = try node()
        let a = try node.pod("a").ip, b = try node.pod("b").ip
        try withIngressPolicy("""
        {"action":"RULE_ACTION_DENY","peerCidrs":["\(a)/32"]},{"action":"RULE_ACTION_ALLOW","peerCidrs":["\(b)/32"]}
        """) { node in
            let e = try node.pod("e").ip, c = try node.pod("c").ip
            XCTAssertEqual(replies(try node.tcp(from: "a", to: e, port: 8080, timeout: 1)), [nil], "a is denied by its CIDR")
            XCTAssertEqual(replies(try node.tcp(from: "b", to: e, port: 8080)), ["e"], "b is allowed by its CIDR")
            XCTAssertEqual(replies(try node.tcp(from: "c", to: e, port: 8080, timeout: 1)), [nil],
                           "c matches no rule: an endpoint with policies denies by default")
            XCTAssertEqual(replies(try node.tcp(from: "a", to: c, port: 8080)), ["c"], "c has no policy: everything passes")
        }
        // Removing the policy lets a in again.
        XCTAssertEqual(replies(try node.tcp(from: "a", to: try node.pod("e").ip, port: 8080)), ["e"])
    }

    func testPolicyByDestinationPortRange() throws {
        try withIngressPolicy(#"{"action":"RULE_ACTION_ALLOW","protocol":"PROTOCOL_TCP","ports":[{"first":8080,"last":8081}]}"#) { node in
            let e = try node.pod("e").ip
            XCTAssertEqual(replies(try node.tcp(from: "a", to: e, port: 8080)), ["e"])
            XCTAssertEqual(replies(try node.tcp(from: "a", to: e, port: 8081)), ["e"])
            XCTAssertEqual(replies(try node.tcp(from: "a", to: e, port: 9090, timeout: 1)), [nil], "9090 is outside 8080-8081")
        }
    }

    func testPolicyByProtocolAllowsUDPAndDeniesTCP() throws {
        try withIngressPolicy(#"{"action":"RULE_ACTION_ALLOW","protocol":"PROTOCOL_UDP"}"#) { node in
            let e = try node.pod("e").ip
            let udp = try node.udp(from: "a", to: e, port: 5353)
            XCTAssertEqual(replies(udp), ["e"], "\(udp)")
            XCTAssertEqual(udp.first?.peer, "\(e):5353")
            XCTAssertEqual(replies(try node.tcp(from: "a", to: e, port: 8080, timeout: 1)), [nil], "TCP is not allowed")
        }
    }
}
