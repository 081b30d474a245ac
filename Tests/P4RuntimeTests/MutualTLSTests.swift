import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraChannel
import InfraNet
import InfraPKI
import P4RuntimeClient
import XCTest

/// The client's mTLS transport accepts a P4Runtime server only if its certificate carries the
/// infrap4d identity (plus everything InfraChannel checks: CA, EKU, address, TLS 1.3).
final class MutualTLSTests: XCTestCase {
    func testConnectsToAnInfrap4dServerOnly() async throws {
        let pki = try P4TestPKI()
        defer { pki.remove() }
        let client = try TLSMaterialStore(files: try pki.issue("p4rt-client", role: .p4rtClient, usage: .clientAuth))

        let infrap4d = try TLSMaterialStore(files: try pki.issue("infrap4d", role: .infrap4d, usage: .serverAuth))
        try await withFakeServer(security: .mutualTLS(infrap4d)) { _, address in
            let transport = try P4RuntimeTransport.make(address: address, tls: client, logger: logger)
            let configuration = P4RuntimeClient<HTTP2ClientTransport.Posix>.Configuration(electionID: ElectionID(low: 1))
            try await P4RuntimeClient.run(transport: transport, configuration: configuration, logger: logger) { p4rt in
                try await waitFor(p4rt) { $0.isPrimary }
                let version = try await p4rt.capabilities()
                XCTAssertEqual(version, "1.5.0")
            }
        }

        // A valid server certificate from the same CA, but the manager's identity: refused.
        let manager = try TLSMaterialStore(files: try pki.issue("manager", role: .manager, usage: .serverAuth))
        try await withFakeServer(security: .mutualTLS(manager)) { _, address in
            let transport = try P4RuntimeTransport.make(address: address, tls: client, logger: logger)
            let configuration = P4RuntimeClient<HTTP2ClientTransport.Posix>.Configuration(electionID: ElectionID(low: 1))
            try await P4RuntimeClient.run(transport: transport, configuration: configuration, logger: logger) { p4rt in
                do {
                    _ = try await p4rt.capabilities()
                    XCTFail("a server without the infrap4d identity was accepted")
                } catch let error as P4RuntimeError {
                    XCTAssertEqual(error.rpcCode, .unavailable, "\(error)")
                }
                XCTAssertFalse(p4rt.arbitration.isPrimary)
            }
        }
    }
}

/// A throwaway cluster CA on disk for these tests, built with InfraPKI.
struct P4TestPKI {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("p4rt-pki-\(UUID().uuidString)")
    let ca: CertificateAuthority

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        ca = try CertificateAuthority.create(commonName: "P4Runtime Test CA")
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// ca.crt, tls.crt and tls.key for one identity in `<dir>/<name>/`; servers get loopback SANs.
    func issue(_ name: String, role: InfraIdentity.Role, usage: ExtendedUsage) throws -> TLSFiles {
        let uri = InfraIdentity(trustDomain: "test.infra.local", role: role).uri
        let server = usage == .serverAuth
        let issued = try ca.issue(LeafSpec(
            commonName: name, usage: usage, dnsNames: server ? ["localhost"] : [],
            ipAddresses: server ? [IPAddress("127.0.0.1")].compactMap { $0 } : [], uris: [uri]))
        let folder = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (file, text) in [("ca.crt", try ca.certificate.pemString()), ("tls.crt", try issued.certificatePEM()), ("tls.key", try issued.keyPEM())] {
            try Data(text.utf8).write(to: folder.appendingPathComponent(file), options: .atomic)
        }
        return TLSFiles(directory: folder.path)
    }
}
