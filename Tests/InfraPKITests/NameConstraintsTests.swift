import Foundation
import InfraNet
import InfraPKI
import SwiftASN1
import X509
import XCTest

final class NameConstraintsTests: XCTestCase {
    private let spec = NameConstraintsSpec(
        dnsSuffixes: ["localhost", "svc"], ipRanges: ["127.0.0.0/8", "::1/128", "10.10.0.0/24"], uriDomains: ["infra.local"]
    )

    func testConstraintsRoundTripThroughCertificate() throws {
        let ca = try CertificateAuthority.create(commonName: "Constrained CA", nameConstraints: spec)
        XCTAssertEqual(ca.nameConstraints, spec)
        XCTAssertEqual(ca.certificate.extensions[oid: .X509ExtensionID.nameConstraints]?.critical, true)
    }

    func testIssueRefusesNamesOutsideConstraints() throws {
        let ca = try CertificateAuthority.create(commonName: "Constrained CA", nameConstraints: spec)
        XCTAssertThrowsError(try ca.issue(LeafSpec(commonName: "x", dnsNames: ["evil.example"]))) {
            XCTAssertEqual(($0 as? PKIError)?.code, .outsideNameConstraints)
            XCTAssertTrue(($0 as? PKIError)?.message.contains("evil.example") ?? false)
        }
        XCTAssertThrowsError(try ca.issue(LeafSpec(commonName: "x", ipAddresses: [IPAddress("192.168.1.1")!]))) {
            XCTAssertTrue(($0 as? PKIError)?.message.contains("192.168.1.1") ?? false)
        }
        XCTAssertThrowsError(try ca.issue(LeafSpec(commonName: "x", uris: ["spiffe://other.domain/agent/n"])))
        XCTAssertNoThrow(try ca.issue(LeafSpec(
            commonName: "x", dnsNames: ["localhost", "infra-manager.kube-system.svc"],
            ipAddresses: [IPAddress("10.10.0.2")!, IPAddress("::1")!], uris: ["spiffe://infra.local/manager"]
        )))
    }

    /// OpenSSL enforces the constraints: an in-range leaf verifies, a hand-made leaf signed by
    /// the same key but naming an outside host is rejected.
    func testOpenSSLHonoursConstraints() throws {
        let dir = try makeTemporaryDirectory(self)
        let ca = try CertificateAuthority.create(commonName: "Constrained CA", nameConstraints: spec)
        let inside = try ca.issue(LeafSpec(
            commonName: "manager-server", dnsNames: ["localhost", "infra-manager.kube-system.svc"],
            ipAddresses: [IPAddress("127.0.0.1")!, IPAddress("10.10.0.2")!], uris: ["spiffe://infra.local/manager"]
        ))
        let outside = try forgeLeaf(signedBy: ca, names: [.dnsName("evil.example")])
        let outsideURI = try forgeLeaf(signedBy: ca, names: [.dnsName("localhost"), .uniformResourceIdentifier("spiffe://evil.domain/manager")])
        let caFile = dir.appendingPathComponent("ca.crt")
        try write(try ca.certificate.pemString(), to: caFile)
        for (name, cert) in [("inside", inside.certificate), ("outside", outside), ("outside-uri", outsideURI)] {
            try write(try cert.pemString(), to: dir.appendingPathComponent("\(name).crt"))
        }
        let ok = try openssl("verify", "-CAfile", caFile.path, dir.appendingPathComponent("inside.crt").path)
        XCTAssertEqual(ok.status, 0, ok.output)
        let bad = try openssl("verify", "-CAfile", caFile.path, dir.appendingPathComponent("outside.crt").path)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("permitted subtree violation"), bad.output)
        let badURI = try openssl("verify", "-CAfile", caFile.path, dir.appendingPathComponent("outside-uri.crt").path)
        XCTAssertNotEqual(badURI.status, 0, badURI.output)
    }

    /// swift-certificates' own verifier (what a custom NIOSSL callback would use) agrees.
    func testSwiftCertificatesVerifierHonoursConstraints() async throws {
        let ca = try CertificateAuthority.create(commonName: "Constrained CA", nameConstraints: spec)
        let inside = try ca.issue(LeafSpec(
            commonName: "agent-node-1", usage: .clientAuth, ipAddresses: [IPAddress("10.10.0.7")!],
            uris: ["spiffe://infra.local/agent/node-1"]
        ))
        let outside = try forgeLeaf(signedBy: ca, names: [.ipAddress(ASN1OctetString(contentBytes: [192, 168, 0, 1]))])
        var verifier = Verifier(rootCertificates: CertificateStore([ca.certificate])) { RFC5280Policy() }
        guard case .validCertificate = await verifier.validate(leaf: inside.certificate, intermediates: CertificateStore()) else {
            return XCTFail("in-constraint leaf must verify")
        }
        guard case .couldNotValidate = await verifier.validate(leaf: outside, intermediates: CertificateStore()) else {
            return XCTFail("out-of-constraint leaf must not verify")
        }
    }

    /// Builds a leaf the library would refuse to issue, straight from the CA key.
    private func forgeLeaf(signedBy ca: CertificateAuthority, names: [GeneralName]) throws -> Certificate {
        let key = try PrivateKeyMaterial.generate(.ecdsaP256)
        let now = Date()
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now - 60, notValidAfter: now + 3600, issuer: ca.certificate.subject,
            subject: try DistinguishedName { CommonName("forged") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
                AuthorityKeyIdentifier(keyIdentifier: try ca.certificate.extensions.subjectKeyIdentifier!.keyIdentifier)
            },
            issuerPrivateKey: ca.key.key
        )
    }

    func testConstraintSpecValidation() {
        XCTAssertThrowsError(try NameConstraintsSpec(ipRanges: ["10.0.0.0/33"]).validate()) {
            XCTAssertEqual(($0 as? PKIError)?.code, .invalidAddress)
            XCTAssertTrue(($0 as? PKIError)?.message.contains("10.0.0.0/33") ?? false)
        }
        XCTAssertThrowsError(try NameConstraintsSpec(dnsSuffixes: ["*.example"]).validate())
        XCTAssertNoThrow(try NameConstraintsSpec(dnsSuffixes: [".example.org", "localhost"]).validate())
    }
}
