import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraChannel
import Logging
import P4Info
import P4RuntimeAPI
import P4RuntimeClient
import Synchronization
import XCTest

/// The built `infra-p4-emulator` over mutual TLS 1.3 with certificates from `infra-pki apply`
/// of the shipped profile: our P4RuntimeClient with the p4rt-client identity gets in; a
/// client without a certificate or from another CA does not; a rotated server certificate is
/// picked up without a restart.
final class EmulatorBinaryTests: XCTestCase {
    static let logger = Logger(label: "p4-emulator-binary-tests")

    func makePKI() throws -> ProfilePKI {
        let pki = try ProfilePKI()
        addTeardownBlock { pki.remove() }
        return pki
    }

    func startEmulator(_ arguments: [String]) async throws -> EmulatorProcess {
        let emulator = try await EmulatorProcess(arguments)
        addTeardownBlock { emulator.stop() }
        return emulator
    }

    /// Runs `body` with a P4RuntimeClient (election id 10) over mTLS as `files`.
    func withClient(
        port: Int, files: TLSFiles,
        _ body: @Sendable (P4RuntimeClient<HTTP2ClientTransport.Posix>) async throws -> Void
    ) async throws {
        let transport = try P4RuntimeTransport.make(
            address: try ChannelAddress(parsing: "127.0.0.1:\(port)"), tls: try TLSMaterialStore(files: files), logger: Self.logger
        )
        try await P4RuntimeClient.run(transport: transport, configuration: .init(electionID: ElectionID(low: 10)), logger: Self.logger, body)
    }

    /// Whether a Capabilities call as `files` gets through; a refused handshake is UNAVAILABLE.
    func isAccepted(port: Int, files: TLSFiles) async throws -> Bool {
        let accepted = Mutex<Bool?>(nil)
        try await withClient(port: port, files: files) { client in
            do {
                _ = try await client.capabilities()
                accepted.withLock { $0 = true }
            } catch let error as P4RuntimeError where error.rpcCode == .unavailable {
                accepted.withLock { $0 = false }
            }
        }
        return try XCTUnwrap(accepted.withLock { $0 })
    }

    func testMutualTLSAcceptsOurClientAndRefusesOthers() async throws {
        let pki = try makePKI()
        let emulator = try await startEmulator(["--tls-directory", pki.directory("infrap4d")])
        XCTAssertTrue(emulator.log.contains("mTLS 1.3"), emulator.log)

        // The manager's identity: connects, arbitrates, pushes the pipeline, writes, reads back.
        let info = try TestPipeline.index()
        try await withClient(port: emulator.port, files: TLSFiles(directory: pki.directory("p4rt-client"))) { client in
            try await EndToEndTests.waitUntil(client) { $0.isPrimary }
            try await client.setForwardingPipelineConfig(info, cookie: 3)
            let route = try info.tableEntry("route", match: [.lpm("dst", P4Value(bytes: [10, 1, 0, 0]), prefixLength: 16)], action: "drop")
            try await client.write([.insert(P4_V1_Entity(route))])
            let read = try await client.readTableEntries("route")
            XCTAssertEqual(read, [route])
        }

        // No client certificate at all: TLS 1.3 refuses after the server's Finished, so the
        // call fails as UNAVAILABLE.
        let caFile = pki.directory("p4rt-client") + "/ca.crt"
        let anonymous = try HTTP2ClientTransport.Posix(
            target: .ipv4(host: "127.0.0.1", port: emulator.port),
            transportSecurity: .tls { tls in
                tls.trustRoots = .certificates([.file(path: caFile, format: .pem)])
                tls.serverCertificateVerification = .noHostnameVerification
            }
        )
        do {
            _ = try await withGRPCClient(transport: anonymous) { grpc in
                try await P4_V1_P4Runtime.Client(wrapping: grpc).capabilities(P4_V1_CapabilitiesRequest())
            }
            XCTFail("a client without a certificate was served")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .unavailable, "\(error)")
        }

        // A p4rt-client certificate from another cluster's CA. The client trusts both CAs so
        // that only the server's decision is tested.
        let other = try makePKI()
        let bundle = pki.root.appendingPathComponent("both-cas.crt")
        let bothCAs = try String(contentsOfFile: caFile, encoding: .utf8) + "\n" + String(contentsOfFile: other.directory("ca") + "/ca.crt", encoding: .utf8)
        try Data(bothCAs.utf8).write(to: bundle)
        let foreign = TLSFiles(
            caFile: bundle.path, certificateFile: other.directory("p4rt-client") + "/tls.crt", keyFile: other.directory("p4rt-client") + "/tls.key"
        )
        let foreignAccepted = try await isAccepted(port: emulator.port, files: foreign)
        XCTAssertFalse(foreignAccepted, "a client of another CA was served")
        let ownAccepted = try await isAccepted(port: emulator.port, files: TLSFiles(directory: pki.directory("p4rt-client")))
        XCTAssertTrue(ownAccepted, "the server still serves our client after refusing others")
    }

    /// The emulator starts with a valid certificate of the wrong identity (the manager's), which
    /// our client refuses; once the files hold the infrap4d certificate, new connections get in.
    func testServerCertificateRotationIsPickedUpWithoutRestart() async throws {
        let pki = try makePKI()
        let served = pki.root.appendingPathComponent("served")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        func install(_ certificate: String, _ key: String) throws {
            for (source, target) in [(pki.directory("ca") + "/ca.crt", "ca.crt"), (certificate, "tls.crt"), (key, "tls.key")] {
                try Data(contentsOf: URL(fileURLWithPath: source)).write(to: served.appendingPathComponent(target), options: .atomic)
            }
        }
        try install(pki.directory("manager-server") + "/tls.crt", pki.directory("manager-server") + "/tls.key")
        let emulator = try await startEmulator(["--tls-directory", served.path, "--reload-interval-seconds", "1"])
        let client = TLSFiles(directory: pki.directory("p4rt-client"))
        let acceptedBefore = try await isAccepted(port: emulator.port, files: client)
        XCTAssertFalse(acceptedBefore, "the manager's certificate must not pass for infrap4d")

        try install(pki.directory("infrap4d") + "/stratum.crt", pki.directory("infrap4d") + "/stratum.key")
        var accepted = false
        for _ in 0..<60 where !accepted {
            try await Task.sleep(for: .milliseconds(500))
            accepted = try await isAccepted(port: emulator.port, files: client)
        }
        XCTAssertTrue(accepted, "the rotated infrap4d certificate was never served; emulator log:\n\(emulator.log)")
        XCTAssertTrue(emulator.log.contains("reloaded TLS material"), emulator.log)
    }

    func testReloadIntervalIsValidated() async throws {
        let pki = try makePKI()
        do {
            _ = try await EmulatorProcess(["--tls-directory", pki.directory("infrap4d"), "--reload-interval-seconds", "0"])
            XCTFail("an interval of 0 was accepted")
        } catch let error as ProductError {
            XCTAssertTrue(error.description.contains("--reload-interval-seconds must be from 1 to 3600"), error.description)
        }
    }
}
