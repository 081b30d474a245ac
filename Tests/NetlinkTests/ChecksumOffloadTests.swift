import InfraNet
import Netlink
import XCTest

/// TX checksum offload on a plumbed pod interface: off when the spec asks (the agent's veth
/// pool mode), untouched otherwise; read back through the module and, independently, with
/// `ethtool -k` inside the pod.
final class ChecksumOffloadTests: NamespaceTestCase {
    /// A veth in a "node" namespace and its far end plumbed into a "pod" as eth0.
    private func plumbedPod(txChecksumOffload: Bool?) async throws -> (pod: String, namespace: NetworkNamespace) {
        let node = try makeNamespace()
        let pod = try makeNamespace()
        let id = suffix()
        try await runner.run(in: node.namespace) { socket in
            try socket.createVethPair(name: "nlh\(id)", peerName: "nlf\(id)")
            try socket.setLink(try socket.link(named: "nlf\(id)"), up: true)
        }
        let spec = PodInterfaceSpec(hostLinkName: "nlh\(id)", hostNamespace: node.namespace, podNamespace: pod.namespace,
                                    addresses: [CIDR("10.244.3.4/32")!], gatewayMAC: MACAddress("ee:ee:ee:ee:ee:ee")!,
                                    txChecksumOffload: txChecksumOffload)
        _ = try await runner.plumbPod(spec)
        return (pod.name, pod.namespace)
    }

    private func ethtoolSaysTXChecksumming(_ pod: String) throws -> String? {
        guard (try? command(["which", "ethtool"])) != nil else { return nil }
        let features = try command(["ip", "netns", "exec", pod, "ethtool", "-k", "eth0"])
        return features.split(separator: "\n").first { $0.hasPrefix("tx-checksumming:") }.map(String.init)
    }

    func testVethModePlumbingTurnsTXChecksumOffloadOff() async throws {
        let (pod, namespace) = try await plumbedPod(txChecksumOffload: false)
        let offload = try await runner.run(in: namespace) { socket in try socket.txChecksumOffload(of: try socket.link(named: "eth0")) }
        XCTAssertFalse(offload)
        if let line = try ethtoolSaysTXChecksumming(pod) { XCTAssertEqual(line, "tx-checksumming: off") }
    }

    func testWithoutTheSettingTheDriverDefaultStays() async throws {
        let (pod, namespace) = try await plumbedPod(txChecksumOffload: nil)
        let offload = try await runner.run(in: namespace) { socket in try socket.txChecksumOffload(of: try socket.link(named: "eth0")) }
        XCTAssertTrue(offload, "a veth starts with TX checksum offload on")
        if let line = try ethtoolSaysTXChecksumming(pod) { XCTAssertEqual(line, "tx-checksumming: on") }
    }

    func testAMissingInterfaceIsNotFoundNamingIt() async throws {
        let pod = try makeNamespace()
        let error = await netlinkError {
            try await self.runner.run(in: pod.namespace) { socket in
                try socket.setTXChecksumOffload(false, of: Link(index: 9999, name: "ghost0"))
            }
        }
        XCTAssertEqual(error?.code, .notFound)
        XCTAssertTrue(error?.message.contains("turn TX checksum offload off for ghost0 in") == true, error?.message ?? "")
    }
}
