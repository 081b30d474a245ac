import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraAPI
import InfraChannel
import InfraPKI
import XCTest

/// The security matrix of the split channel, against a real manager on loopback.
final class MutualTLSTests: XCTestCase {
    var pki: TestPKI!
    var manager: ManagerHarness!

    override func setUp() async throws {
        pki = try TestPKI()
        manager = try await ManagerHarness(yaml: ManagerHarness.yaml(pki: pki, serverFiles: try pki.managerServer()))
    }

    override func tearDown() async throws {
        await manager?.shutdown()
        pki?.remove()
    }

    func syncRequest() -> Infra_V1_SyncRequest {
        .with {
            $0.nodeName = "node-1"
            $0.hostInterface = .with { $0.name = "ens801f0d3"; $0.macAddress = "02:00:00:00:00:01"; $0.ipAddresses = ["192.0.2.10/24"] }
        }
    }

    func assertRefused(_ what: String, file: StaticString = #filePath, line: UInt = #line, _ call: () async throws -> Void) async {
        do {
            try await call()
            XCTFail("\(what): the call succeeded but must be refused", file: file, line: line)
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .unavailable, "\(what): \(error)", file: file, line: line)
        } catch {
            XCTFail("\(what): unexpected error \(error)", file: file, line: line)
        }
    }

    func testAgentSyncsAndOperatorReadsStatus() async throws {
        let agent = try pki.agent("node-1")
        let first = try await manager.sync(as: agent, syncRequest())
        XCTAssertEqual(first.hostInterface.created, 1)
        let again = try await manager.sync(as: agent, syncRequest())
        XCTAssertEqual(again.generation, first.generation, "the same Sync twice must not change state")
        XCTAssertEqual(again.hostInterface.unchanged, 1)

        let status = try await manager.status(as: try pki.operatorIdentity())
        XCTAssertEqual(status.nodeName, "node-1")
        XCTAssertTrue(status.desired.hostInterface)
        XCTAssertEqual(status.certificates.first?.identity, TestPKI.identity(.manager))
        XCTAssertEqual(status.target.state, .notConfigured)
    }

    func testOperatorIsReadOnly() async throws {
        do {
            _ = try await manager.sync(as: try pki.operatorIdentity(), syncRequest())
            XCTFail("an operator must not be able to Sync")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .permissionDenied)
            XCTAssertTrue(error.message.contains("read-only"), error.message)
        }
    }

    func testIdentityNotOnTheAllowList() async throws {
        let stranger = try pki.agent("node-2")
        do {
            _ = try await manager.status(as: stranger)
            XCTFail("an agent of another node must be refused")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .permissionDenied)
            XCTAssertTrue(error.message.contains("agent/node-2"), error.message)
        }
    }

    func testClientWithoutCertificateIsRefused() async throws {
        let caFile = try pki.agent("node-1").caFile
        let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: manager.port),
            transportSecurity: .tls { $0.trustRoots = .certificates([.file(path: caFile, format: .pem)]) }
        )
        await assertRefused("no client certificate") {
            _ = try await withGRPCClient(transport: transport) { client in
                try await Infra_V1_InfraManager.Client(wrapping: client).status(.init(), options: .quick)
            }
        }
    }

    func testCertificateFromAnotherCAIsRefused() async throws {
        let otherCA = try CertificateAuthority.create(commonName: "Other CA")
        // Signed by another CA; the client's bundle holds both CAs, so only the server can refuse.
        let files = try pki.agent("node-1", name: "foreign", issuer: otherCA)
        await assertRefused("foreign CA") { _ = try await manager.status(as: files) }
    }

    func testExpiredAndNotYetValidAreRefused() async throws {
        let day: TimeInterval = 86_400
        let expired = try pki.agent("node-1", name: "expired", validity: .init(notBefore: Date() - 10 * day, notAfter: Date() - day))
        await assertRefused("expired") { _ = try await manager.status(as: expired) }
        let future = try pki.agent("node-1", name: "future", validity: .init(notBefore: Date() + day, notAfter: Date() + 10 * day))
        await assertRefused("not yet valid") { _ = try await manager.status(as: future) }
    }

    func testServerCertificateUsedAsClientIsRefused() async throws {
        let files = try pki.write("server-as-client", usage: .serverAuth, uri: TestPKI.identity(.agent, "node-1"))
        await assertRefused("server EKU only") { _ = try await manager.status(as: files) }
    }

    func testPlaintextClientIsRefused() async throws {
        await assertRefused("plaintext") { _ = try await manager.status(as: nil) }
    }

    func testClientRefusesAServerWithoutTheManagerIdentity() async throws {
        // A server certificate from the right CA but naming an agent: the client must refuse it.
        await manager.shutdown()
        let impostor = try pki.write("impostor", usage: .serverAuth, uri: TestPKI.identity(.agent, "node-1"), ips: ["127.0.0.1"])
        manager = try await ManagerHarness(yaml: ManagerHarness.yaml(pki: pki, serverFiles: impostor))
        await assertRefused("impostor server") { _ = try await manager.status(as: try pki.agent("node-1")) }
    }
}
