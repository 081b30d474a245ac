import Foundation
@testable import InfraChannel
import InfraNet
import InfraPKI
import XCTest

final class TLSMaterialStoreTests: XCTestCase {
    var directory: URL!
    var ca: CertificateAuthority!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        ca = try CertificateAuthority.create(commonName: "Store Test CA")
    }

    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    var files: TLSFiles { TLSFiles(directory: directory.path) }

    func write(_ issued: IssuedCertificate, key: IssuedCertificate? = nil, ca: CertificateAuthority? = nil) throws {
        try Data(try (ca ?? self.ca).certificate.serializeAsPEM().pemString.utf8).write(to: URL(fileURLWithPath: files.caFile))
        try Data(try issued.certificatePEM().utf8).write(to: URL(fileURLWithPath: files.certificateFile))
        try Data(try (key ?? issued).keyPEM().utf8).write(to: URL(fileURLWithPath: files.keyFile))
    }

    func leaf(_ name: String) throws -> IssuedCertificate {
        try ca.issue(LeafSpec(commonName: name, usage: .clientAuth, uris: ["spiffe://td/agent/\(name)"]))
    }

    func testAdoptsAValidRotationAndIgnoresUnchangedFiles() throws {
        try write(try leaf("one"))
        let store = try TLSMaterialStore(files: files)
        XCTAssertEqual(store.reloadIfChanged(), .unchanged)
        try write(try leaf("two"))
        XCTAssertEqual(store.reloadIfChanged(), .reloaded)
        XCTAssertEqual(store.current.leaf.subject.description, "CN=two")
    }

    func testRefusesAMismatchedKeyAndKeepsTheCurrentMaterial() throws {
        try write(try leaf("one"))
        let store = try TLSMaterialStore(files: files)
        try write(try leaf("two"), key: try leaf("three"))
        guard case .rejected(let reason) = store.reloadIfChanged() else { return XCTFail("a mismatched key must be refused") }
        XCTAssertTrue(reason.contains("does not match"), reason)
        XCTAssertEqual(store.current.leaf.subject.description, "CN=one")
    }

    func testRefusesACertificateFromAnotherCA() throws {
        try write(try leaf("one"))
        let store = try TLSMaterialStore(files: files)
        let other = try CertificateAuthority.create(commonName: "Other")
        let foreign = try other.issue(LeafSpec(commonName: "foreign", usage: .clientAuth))
        try write(foreign)
        guard case .rejected(let reason) = store.reloadIfChanged() else { return XCTFail("a foreign leaf must be refused") }
        XCTAssertTrue(reason.contains("not signed by a CA"), reason)
        XCTAssertThrowsError(try TLSMaterialStore(files: files), "start-up refuses it too")
    }

    func testMissingFileIsNamed() {
        XCTAssertThrowsError(try TLSMaterialStore(files: TLSFiles(directory: "/nonexistent/pki"))) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/pki/ca.crt"), "\(error)")
        }
    }

    func testClientContextFollowsTheMaterial() throws {
        try write(try leaf("one"))
        let store = try TLSMaterialStore(files: files)
        let cache = ClientContextCache(store: store)
        let first = try cache.context()
        XCTAssertTrue(first === (try cache.context()), "the same material reuses its context")
        try write(try leaf("two"))
        store.reloadIfChanged()
        XCTAssertFalse(first === (try cache.context()), "new material builds a new context")
    }
}
