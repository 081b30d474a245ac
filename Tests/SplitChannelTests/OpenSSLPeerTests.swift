import Foundation
import GRPCCore
import InfraAPI
import InfraChannel
import XCTest

/// The manager's TLS listener as the openssl CLI sees it: an independent TLS implementation.
final class OpenSSLPeerTests: XCTestCase {
    var pki: TestPKI!
    var manager: ManagerHarness!
    var serverFiles: TLSFiles!

    override func setUp() async throws {
        pki = try TestPKI()
        serverFiles = try pki.managerServer()
        manager = try await ManagerHarness(yaml: ManagerHarness.yaml(
            pki: pki, serverFiles: serverFiles, extra: ""
        ).replacingOccurrences(of: "  keyFile:", with: "  reloadIntervalSeconds: 1\n  keyFile:"))
    }

    override func tearDown() async throws {
        await manager?.shutdown()
        pki?.remove()
    }

    func sClient(_ version: String, as files: TLSFiles) throws -> Shell.Result {
        try Shell.run(
            "openssl s_client -connect 127.0.0.1:\(manager.port) \(version) -cert \(files.certificateFile) "
                + "-key \(files.keyFile) -CAfile \(files.caFile) -verify_return_error -brief"
        )
    }

    func testTLS13HandshakeSucceeds() throws {
        let result = try sClient("-tls1_3", as: try pki.agent("node-1"))
        XCTAssertTrue(result.output.contains("Protocol version: TLSv1.3"), result.output)
        XCTAssertTrue(result.output.contains("Verification: OK"), result.output)
    }

    func testTLS12ClientIsRefusedWithProtocolVersionAlert() throws {
        let result = try sClient("-tls1_2", as: try pki.agent("node-1"))
        XCTAssertNotEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("alert protocol version"), result.output)
        XCTAssertFalse(result.output.contains("Protocol version: TLSv1.2"), result.output)
    }

    func testServerRequiresAClientCertificate() throws {
        let agent = try pki.agent("node-1")
        let result = try Shell.run(
            "printf 'PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n' | openssl s_client -connect 127.0.0.1:\(manager.port) -tls1_3 -CAfile \(agent.caFile) -brief -ign_eof"
        )
        // TLS 1.3 sends the client's certificate after the server's Finished, so the refusal
        // arrives as an alert on the first read.
        XCTAssertTrue(result.output.contains("alert certificate required"), result.output)
    }

    func fingerprint(ofServedCertificate port: Int, as files: TLSFiles) throws -> String {
        try Shell.run(
            "openssl s_client -connect 127.0.0.1:\(port) -tls1_3 -cert \(files.certificateFile) -key \(files.keyFile) "
                + "-CAfile \(files.caFile) </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256"
        ).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testServerCertificateRotationIsPickedUpLiveWithoutDroppingConnections() async throws {
        let agent = try pki.agent("node-1")
        let before = try fingerprint(ofServedCertificate: manager.port, as: agent)
        XCTAssertTrue(before.contains("Fingerprint"), before)

        // Keep one healthy Attach stream open across the rotation.
        let port = manager.port
        let events = EventCounter()
        let harness: ManagerHarness = manager
        let stream = Task {
            try await harness.withClient(files: agent) { client in
                try await Infra_V1_InfraManager.Client(wrapping: client).attach(.with { $0.nodeName = "node-1" }) { response in
                    for try await event in response.messages { await events.record(event) }
                }
            }
        }
        try await events.waitFor(attached: 1, heartbeats: 1)

        // Rotate: a new certificate and key for the same identity, written over the old files.
        _ = try pki.managerServer()
        var after = before
        for _ in 0..<50 where after == before {
            try await Task.sleep(for: .milliseconds(200))
            after = try fingerprint(ofServedCertificate: port, as: agent)
        }
        XCTAssertNotEqual(after, before, "new handshakes must present the rotated certificate")
        XCTAssertTrue(after.contains("Fingerprint"), after)
        let expected = try Shell.run("openssl x509 -in \(serverFiles.certificateFile) -noout -fingerprint -sha256").output
        XCTAssertEqual(after, expected.trimmingCharacters(in: .whitespacesAndNewlines))

        // The stream opened before the rotation is still alive: more heartbeats, no re-attach.
        let heartbeatsAtRotation = await events.heartbeats
        try await events.waitFor(attached: 1, heartbeats: heartbeatsAtRotation + 2)
        let attachedCount = await events.attached
        XCTAssertEqual(attachedCount, 1)
        stream.cancel()
    }
}

/// Counts Attach events so a test can wait for them.
actor EventCounter {
    private(set) var attached = 0
    private(set) var heartbeats = 0

    func record(_ event: Infra_V1_ManagerEvent) {
        switch event.event {
        case .attached?: attached += 1
        case .heartbeat?: heartbeats += 1
        default: break
        }
    }

    func waitFor(attached wantedAttached: Int, heartbeats wantedHeartbeats: Int, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while attached < wantedAttached || heartbeats < wantedHeartbeats {
            guard ContinuousClock.now < deadline else {
                throw RPCError(code: .deadlineExceeded, message: "waited for \(wantedAttached) attached/\(wantedHeartbeats) heartbeats, saw \(attached)/\(heartbeats)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
