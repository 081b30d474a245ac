import Foundation
import TestSupport
import XCTest

/// A product binary run as its own process, so a test can kill it with SIGKILL mid-work.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let logPath: String

    init(_ name: String, _ arguments: [String], logDirectory: String) throws {
        process.executableURL = URL(fileURLWithPath: try Self.executable(name))
        process.arguments = arguments
        logPath = logDirectory + "/\(name)-\(UUID().uuidString.prefix(8)).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The built executable `name`, next to the test bundle (same configuration) or in .build/debug.
    static func executable(_ name: String) throws -> String {
        guard let found = BuiltProduct.find(name) else {
            XCTFail("\(name) is not built; run `swift build` first (looked in \(BuiltProduct.candidates(name).map(\.path)))")
            throw CancellationError()
        }
        return found
    }

    /// A TCP port that was free a moment ago on 127.0.0.1.
    static func freePort() throws -> Int {
        try LocalPort.free()
    }
}
