@testable import ARPProxy
import Foundation
import InfraNet
import XCTest

/// The built `arp-proxy` in a namespace of its own (P), asked from a pod namespace (A) over a
/// veth pair, with the real `arping`, the kernel's own neighbour resolution and raw frames.
final class ARPProxyNamespaceTests: XCTestCase {
    var namespaces: VethNamespaces!
    var proxy: RunningProxy?

    override func setUpWithError() throws {
        namespaces = try VethNamespaces()
        addTeardownBlock { [namespaces] in namespaces?.remove() }
    }

    override func tearDown() {
        proxy?.cleanUp()
        proxy = nil
    }

    func startProxy(_ extra: [String] = []) throws -> RunningProxy {
        let running = try RunningProxy(
            namespace: namespaces.proxy,
            arguments: ["--interface", namespaces.proxyInterface, "--log-target", "stderr"] + extra)
        proxy = running
        try running.waitUntilReady()
        return running
    }

    func arping(_ address: String, count: Int = 1, deadlineSeconds: Int = 5) throws -> ProcessOutput {
        guard let arping = systemTool("arping") else {
            throw TestFailure("arping is not installed; run scripts/setup (Debian package iputils-arping)")
        }
        return try namespaces.inPod([arping, "-c", "\(count)", "-w", "\(deadlineSeconds)", "-I", namespaces.podInterface, address])
    }

    func testArpingFromThePodGetsTheProxyInterfaceMAC() throws {
        let running = try startProxy()
        let result = try arping("169.254.1.1")
        XCTAssertEqual(result.status, 0, "arping failed:\n\(result.stdout)\(result.stderr)\nproxy log:\n\(running.log())")
        XCTAssertTrue(result.stdout.lowercased().contains("reply from 169.254.1.1 [\(namespaces.proxyMAC)]"), result.stdout)
        XCTAssertEqual(running.terminate(), 0, running.log())
    }

    func testArpForAnotherAddressGetsNoAnswer() throws {
        let running = try startProxy()
        let result = try arping("169.254.1.2", count: 2, deadlineSeconds: 2)
        XCTAssertNotEqual(result.status, 0, "someone answered for 169.254.1.2:\n\(result.stdout)")
        XCTAssertFalse(result.stdout.lowercased().contains("reply from"), result.stdout)
        // The proxy is still up and answering for the gateway afterwards.
        XCTAssertEqual(try arping("169.254.1.1").status, 0, running.log())
    }

    func testKernelNeighbourResolutionLearnsTheProxyMAC() throws {
        let running = try startProxy()
        XCTAssertEqual(try ip("-n", namespaces.pod, "neigh", "show", "169.254.1.1").trimmingCharacters(in: .whitespacesAndNewlines), "",
                       "a neighbour entry existed before the kernel asked")
        try ip("-n", namespaces.pod, "route", "replace", "169.254.1.1", "dev", namespaces.podInterface, "scope", "link")
        // Any packet to the gateway makes the kernel resolve it; ping may be absent and its
        // echo would go unanswered anyway, so one UDP datagram does it.
        _ = try namespaces.inPod(["/bin/bash", "-c", "echo probe > /dev/udp/169.254.1.1/9"])
        var entry = ""
        let deadline = Date().addingTimeInterval(10)
        repeat {
            entry = try ip("-n", namespaces.pod, "neigh", "show", "169.254.1.1", "dev", namespaces.podInterface)
            if entry.contains("lladdr") { break }
            Thread.sleep(forTimeInterval: 0.1)
        } while Date() < deadline
        XCTAssertTrue(entry.contains("lladdr \(namespaces.proxyMAC)"), "neighbour entry: \(entry)\nproxy log:\n\(running.log())")
        XCTAssertTrue(["REACHABLE", "STALE", "DELAY", "PROBE"].contains { entry.contains($0) }, entry)
    }

    func testGratuitousARPForEachGatewayAtStart() throws {
        let capture = try PodPacketSocket(namespace: namespaces.pod, interface: namespaces.podInterface)
        let running = try startProxy(["--gateway", "169.254.1.1", "--gateway", "169.254.1.254"])
        let proxyMAC = MACAddress(namespaces.proxyMAC)!
        var announced: Set<IPAddress> = []
        _ = capture.capture { frames in
            for bytes in frames {
                guard case .success(let frame) = ARPFrame.parse(bytes), frame.source == proxyMAC,
                      frame.operation == .request, frame.senderIP == frame.targetIP else { continue }
                XCTAssertEqual(frame.destination, ARPFrame.broadcast)
                XCTAssertEqual(frame.senderMAC, proxyMAC)
                announced.insert(frame.targetIP)
            }
            return announced.count == 2
        }
        XCTAssertEqual(announced, [IPAddress("169.254.1.1")!, IPAddress("169.254.1.254")!], running.log())
    }

