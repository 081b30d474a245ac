#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

/// Output of a finished child process.
struct ProcessOutput {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` with `arguments` to completion, capturing both streams.
@discardableResult
func runTool(_ executable: String, _ arguments: [String]) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read before waiting so a chatty child cannot block on a full pipe.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessOutput(
        status: process.terminationStatus,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

/// Finds a command on the usual system paths.
func systemTool(_ name: String) -> String? {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map { "\($0)/\(name)" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// `ip` with the arguments; throws with its stderr when it fails.
@discardableResult
func ip(_ arguments: String...) throws -> String {
    guard let tool = systemTool("ip") else { throw XCTSkip("iproute2's ip is not installed (scripts/setup installs it)") }
    let result = try runTool(tool, arguments)
    guard result.status == 0 else {
        throw TestFailure("ip \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
    }
    return result.stdout
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Two network namespaces joined by a veth pair: `pod` (ns A, interface pod0) and `proxy`
/// (ns P, interface prx0), with fixed MACs. The pod side has 10.244.0.5/32 and an on-link route
/// to 169.254.0.0/16, like a pod whose gateway is 169.254.1.1. `remove()` deletes both
/// namespaces (and so the veth pair); tests register it as a teardown block.
final class VethNamespaces {
    private nonisolated(unsafe) static var counter = 0
    let pod: String
    let proxy: String
    let podInterface = "pod0"
    let proxyInterface = "prx0"
    let podMAC = "02:00:5e:10:00:0a"
    let proxyMAC = "02:00:5e:10:00:0b"
    let podAddress = "10.244.0.5"

    init(routeGatewayRange: Bool = true) throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to create network namespaces") }
        Self.counter += 1
        let tag = "arpt\(getpid() % 100_000)x\(Self.counter)"
        pod = "\(tag)a"
        proxy = "\(tag)p"
        try ip("netns", "add", pod)
        do {
            try ip("netns", "add", proxy)
            try ip("link", "add", podInterface, "netns", pod, "address", podMAC, "type", "veth",
                   "peer", "name", proxyInterface, "netns", proxy, "address", proxyMAC)
            try ip("-n", pod, "link", "set", podInterface, "up")
            try ip("-n", proxy, "link", "set", proxyInterface, "up")
            try ip("-n", pod, "address", "add", "\(podAddress)/32", "dev", podInterface)
            if routeGatewayRange {
                try ip("-n", pod, "route", "add", "169.254.0.0/16", "dev", podInterface, "scope", "link")
            }
        } catch {
            remove()
            throw error
        }
    }

    func remove() {
        for name in [pod, proxy] { _ = try? ip("netns", "del", name) }
    }

    /// Runs `command` inside the pod namespace.
    func inPod(_ command: [String]) throws -> ProcessOutput {
        try runTool(systemTool("ip")!, ["netns", "exec", pod] + command)
    }
}

/// The built `arp-proxy`: next to the test bundle first (same configuration), then .build/debug.
enum ProxyBinary {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path() throws -> String {
        var candidates: [URL] = []
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("arp-proxy"))
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("arp-proxy"))
        candidates.append(packageRoot.appendingPathComponent(".build/debug/arp-proxy"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw TestFailure("arp-proxy is not built; run `swift build --product arp-proxy` (looked in \(candidates.map(\.path)))")
        }
        return found.path
    }
}

/// `arp-proxy` running inside a namespace, with stderr in a file and sd_notify messages on a
/// socket of the test's own.
final class RunningProxy {
    let process = Process()
    let notify: NotifyListener
    let logURL: URL

    init(namespace: String, arguments: [String]) throws {
        notify = try NotifyListener()
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("arp-proxy-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: systemTool("ip")!)
        process.arguments = ["netns", "exec", namespace, try ProxyBinary.path()] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notify.path
        environment.removeValue(forKey: "JOURNAL_STREAM")
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
    }

    /// Waits for READY=1; fails with the proxy's log when it exits or never says it.
    func waitUntilReady() throws {
        guard try notify.wait(for: "READY=1", while: { self.process.isRunning }) else {
            throw TestFailure("arp-proxy did not report READY=1 (running: \(process.isRunning)); log:\n\(log())")
        }
    }

    /// SIGTERM (ip netns exec execs the proxy, so the signal reaches it) and the exit status.
    func terminate() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    func log() -> String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }

    func cleanUp() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logURL)
    }
}

/// A unix datagram socket playing systemd's NOTIFY_SOCKET.
final class NotifyListener {
    let path: String
    let descriptor: Int32
    private(set) var received: [String] = []

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("arpt-notify-\(UUID().uuidString.prefix(8)).sock").path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket(AF_UNIX): \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (offset, byte) in path.utf8.enumerated() { raw[offset] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw TestFailure("bind \(path): \(errno)") }
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// Reads messages until one contains `assignment`, `stillUseful` turns false, or 30 s pass
    /// (a generous bound against a hang, not a timing assertion).
    func wait(for assignment: String, while stillUseful: () -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if received.contains(where: { $0.split(separator: "\n").contains(Substring(assignment)) }) { return true }
            var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 1, 200) > 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count > 0 { received.append(String(decoding: buffer[0..<count], as: UTF8.self)) }
                continue
            }
            if !stillUseful() { return received.contains { $0.contains(assignment) } }
        }
        return false
    }
}
