import Foundation
import Synchronization
import TestSupport
import XCTest

/// The package's built executables, run as real processes.
///
/// The lookup is TestSupport's (next to the test bundle, then .build/debug). A missing binary
/// fails the test rather than skipping it: `swift build --build-tests` builds it.
enum BuiltProducts {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ name: String) throws -> String {
        try TestSupport.BuiltProduct.path(name)
    }

    /// Runs a tool to completion; a non-zero exit throws with its output.
    static func run(_ name: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path(name))
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ProductError("\(name) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: output, as: UTF8.self))")
        }
    }
}

struct ProductError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A cluster PKI made by the real `infra-pki apply` from the shipped profile, so the emulator
/// is tested with the files a deployment has (infrap4d as ca.crt, stratum.crt, stratum.key).
struct ProfilePKI {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("p4-emulator-pki-\(UUID().uuidString)")

    init() throws {
        let profile = BuiltProducts.packageRoot.appendingPathComponent("pki/profile.yaml").path
        try BuiltProducts.run("infra-pki", ["apply", profile, "--out", root.path])
    }

    /// `<out>/<identity>`, e.g. "infrap4d" or "p4rt-client".
    func directory(_ identity: String) -> String { root.appendingPathComponent(identity).path }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

/// `infra-p4-emulator` running on an ephemeral loopback port.
final class EmulatorProcess: Sendable {
    private let process: Process
    private let output = LockedText()
    /// The bound port, read from the emulator's "listening on" log line.
    let port: Int

    /// Starts the binary with `--listen 127.0.0.1:0` plus `arguments` and waits (at most 30 s)
    /// for the line that names the bound port.
    init(_ arguments: [String]) async throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltProducts.path("infra-p4-emulator"))
        process.arguments = ["--listen", "127.0.0.1:0"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            output.append(String(decoding: data, as: UTF8.self))
        }
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        var found: Int?
        while found == nil && process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            found = Self.boundPort(in: output.text)
        }
        guard let found else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            throw ProductError("infra-p4-emulator did not report a listening port; output:\n\(output.text)")
        }
        port = found
    }

    var log: String { output.text }

    /// "listening on [ipv4]127.0.0.1:40577 for device 1"
    private static func boundPort(in text: String) -> Int? {
        guard let range = text.range(of: "listening on ") else { return nil }
        let address = text[range.upperBound...].prefix { !$0.isWhitespace }
        return address.split(separator: ":").last.flatMap { Int($0) }
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

/// Text appended from the pipe's reader thread and read by the test.
final class LockedText: Sendable {
    private let storage = Mutex("")
    var text: String { storage.withLock { $0 } }
    func append(_ more: String) { storage.withLock { $0 += more } }
}
