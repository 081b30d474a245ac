import Logging
import XCTest
@testable import InfraDaemon

final class JournalFieldsTests: XCTestCase {
    private func event(_ level: Logger.Level, _ message: Logger.Message, error: (any Error)? = nil) -> LogEvent {
        LogEvent(level: level, message: message, error: error, metadata: nil, source: "InfraDaemon",
                 file: "InfraManagerCore/Server.swift", function: "start()", line: 42)
    }

    func testFieldsCarryMessagePriorityIdentifierCodeLocationAndMetadata() {
        let fields = JournalFields.make(
            event: event(.warning, "peer rejected"),
            metadata: ["peer.addr": "10.0.0.7", "attempt": "3"],
            label: "infra.manager.grpc", identifier: "infra-manager")
        XCTAssertEqual(fields, [
            "MESSAGE=peer rejected",
            "PRIORITY=4",
            "SYSLOG_IDENTIFIER=infra-manager",
            "LOGGER_LABEL=infra.manager.grpc",
            "CODE_FILE=InfraManagerCore/Server.swift",
            "CODE_LINE=42",
            "CODE_FUNC=start()",
            "ATTEMPT=3",
            "PEER_ADDR=10.0.0.7",
        ])
    }

    func testErrorBecomesAField() {
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        let fields = JournalFields.make(event: event(.error, "failed", error: Boom()), metadata: [:],
                                        label: "l", identifier: "i")
        XCTAssertTrue(fields.contains("ERROR=boom"), "\(fields)")
    }

    func testMultilineMessageIsKeptWhole() {
        let fields = JournalFields.make(event: event(.info, "line one\nline two"), metadata: [:], label: "l", identifier: "i")
        XCTAssertEqual(fields.first, "MESSAGE=line one\nline two")
    }

    func testPriorityMapping() {
        let expected: [(Logger.Level, Int)] = [
            (.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
        ]
        for (level, priority) in expected {
            XCTAssertEqual(JournalFields.priority(for: level), priority, "\(level)")
        }
    }

    func testFieldNamesFollowJournalRules() {
        XCTAssertEqual(JournalFields.fieldName(forMetadataKey: "peer"), "PEER")
        XCTAssertEqual(JournalFields.fieldName(forMetadataKey: "peer.addr"), "PEER_ADDR")
        XCTAssertEqual(JournalFields.fieldName(forMetadataKey: "sl-service"), "SL_SERVICE")
        XCTAssertEqual(JournalFields.fieldName(forMetadataKey: "_PID"), "PID", "trusted-field prefix dropped")
        XCTAssertEqual(JournalFields.fieldName(forMetadataKey: "__cursor"), "CURSOR")
        XCTAssertEqual(JournalFields.fieldName(forMetadataKey: "2fa"), "META_2FA")
        XCTAssertEqual(JournalFields.fieldName(forMetadataKey: "message"), "META_MESSAGE")
        XCTAssertEqual(JournalFields.fieldName(forMetadataKey: "priority"), "META_PRIORITY")
        XCTAssertEqual(JournalFields.fieldName(forMetadataKey: ""), "META")
        XCTAssertEqual(JournalFields.fieldName(forMetadataKey: "ñ"), "META")
        XCTAssertEqual(JournalFields.fieldName(forMetadataKey: "pod uid"), "POD_UID")
        let long = JournalFields.fieldName(forMetadataKey: String(repeating: "k", count: 100))
        XCTAssertEqual(long, String(repeating: "K", count: 64))
        for key in ["peer.addr", "_x", "9", "message", "a-b c", "ümlaut", String(repeating: "z", count: 70)] {
            let name = JournalFields.fieldName(forMetadataKey: key)
            XCTAssertTrue(name.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }, name)
            XCTAssertFalse(name.first == "_" || name.first!.isNumber, name)
            XCTAssertLessThanOrEqual(name.count, 64)
        }
    }

    func testHandlerMergesHandlerProviderAndCallMetadata() {
        var handler = JournalLogHandler(
            label: "l", identifier: "i",
            metadataProvider: Logger.MetadataProvider { ["request": "from-provider", "trace": "t1"] })
        handler[metadataKey: "request"] = "from-handler"
        handler[metadataKey: "node"] = "ipu-1"
        var event = event(.info, "m")
        event.metadata = ["trace": "t2"]
        let merged = handler.effectiveMetadata(for: event)
        XCTAssertEqual(merged, ["request": "from-provider", "node": "ipu-1", "trace": "t2"])
        XCTAssertEqual(handler[metadataKey: "node"], "ipu-1")
    }
}
