import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a child process printed and how it ended.
struct ProcessRun: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs an executable to completion on a thread of its own, off the cooperative pool: the
/// agent's handlers it calls run in this test process and need that pool. A child still
/// running after `timeout` seconds is killed, so a hung peer fails the test instead of
/// hanging the suite.
func runOffPool(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil, stdin: String = "",
                timeout: Double = 120) async throws -> ProcessRun {
    try await withCheckedThrowingContinuation { continuation in
        // A thread of its own with no signal blocked: the child inherits the spawning thread's
        // mask, and Dispatch or pool threads block signals that ping's timer and conmon's
        // SIGCHLD handling need.
        Thread {
            var none = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, nil)
            do {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
                if let environment { process.environment = environment }
                // Output goes to files, read after the exit: a daemon the child leaves behind
                // (podman's conmon) may keep a pipe open forever.
                let base = NSTemporaryDirectory() + "acni-run-\(UUID().uuidString)"
                FileManager.default.createFile(atPath: base + ".out", contents: nil)
                FileManager.default.createFile(atPath: base + ".err", contents: nil)
                defer {
                    try? FileManager.default.removeItem(atPath: base + ".out")
                    try? FileManager.default.removeItem(atPath: base + ".err")
                }
                let output = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
                let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
                let input = Pipe()
                process.standardInput = input
                process.standardOutput = output
                process.standardError = errors
                try process.run()
                let pid = process.processIdentifier
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [process] in
                    if process.isRunning { kill(pid, SIGKILL) }
                }
                input.fileHandleForWriting.write(Data(stdin.utf8))
                try input.fileHandleForWriting.close()
                process.waitUntilExit()
                try output.close()
                try errors.close()
                continuation.resume(returning: ProcessRun(
                    status: process.terminationStatus,
                    stdout: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
                    stderr: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
                ))
            } catch {
                continuation.resume(throwing: error)
            }
        }.start()
    }
}

/// The repository root, from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The CNI peers scripts/setup --test builds (scripts/lib/cni-peers.sh).
enum CNIPeers {
    static var directory: String { packageRoot.appendingPathComponent(".cache/cni-peers").path }
    static var cnitool: String { directory + "/cnitool" }
    static var rootfs: String { directory + "/rootfs" }
    static let pluginDirectory = "/usr/lib/cni"

    /// A built product of this package next to the test bundle, or in .build/debug.
    static func product(_ name: String) -> String? {
        var candidates: [URL] = []
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent(name))
        }
        candidates.append(packageRoot.appendingPathComponent(".build/debug/\(name)"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path
    }

    /// Removes a network's entries from libcni's result cache, which cnitool and podman
    /// write to a hard-wired /var/lib/cni/results.
    static func dropCachedResults(network: String) {
        let cache = "/var/lib/cni/results"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: cache)) ?? [] where name.hasPrefix(network + "-") {
            try? FileManager.default.removeItem(atPath: cache + "/" + name)
        }
    }

    /// A CNI_PATH directory holding infra-cni (this build) and Debian's host-local.
    static func makePluginDirectory(at path: String, infraCNI: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path + "/infra-cni", withDestinationPath: infraCNI)
        try FileManager.default.createSymbolicLink(atPath: path + "/host-local", withDestinationPath: pluginDirectory + "/host-local")
    }
}

/// An AF_PACKET socket on an interface of the host namespace (a pool port's host end) that
/// collects the frames arriving there, to see what a pod really sends to the gateway MAC.
final class FrameCapture: @unchecked Sendable {
    private let descriptor: Int32

    init(interface: String) throws {
        let index = Int32(if_nametoindex(interface))
        guard index > 0 else { throw CommandFailure(text: "no interface \(interface)") }
        let all = UInt16(0x0003)  // ETH_P_ALL
        let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), Int32(all.bigEndian))
        guard fd >= 0 else { throw CommandFailure(text: "AF_PACKET socket: errno \(errno)") }
        // struct sockaddr_ll laid out by hand: Glibc's module does not export it.
        var address = [UInt8](repeating: 0, count: 20)
        address[0] = UInt8(AF_PACKET & 0xFF)
        address[2] = UInt8(all >> 8)
        address[3] = UInt8(all & 0xFF)
        withUnsafeBytes(of: index.littleEndian) { address.replaceSubrange(4..<8, with: $0) }
        let bound = address.withUnsafeMutableBytes { bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), 20) }
        guard bound == 0 else {
            close(fd)
            throw CommandFailure(text: "bind AF_PACKET to \(interface): errno \(errno)")
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Frames received until one satisfies `match` or `seconds` pass (a bound against a
    /// hang, not a timing assertion); returns the matching frame.
    func first(within seconds: Double, where match: ([UInt8]) -> Bool) -> [UInt8]? {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, 100) > 0 else { continue }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count >= 14 else { continue }
            let frame = Array(buffer[0..<count])
            if match(frame) { return frame }
        }
        return nil
    }
}

extension Array where Element == UInt8 {
    /// An Ethernet frame's destination MAC, in the usual text form.
    var destinationMAC: String { self[0..<6].map { String(format: "%02x", $0) }.joined(separator: ":") }
    /// The IPv4 destination when the frame is IPv4 (ethertype 0x0800).
    var ipv4Destination: String? {
        guard count >= 34, self[12] == 0x08, self[13] == 0x00 else { return nil }
        return self[30..<34].map(String.init).joined(separator: ".")
    }
}

/// Sends `count` UDP datagrams (port 9, discard) to an IPv4 address from inside a network
/// namespace, 100 ms apart, on a short-lived thread that joined it: the test process itself
/// never changes namespace. (A child process such as ping would inherit the worker thread's
/// blocked signals and hang on its SIGALRM timer.)
func sendUDP(inNetns path: String, to address: String, count: Int) throws {
    typealias SetNS = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(nil, "setns") else { throw CommandFailure(text: "setns not found") }
    let setns = unsafeBitCast(symbol, to: SetNS.self)
    let failure = LockedText()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        defer { done.signal() }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return failure.set("open \(path): errno \(errno)") }
        defer { close(fd) }
        guard setns(fd, 0x4000_0000) == 0 else { return failure.set("setns \(path): errno \(errno)") }  // CLONE_NEWNET
        let socketFD = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard socketFD >= 0 else { return failure.set("socket: errno \(errno)") }
        defer { close(socketFD) }
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = UInt16(9).bigEndian
        inet_pton(AF_INET, address, &target.sin_addr)
        let payload = [UInt8]("infra-cni test".utf8)
        for _ in 0..<count {
            _ = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(socketFD, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            usleep(100_000)
        }
    }
    thread.start()
    done.wait()
    if let text = failure.get() { throw CommandFailure(text: text) }
}

private final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var text: String?
    func set(_ value: String) { lock.withLock { text = value } }
    func get() -> String? { lock.withLock { text } }
}
