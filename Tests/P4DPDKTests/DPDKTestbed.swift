import Foundation
import GRPCNIOTransportHTTP2Posix
import InfraChannel
import Logging
import P4DPDKTarget
import P4Info
import P4RuntimeClient
import TestSupport
import XCTest

/// A whole infra-p4-dpdk on real links: one network namespace per port, each joined to the
/// root namespace by a veth pair whose root end is the DPDK af_packet port and whose
/// namespace end (`eth0`) is where the test injects and captures frames. The daemon runs as
/// its own process (EAL is once per process) and the namespaces are removed at the end.
final class DPDKTestbed: @unchecked Sendable {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let peerScript = repoRoot.appendingPathComponent("Tests/P4DPDKTests/Peers/frame_peer.py").path
    static let programDirectory = repoRoot.appendingPathComponent("k8s_dp/dpdk").path

    let tag: String
    let namespaces: [String]
    let rootInterfaces: [String]
    let directory: String
    let grpcPort: Int
    private var daemon: Process?
    private var logPath: String { directory + "/infra-p4-dpdk.log" }

    /// `ports` namespaces; port i is PNA port i. `directions` defaults to network for all.
    init(ports: Int, directions: [String]? = nil) throws {
        guard getuid() == 0 else { throw XCTSkip("P4DPDKTests need root (namespaces, veths, DPDK)") }
        let tag = String(getpid() % 10000) + String(Int.random(in: 10...99))
        self.tag = tag
        namespaces = (0..<ports).map { "p4d\(tag)n\($0)" }
        rootInterfaces = (0..<ports).map { "p4d\(tag)p\($0)" }
        directory = NSTemporaryDirectory() + "p4dpdk-\(tag)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        grpcPort = try Self.freePort()
        do {
            for (namespace, interface) in zip(namespaces, rootInterfaces) {
                try Self.run("ip", "netns", "add", namespace)
                try Self.run("ip", "link", "add", interface, "type", "veth", "peer", "name", "eth0", "netns", namespace)
                try Self.run("sysctl", "-qw", "net.ipv6.conf.\(interface).disable_ipv6=1")
                try Self.run("ip", "link", "set", interface, "up")
                try Self.run("ip", "netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
                try Self.run("ip", "netns", "exec", namespace, "ip", "link", "set", "eth0", "up")
                try Self.run("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up")
            }
            let config = P4DPDKTestConfiguration.yaml(
                listenPort: grpcPort, filePrefix: "p4dpdk-test-\(tag)",
                ports: rootInterfaces.enumerated().map { .init(interface: $1, direction: directions?[$0] ?? "network") },
                pipelineFromSpec: false
            )
            try Data(config.utf8).write(to: URL(fileURLWithPath: directory + "/config.yaml"))
        } catch {
            tearDown()
            throw error
        }
    }

    /// Starts the daemon and waits until it serves.
    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executable("infra-p4-dpdk"))
        process.arguments = ["--config", directory + "/config.yaml", "--insecure"]
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        daemon = process
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if self.log.contains("P4Runtime target listening") { return }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTFail("infra-p4-dpdk did not start:\n\(self.log)")
        throw CancellationError()
    }

    /// A started testbed whose daemon runs k8s_dp (pushed with its device config).
    static func started(ports: Int) async throws -> DPDKTestbed {
        let testbed = try DPDKTestbed(ports: ports)
        do {
            try testbed.start()
            let program = try program()
            try await testbed.withClient { client in
                try await client.setForwardingPipelineConfig(program.0, deviceConfig: program.1)
            }
        } catch {
            testbed.tearDown()
            throw error
        }
        return testbed
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGTERM and wait: the graceful path. Returns the exit status.
    @discardableResult
    func stop() -> Int32? {
        guard let daemon, daemon.isRunning else { return daemon?.terminationStatus }
        daemon.terminate()
        daemon.waitUntilExit()
        return daemon.terminationStatus
    }

    func tearDown() {
        stop()
        for namespace in namespaces { try? Self.run("ip", "netns", "delete", namespace) }
        for interface in rootInterfaces { try? Self.run("ip", "link", "delete", interface) }
        try? FileManager.default.removeItem(atPath: directory)
        // EAL's runtime directory for this file prefix.
        try? FileManager.default.removeItem(atPath: "/var/run/dpdk/p4dpdk-test-\(tag)")
    }

    /// k8s_dp's P4Info and the `p4_device_config` built from its committed spec and context.
    static func program() throws -> (P4InfoIndex, Data) {
        let p4info = try P4InfoIndex(contentsOfFile: programDirectory + "/k8s_dp.p4info.txtpb")
        let config = try DPDKDeviceConfig(specFile: programDirectory + "/k8s_dp.spec", contextFile: programDirectory + "/k8s_dp.context.json")
        return (p4info, try config.encoded())
    }

    /// Runs `body` with a primary P4Runtime client connected to the daemon.
    func withClient<R: Sendable>(_ body: @Sendable (P4RuntimeClient<HTTP2ClientTransport.Posix>) async throws -> R) async throws -> R {
        var logger = Logger(label: "p4dpdk-test")
        logger.logLevel = .error
        let transport = try P4RuntimeTransport.make(address: try ChannelAddress(parsing: "127.0.0.1:\(grpcPort)"), tls: nil, logger: logger)
        let p4info = try Self.program().0
        return try await P4RuntimeClient.run(transport: transport, configuration: .init(electionID: ElectionID(low: 1)), p4info: p4info, logger: logger) { client in
            try await client.waitUntilPrimary()
            return try await body(client)
        }
    }

    /// Sends `frames` into namespace `from`'s eth0 while capturing on namespace `at`'s eth0
    /// for `seconds`; returns the frames captured.
    func exchange(_ frames: [[UInt8]], from: Int, at: Int, seconds: Double = 1.5) throws -> [[UInt8]] {
        let capture = Process()
        capture.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        capture.arguments = ["netns", "exec", namespaces[at], "python3", Self.peerScript, "capture", "eth0", String(seconds)]
        let output = Pipe()
        capture.standardOutput = output
        try capture.run()
        var text = ""
        while !text.contains("ready\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        try Self.run(["ip", "netns", "exec", namespaces[from], "python3", Self.peerScript, "send", "eth0"] + frames.map(Frames.hex))
        text += String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        capture.waitUntilExit()
        return text.split(separator: "\n").filter { $0 != "ready" }.map { Frames.bytes(hex: String($0)) }
    }

    @discardableResult
    static func run(_ arguments: String...) throws -> String { try run(arguments) }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let (status, text) = try outcome(arguments)
        guard status == 0 else {
            throw TestbedError(description: "\(arguments.joined(separator: " ")) failed (\(status)): \(text)")
        }
        return text
    }

    /// Runs a command to its end: exit status and stdout+stderr.
    static func outcome(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func executable(_ name: String) throws -> String {
        try BuiltProduct.path(name)
    }

    static func freePort() throws -> Int {
        try LocalPort.free()
    }
}

struct TestbedError: Error, CustomStringConvertible {
    let description: String
}
