// A whole InfraOffload node on this machine, for end-to-end tests with real packets.
//
// How to use it:
//
//     final class MyTests: NodeTestCase {                      // NodeTestCase.swift
//         override class var podNames: [String] { ["a", "b"] } // pods made at class set-up
//         func testSomething() throws {
//             let node = try node()                            // the class's running node
//             try node.startServer(in: "b", tcp: [8080])       // pod_peer.py serve, killed at teardown
//             let ping = try node.run(in: "a", ["ping", "-c", "1", try node.pod("b").ip])   // any command in a pod
//             let attempts = try node.tcp(from: "a", to: try node.pod("b").ip, port: 8080, count: 3)  // also udp(...)
//             try node.applyServices(json)                     // infractl apply services (operator mTLS)
//             try node.manager.restart()                       // also p4dpdk, agent, arpProxy:
//                                                              // start(), stop(), kill(), restart(crash:),
//                                                              // waitForLog(_:occurrences:timeout:), log
//             try node.addPod("c"); try node.deletePod("c")    // CNI ADD/DEL through infra-cni
//             let drops = try await node.counterPackets("service_drops")   // k8s_dp counters (async)
//         }
//     }
//
// Note: the agent's Sync carries only its node and pods, so a Sync (agent start, reconnect)
// removes Services and policies that infractl applied: apply them again after one.
//
// Or without the base class: `let node = try NodeHarness(configuration: .init(pods: [...]))`
// then `node.tearDown()` (idempotent; also removes whatever a failed start made).
//
// What it builds, like scripts/demo-node: the cluster PKI (infra-pki apply pki/profile.yaml);
// P4 port 0 on a veth to the node's own stack (namespace `<tag>-host`, 10.10.0.3/24), port 1
// to the ARP proxy (`<tag>-arp`, MAC 02:00:00:00:00:01), ports 2... to the agent's veth pool
// (`<tag>l<i>` in the root namespace); infra-p4-dpdk with af_packet ports on those veths;
// infra-manager programming it over mutual TLS; arp-proxy; infra-agent with its CNI backend
// on a unix socket; pods as network namespaces `<tag>-<pod>` plumbed by infra-cni with
// Debian's host-local (10.244.0.0/24). Every name carries the tag (`e2e` + pid + a letter per
// node), so concurrent runs never collide, and tearDown removes exactly what it made.
import Foundation
import TestSupport
import XCTest

final class NodeHarness: @unchecked Sendable {
    struct Configuration: Sendable {
        /// Pods made (CNI ADD) when the node starts.
        var pods: [String]
        /// Pool interfaces beyond the pods', for pods a test adds later.
        var spareInterfaces: Int = 1
        /// The node's address (the host stack behind P4 port 0), the manager's NodePort address.
        var nodeAddress = "10.10.0.3"
        var podSubnet = "10.244.0.0/24"

        init(pods: [String], spareInterfaces: Int = 1) {
            self.pods = pods
            self.spareInterfaces = spareInterfaces
        }
    }

    /// A pod: its network namespace and the address host-local gave it.
    struct Pod: Sendable {
        var name: String
        var namespace: String
        var netnsPath: String { "/var/run/netns/\(namespace)" }
        var containerID: String
        var ip: String
    }

    static let repoRoot = BuiltProduct.packageRoot
    static let peerScript = repoRoot.appendingPathComponent("Tests/NodeE2ETests/Peers/pod_peer.py").path
    static let gatewayMAC = "02:00:00:00:00:01"
    static let hostMAC = "02:00:0a:0a:00:03"
    static let gateway = "169.254.1.1"
    static let nodeName = "node-1"

    let configuration: Configuration
    let tag: String
    let directory: String
    let managerPort: Int
    let p4Port: Int
    var hostNamespace: String { "\(tag)-host" }
    var arpNamespace: String { "\(tag)-arp" }
    /// P4 port i's root-namespace interface.
    var p4Interfaces: [String] { (0..<(2 + poolSize)).map { "\(tag)p\($0)" } }
    /// The agent's veth pool (host ends), P4 ports 2...
    var poolInterfaces: [String] { (0..<poolSize).map { "\(tag)l\($0)" } }
    var poolSize: Int { configuration.pods.count + configuration.spareInterfaces }
    var dpdkFilePrefix: String { "\(tag)-dpdk" }
    var pkiDirectory: String { directory + "/pki" }

    private(set) var p4dpdk: NodeDaemon!
    private(set) var manager: NodeDaemon!
    private(set) var arpProxy: NodeDaemon!
    private(set) var agent: NodeDaemon!
    let lock = NSLock()
    var pods: [String: Pod] = [:]
    var namespaces: [String] = []
    var servers: [Process] = []
    private var tornDown = false

    nonisolated(unsafe) private static var nodesMade = 0
    private static let nodesMadeLock = NSLock()