    func testMalformedFramesDoNotStopItAndTheirLogIsRateLimited() throws {
        let running = try startProxy(["--log-lines-per-interval", "3", "--log-interval-seconds", "3600"])
        let link = try PodPacketSocket(namespace: namespaces.pod, interface: namespaces.podInterface)
        let request = Frames.request(senderMAC: Array(MACAddress(namespaces.podMAC)!.bytes))
        var sent = 0
        for length in 14..<42 {  // ARP cut short at every length
            try link.send(Array(request.prefix(length)))
            sent += 1
        }
        for _ in 0..<20 {  // who-has the gateway from a broadcast sender
            try link.send(Frames.request(senderMAC: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], ethernetSource: Frames.podMAC))
            sent += 1
        }
        // Not malformed, only not ours: other ARP flavours, an unknown operation, garbage.
        try link.send(Frames.request(ethernetSource: Frames.podMAC, htype: [0, 6]))
        try link.send(Frames.request(hlen: 16))
        try link.send(Frames.request(op: [0xff, 0xff]))
        try link.send(Frames.podMAC + Frames.podMAC + [0x08, 0x06] + [UInt8](repeating: 0xa5, count: 200))

        let result = try arping("169.254.1.1")
        XCTAssertEqual(result.status, 0, "arping after malformed frames failed:\n\(result.stdout)\nproxy log:\n\(running.log())")
        XCTAssertTrue(result.stdout.lowercased().contains("[\(namespaces.proxyMAC)]"), result.stdout)

        XCTAssertEqual(running.terminate(), 0, running.log())
        let lines = running.log().split(separator: "\n")
        let malformedLines = lines.filter { $0.contains("malformed frame") }
        XCTAssertEqual(malformedLines.count, 3, running.log())
        XCTAssertTrue(malformedLines.contains { $0.contains("shorter than 42") }, running.log())
        let summary = lines.first { $0.contains("suppressed by the rate limit") }
        XCTAssertNotNil(summary, running.log())
        // The summary counts what was held back; all malformed frames arrived after the three.
        XCTAssertTrue(summary?.contains("suppressed=\(sent - 3)") ?? false, summary.map(String.init) ?? "")
        XCTAssertTrue(summary?.contains("malformed=\(sent)") ?? false, summary.map(String.init) ?? "")
    }

    func testSIGTERMStopsItGracefullyWithStoppingSent() throws {
        let running = try startProxy()
        XCTAssertEqual(running.terminate(), 0, running.log())
        XCTAssertTrue(try running.notify.wait(for: "STOPPING=1", while: { false }), "\(running.notify.received)")
        XCTAssertTrue(running.log().contains("receive loop stopped"), running.log())
    }

    func testCheckConfigReadsTheFileAppliesFlagsAndOpensTheInterface() throws {
        let binary = try ProxyBinary.path()
        let configURL = FileManager.default.temporaryDirectory.appendingPathComponent("arpt-\(UUID().uuidString).yaml")
        try "interface: \(namespaces.proxyInterface)\ngatewayAddresses: [169.254.1.1, 169.254.2.1]\n".write(to: configURL, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: configURL) }
        let fromFile = try runTool(systemTool("ip")!, ["netns", "exec", namespaces.proxy, binary, "--config", configURL.path, "--check-config"])
        XCTAssertEqual(fromFile.status, 0, fromFile.stderr)
        XCTAssertEqual(fromFile.stdout, "arp-proxy: valid: would answer 169.254.1.1, 169.254.2.1 on prx0 with \(namespaces.proxyMAC)\n")
        let overridden = try runTool(systemTool("ip")!, [
            "netns", "exec", namespaces.proxy, binary, "--config", configURL.path, "--gateway", "10.0.0.1", "--check-config",
        ])
        XCTAssertEqual(overridden.status, 0, overridden.stderr)
        XCTAssertEqual(overridden.stdout, "arp-proxy: valid: would answer 10.0.0.1 on prx0 with \(namespaces.proxyMAC)\n")
    }

    func testBadInputIsOneLineNamingTheFieldAndANonZeroExit() throws {
        let binary = try ProxyBinary.path()
        let configURL = FileManager.default.temporaryDirectory.appendingPathComponent("arpt-\(UUID().uuidString).yaml")
        try "interface: prx0\ngatewayAddresses: [169.254.1.1, 169.254.300.1]\n".write(to: configURL, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: configURL) }
        let cases: [([String], String)] = [
            (["--interface", "nosuch0"], #"arp-proxy: interface "nosuch0": no such interface in this network namespace"#),
            (["--interface", namespaces.proxyInterface, "--gateway", "169.254.1"], #"arp-proxy: --gateway "169.254.1": not an IP address"#),
            (["--interface", namespaces.proxyInterface, "--gateway", "fe80::1"], #"arp-proxy: --gateway "fe80::1": not an IPv4 address (ARP is IPv4 only)"#),
            (["--interface", namespaces.proxyInterface, "--log-level", "loud"], #"arp-proxy: --log-level "loud": must be one of"#),
            (["--interface", "lo"], #"arp-proxy: interface "lo": is not an Ethernet interface"#),
            ([], "arp-proxy: --interface: is required"),
            (["--config", configURL.path], #"gatewayAddresses[1]: invalid value "169.254.300.1": not an IP address"#),
        ]
        for (arguments, expected) in cases {
            let result = try runTool(systemTool("ip")!, ["netns", "exec", namespaces.proxy, binary] + arguments)
            XCTAssertNotEqual(result.status, 0, "\(arguments) succeeded")
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "\(arguments)")
        }
    }
}
