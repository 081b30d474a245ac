import Foundation
import Logging
import XCTest
@testable import InfraDaemon

#if canImport(Glibc)
import Glibc
#endif

final class StderrLogHandlerTests: XCTestCase {
    func testLineFormat() {
        let line = StderrLogHandler.format(
            timestamp: "2026-11-25T10:12:03.120Z", level: .info, label: "infra.manager",
            message: "listening", metadata: ["tls": "true", "address": "127.0.0.1:9000"])
        XCTAssertEqual(line, "2026-11-25T10:12:03.120Z info infra.manager: listening address=127.0.0.1:9000 tls=true")
    }

    func testNewlinesAreEscapedAndAwkwardValuesQuoted() {
        let line = StderrLogHandler.format(
            timestamp: "T", level: .error, label: "l", message: "first\nsecond",
            metadata: ["reason": "bad \"cert\"", "empty": "", "eq": "a=b", "multi": "x\ny"])
        XCTAssertEqual(line, #"T error l: first\nsecond empty="" eq="a=b" multi=x\ny reason="bad \"cert\"""#)
        XCTAssertFalse(line.contains("\n"))
    }

    func testTimestampIsRFC3339UTCWithMilliseconds() throws {
        let stamp = StderrLogHandler.now()
        let pattern = try NSRegularExpression(pattern: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#)
        XCTAssertEqual(pattern.numberOfMatches(in: stamp, range: NSRange(stamp.startIndex..., in: stamp)), 1, stamp)
        XCTAssertTrue(stamp.hasPrefix(String(Calendar(identifier: .gregorian).component(.year, from: Date()))) ||
                      stamp.hasPrefix(String(Calendar(identifier: .gregorian).component(.year, from: Date()) - 1)))
    }

    /// The real write path: stderr is swapped for a pipe while one entry is logged.
    func testLogWritesOneLineToStandardError() throws {
        var pipeEnds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&pipeEnds), 0)
        let savedStderr = dup(STDERR_FILENO)
        dup2(pipeEnds[1], STDERR_FILENO)
        var logger = Logger(label: "infra.test") { label in StderrLogHandler(label: label) }
        logger.logLevel = .debug
        logger[metadataKey: "node"] = "ipu-1"
        logger.debug("hello", metadata: ["n": "2"])
        logger.trace("below the level, dropped")
        dup2(savedStderr, STDERR_FILENO)
        close(savedStderr)
        close(pipeEnds[1])
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = read(pipeEnds[0], &bytes, bytes.count)
        close(pipeEnds[0])
        let output = String(decoding: bytes[..<max(count, 0)], as: UTF8.self)
        XCTAssertTrue(output.hasSuffix(" debug infra.test: hello n=2 node=ipu-1\n"), output)
        XCTAssertEqual(output.filter { $0 == "\n" }.count, 1, output)
    }
}