    /// Brings the node up; on any failure everything made so far is removed and the error
    /// (with the failing daemon's log) is thrown.
    init(configuration: Configuration) throws {
        guard getuid() == 0 else { throw XCTSkip("NodeE2ETests need root (namespaces, veths, DPDK)") }
        for tool in ["ip", "python3", "sysctl"] where (try? Command.run(["which", tool]))?.succeeded != true {
            throw XCTSkip("\(tool) is not installed")
        }
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/host-local"),
                          "host-local is not installed (apt-get install containernetworking-plugins)")
        self.configuration = configuration
        let letter = Self.nextLetter()
        tag = "e2e\(getpid() % 100_000)\(letter)"
        directory = NSTemporaryDirectory() + "e2e-node-\(tag)"
        managerPort = try Self.freePort()
        p4Port = try Self.freePort()
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try bringUp()
        } catch {
            tearDown()
            throw error
        }
    }

    private static func nextLetter() -> Character {
        let index = nodesMadeLock.withLock { () -> Int in
            nodesMade += 1
            return nodesMade - 1
        }
        return Character(UnicodeScalar(UInt8(97 + index % 26)))
    }

    private func bringUp() throws {
        try Command.check([try Self.executable("infra-pki"), "apply", Self.repoRoot.path + "/pki/profile.yaml", "--out", pkiDirectory])
        try wireLinks()
        let bin = { (name: String) throws -> String in try Self.executable(name) }
        try writeConfigurations()
        p4dpdk = NodeDaemon(
            name: "infra-p4-dpdk",
            arguments: [try bin("infra-p4-dpdk"), "--config", directory + "/p4-dpdk.yaml", "--tls-directory", pkiDirectory + "/infrap4d"],
            readyLine: "P4Runtime target listening", readyTimeout: 120, directory: directory
        )
        manager = NodeDaemon(
            name: "infra-manager", arguments: [try bin("infra-manager"), "--config", directory + "/manager.yaml"],
            readyLine: "P4Runtime target ready", readyTimeout: 300, directory: directory
        )
        arpProxy = NodeDaemon(
            name: "arp-proxy",
            arguments: ["ip", "netns", "exec", arpNamespace, try bin("arp-proxy"), "--interface", "\(tag)r",
                        "--gateway", Self.gateway, "--log-target", "stderr"],
            readyLine: "answering ARP", readyTimeout: 30, directory: directory
        )
        agent = NodeDaemon(
            name: "infra-agent", arguments: [try bin("infra-agent"), "--config", directory + "/agent.yaml"],
            readyLine: "sync done", readyTimeout: 120, directory: directory
        )
        try p4dpdk.start()
        try manager.start()
        try arpProxy.start()
        try agent.start()
        for pod in configuration.pods { try addPod(pod) }
    }

    /// The root-namespace side of the lab node: P4 ports 0 (host stack) and 1 (ARP proxy)
    /// reach their namespaces; ports 2... are veth pairs whose other end is a pool interface.
    private func wireLinks() throws {
        for namespace in [hostNamespace, arpNamespace] { try makeNamespace(namespace) }
        try veth(p4Interfaces[0], "\(tag)h")
        try Command.check(["ip", "link", "set", "\(tag)h", "netns", hostNamespace, "address", Self.hostMAC])
        try Command.check(["ip", "-n", hostNamespace, "link", "set", "\(tag)h", "up"])
        try Command.check(["ip", "-n", hostNamespace, "addr", "add", configuration.nodeAddress + "/24", "dev", "\(tag)h"])
        try veth(p4Interfaces[1], "\(tag)r")
        try Command.check(["ip", "link", "set", "\(tag)r", "netns", arpNamespace, "address", Self.gatewayMAC])
        try Command.check(["ip", "-n", arpNamespace, "link", "set", "\(tag)r", "up"])
        for (index, pool) in poolInterfaces.enumerated() {
            try veth(p4Interfaces[index + 2], pool)
            try Command.check(["ip", "link", "set", pool, "up"])
        }
    }

    /// A veth pair in the root namespace, the first end up, no IPv6 on either.
    private func veth(_ rootEnd: String, _ other: String) throws {
        try Command.check(["ip", "link", "add", rootEnd, "type", "veth", "peer", "name", other])
        try Command.check(["sysctl", "-qw", "net.ipv6.conf.\(rootEnd).disable_ipv6=1", "net.ipv6.conf.\(other).disable_ipv6=1"])
        try Command.check(["ip", "link", "set", rootEnd, "up"])
    }

    /// A namespace as a container runtime makes it: empty, loopback up, no IPv6.
    func makeNamespace(_ name: String) throws {
        lock.withLock { namespaces.append(name) }
        try Command.check(["ip", "netns", "add", name])
        try Command.check(["ip", "-n", name, "link", "set", "lo", "up"])
        try Command.check(["ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
    }

    // MARK: Teardown

    /// Stops everything and removes every namespace, link, file and DPDK runtime directory the
    /// node made. Safe to call twice and after a failed start.
    func tearDown() {
        guard lock.withLock({ () -> Bool in
            defer { tornDown = true }
            return !tornDown
        }) else { return }
        for server in lock.withLock({ servers }) where server.isRunning {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        for daemon in [agent, arpProxy, manager, p4dpdk].compactMap({ $0 }) { daemon.stop() }
        for namespace in lock.withLock({ namespaces }) {
            // Anything a test started inside and the harness did not track.
            let pids = (try? Command.run(["ip", "netns", "pids", namespace]))?.lines ?? []
            for pid in pids.compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            _ = try? Command.run(["ip", "netns", "delete", namespace])
        }
        for link in p4Interfaces + poolInterfaces {
            _ = try? Command.run(["ip", "link", "delete", link])
        }
        try? FileManager.default.removeItem(atPath: directory)
        try? FileManager.default.removeItem(atPath: "/var/run/dpdk/\(dpdkFilePrefix)")
    }

    // MARK: Support

    /// A built product of this package: next to the test bundle (same configuration), or in
    /// .build/debug.
    static func executable(_ name: String) throws -> String {
        try BuiltProduct.path(name)
    }

    /// A TCP port that was free a moment ago on 127.0.0.1.
    static func freePort() throws -> Int {
        try LocalPort.free()
    }
}
