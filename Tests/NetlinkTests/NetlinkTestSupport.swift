import Foundation
import Netlink
import XCTest

/// Runs a command and returns its stdout; throws with stderr when it exits non-zero.
func command(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let error = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CommandFailure(text: "\(arguments.joined(separator: " ")): exit \(process.terminationStatus): \(String(decoding: error, as: UTF8.self))")
    }
    return String(decoding: output, as: UTF8.self)
}

struct CommandFailure: Error, CustomStringConvertible { var text: String; var description: String { text } }

/// `ip -n <ns> -j <arguments>` parsed: iproute2's independent view of what the kernel holds.
func ipJSON(_ namespace: String, _ arguments: [String]) throws -> [[String: Any]] {
    let text = try command(["ip", "-n", namespace, "-j"] + arguments)
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.isEmpty { return [] }
    guard let array = try JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [[String: Any]] else {
        throw CommandFailure(text: "ip \(arguments.joined(separator: " ")) did not print a JSON array: \(text)")
    }
    return array
}

/// The inode of a namespace file: two paths name the same namespace iff their inodes match.
func namespaceInode(_ path: String) -> UInt64? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return UInt64(info.st_ino)
}

/// A test case that makes its own network namespaces (`nltest-<random>`) and removes them.
class NamespaceTestCase: XCTestCase {
    private var created: [String] = []
    let runner = NamespaceRunner()

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "netlink tests create network namespaces and need root")
    }

    override func tearDownWithError() throws {
        for name in created { _ = try? command(["ip", "netns", "del", name]) }
        created = []
    }

    /// Creates a fresh named network namespace and returns it.
    func makeNamespace() throws -> (name: String, namespace: NetworkNamespace) {
        let name = "nltest-\(UInt32.random(in: 0...UInt32.max))"
        try command(["ip", "netns", "add", name]).discard()
        created.append(name)
        return (name, .named(name))
    }

    /// A short random suffix for interface names (IFNAMSIZ leaves 15 bytes).
    func suffix() -> String { String(UInt32.random(in: 0...0xFFFFFF), radix: 16) }

    /// Asserts that `body` throws a NetlinkError and returns it.
    func netlinkError(_ body: () async throws -> Void, file: StaticString = #filePath, line: UInt = #line) async -> NetlinkError? {
        do {
            try await body()
            XCTFail("expected a NetlinkError, nothing was thrown", file: file, line: line)
        } catch let error as NetlinkError {
            return error
        } catch {
            XCTFail("expected a NetlinkError, got \(error)", file: file, line: line)
        }
        return nil
    }
}

extension String { func discard() {} }
