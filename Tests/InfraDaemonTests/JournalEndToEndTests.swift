import Foundation
import Logging
import XCTest
@testable import InfraDaemon

/// The real datagram path to journald, which this machine does not run: the test re-runs
/// itself in a private mount namespace (`unshare -m`) where a temporary directory is
/// bind-mounted over /run/systemd, so libsystemd's `/run/systemd/journal/socket` is a socket
/// this test listens on.
final class JournalEndToEndTests: XCTestCase {
    private static let childMarker = "INFRA_DAEMON_JOURNAL_CHILD"

    func testEntryReachesJournaldSocketWithStructuredFields() async throws {
        if ProcessInfo.processInfo.environment[Self.childMarker] != nil {
            // Child side: log through the handler exactly as a daemon would.
            let logger = Logger(label: "infra.e2e") { label in
                JournalLogHandler(label: label, identifier: "infra-e2e")
            }
            logger.warning("hello\njournal", metadata: ["peer.addr": "10.0.0.7"])
            return
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"), geteuid() == 0 else {
            throw XCTSkip("needs root and unshare(1) for a private mount namespace")
        }
        let root = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: root.file("journal"), withIntermediateDirectories: false)
        let journald = try DatagramListener(name: "journal/socket", in: root)

        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        child.arguments = [
            "-m", "sh", "-c", #"mount --bind "$0" /run/systemd && exec "$1" "$2""#,
            root.path, testBinary, "InfraDaemonTests.JournalEndToEndTests/testEntryReachesJournaldSocketWithStructuredFields",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.childMarker] = "1"
        child.environment = environment
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        child.waitUntilExit()
        let received = await journald.receiveBytes(timeout: .seconds(2))
        if child.terminationStatus != 0, received == nil {
            throw XCTSkip("could not run the child in a mount namespace (status \(child.terminationStatus))")
        }

        let datagram = try XCTUnwrap(received, "no entry reached the fake journald")
        let text = String(decoding: datagram, as: UTF8.self)
        for line in ["PRIORITY=4", "SYSLOG_IDENTIFIER=infra-e2e", "LOGGER_LABEL=infra.e2e", "PEER_ADDR=10.0.0.7"] {
            XCTAssertTrue(text.contains("\(line)\n"), "missing \(line) in \(text.debugDescription)")
        }
        XCTAssertTrue(text.contains("CODE_FUNC=testEntryReachesJournaldSocketWithStructuredFields()\n"), text.debugDescription)
        // A value with a newline uses the journal's binary form: NAME\n, 64-bit LE length, bytes, \n.
        let message = Array("hello\njournal".utf8)
        var binary = Array("MESSAGE\n".utf8)
        withUnsafeBytes(of: UInt64(message.count).littleEndian) { binary.append(contentsOf: $0) }
        binary += message + [UInt8(ascii: "\n")]
        XCTAssertNotNil(datagram.firstRange(of: binary), "MESSAGE not in binary form: \(text.debugDescription)")
        XCTAssertEqual(child.terminationStatus, 0)
    }
}
