import Foundation
import Logging
import XCTest
@testable import InfraDaemon

#if canImport(Glibc)
import Glibc
#endif

final class LogTargetTests: XCTestCase {
    private func deviceAndInode(of descriptor: Int32) -> String {
        var info = stat()
        XCTAssertEqual(fstat(descriptor, &info), 0)
        return "\(info.st_dev):\(info.st_ino)"
    }

    func testJournalStreamMatchesOnlyTheSameFile() throws {
        let directory = try TemporaryDirectory()
        let first = open(directory.file("a"), O_CREAT | O_RDWR, 0o600)
        let second = open(directory.file("b"), O_CREAT | O_RDWR, 0o600)
        defer { close(first); close(second) }
        let value = deviceAndInode(of: first)
        XCTAssertTrue(LogTarget.journalStream(value, matchesDescriptor: first))
        XCTAssertFalse(LogTarget.journalStream(value, matchesDescriptor: second))
        XCTAssertFalse(LogTarget.journalStream("garbage", matchesDescriptor: first))
        XCTAssertFalse(LogTarget.journalStream("1:2:3", matchesDescriptor: first))
        XCTAssertFalse(LogTarget.journalStream(value, matchesDescriptor: -1))
    }

    func testAutoResolvesToJournalOnlyWhenJournalStreamIsOurStderr() {
        let stderrIdentity = deviceAndInode(of: STDERR_FILENO)
        XCTAssertEqual(LogTarget.auto.resolved(environment: ["JOURNAL_STREAM": stderrIdentity]), .journal)
        XCTAssertEqual(LogTarget.auto.resolved(environment: ["JOURNAL_STREAM": "1:1"]), .stderr)
        XCTAssertEqual(LogTarget.auto.resolved(environment: [:]), .stderr)
        XCTAssertEqual(LogTarget.journal.resolved(environment: [:]), .journal)
        XCTAssertEqual(LogTarget.stderr.resolved(environment: ["JOURNAL_STREAM": stderrIdentity]), .stderr)
    }

    func testMakeHandlerPicksTheHandlerAndLevel() {
        let journal = LoggingBootstrap.makeHandler(label: "l", identifier: "infra-agent", target: .journal, level: .debug)
        XCTAssertEqual((journal as? JournalLogHandler)?.identifier, "infra-agent")
        XCTAssertEqual(journal.logLevel, .debug)
        let plain = LoggingBootstrap.makeHandler(label: "l", identifier: "infra-agent", target: .stderr, level: .warning)
        XCTAssertTrue(plain is StderrLogHandler)
        XCTAssertEqual(plain.logLevel, .warning)
    }

    func testLogTargetDecodesFromConfig() throws {
        struct Section: Decodable {
            var target: LogTarget
            enum CodingKeys: String, CodingKey, CaseIterable { case target }
            init(from decoder: any Decoder) throws {
                target = try decoder.strictContainer(keyedBy: CodingKeys.self).decode(LogTarget.self, forKey: .target, default: .auto)
            }
        }
        XCTAssertEqual(try ConfigLoader.load(Section.self, fromYAML: "target: stderr", source: "t").target, .stderr)
        XCTAssertEqual(try ConfigLoader.load(Section.self, fromYAML: "", source: "t").target, .auto)
    }
}
