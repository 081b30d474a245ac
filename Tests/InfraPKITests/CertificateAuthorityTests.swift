import Foundation
import InfraNet
import InfraPKI
import SwiftASN1
import X509
import XCTest

final class CertificateAuthorityTests: XCTestCase {
    private func writePEMs(_ ca: CertificateAuthority, _ leaves: [String: IssuedCertificate], in dir: URL) throws {
        try write(try ca.certificate.pemString(), to: dir.appendingPathComponent("ca.crt"))
        for (name, leaf) in leaves {
            try write(try leaf.certificatePEM(), to: dir.appendingPathComponent("\(name).crt"))
            try write(try leaf.keyPEM(), to: dir.appendingPathComponent("\(name).key"))
        }
    }

    func testCAExtensionsAndSerial() throws {
        let ca = try CertificateAuthority.create(commonName: "Infra Test CA", organization: "InfraOffload")
        let cert = ca.certificate
        XCTAssertEqual(try cert.extensions.basicConstraints, .isCertificateAuthority(maxPathLength: 0))
        XCTAssertEqual(cert.extensions[oid: .X509ExtensionID.basicConstraints]?.critical, true)
        XCTAssertEqual(cert.extensions[oid: .X509ExtensionID.keyUsage]?.critical, true)
        let usage = try XCTUnwrap(try cert.extensions.keyUsage)
        XCTAssertTrue(usage.keyCertSign && usage.cRLSign)
        XCTAssertNotNil(try cert.extensions.subjectKeyIdentifier)
        XCTAssertEqual(cert.signatureAlgorithm, .ecdsaWithSHA256)
        XCTAssertEqual(cert.serialNumber.bytes.count, 20)
        XCTAssertEqual(cert.serialNumber.bytes.first.map { $0 & 0x80 }, 0)
        XCTAssertEqual(cert.notValidAfter.timeIntervalSince(cert.notValidBefore), 3650 * 86_400 + 300, accuracy: 1)
    }

    func testLeafExtensionsAndIdentity() throws {
        let ca = try CertificateAuthority.create(commonName: "Infra Test CA")
        let identity = InfraIdentity(trustDomain: "infra.local", role: .agent, name: "node-1")
        let leaf = try ca.issue(LeafSpec(
            commonName: "agent-node-1", usage: .clientAuth, dnsNames: ["node-1.example"],
            ipAddresses: [IPAddress("10.0.0.1")!], uris: [identity.uri]
        ))
        let cert = leaf.certificate
        XCTAssertEqual(try cert.extensions.basicConstraints, .notCertificateAuthority)
        XCTAssertEqual(cert.extensions[oid: .X509ExtensionID.basicConstraints]?.critical, true)
        let usage = try XCTUnwrap(try cert.extensions.keyUsage)
        XCTAssertTrue(usage.digitalSignature)
        XCTAssertFalse(usage.keyEncipherment)
        XCTAssertEqual(ExtendedUsage(certificate: cert), .clientAuth)
        XCTAssertEqual(InfraIdentity.identities(in: cert), [identity])
        XCTAssertEqual(
            try cert.extensions.authorityKeyIdentifier?.keyIdentifier,
            try ca.certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        )
        XCTAssertTrue(ca.signed(cert))
        XCTAssertTrue(leaf.key.matches(cert))
        XCTAssertEqual(cert.serialNumber.bytes.count, 20)
    }

    func testOpenSSLAcceptsChainAndPurposes() throws {
        let dir = try makeTemporaryDirectory(self)
        let ca = try CertificateAuthority.create(commonName: "Infra Test CA")
        let server = try ca.issue(LeafSpec(
            commonName: "manager-server", usage: .serverAuth, dnsNames: ["localhost"],
            ipAddresses: [IPAddress("127.0.0.1")!, IPAddress("::1")!],
            uris: [InfraIdentity(trustDomain: "infra.local", role: .manager).uri]
        ))
        let client = try ca.issue(LeafSpec(commonName: "operator-admin", usage: .clientAuth))
        try writePEMs(ca, ["server": server, "client": client], in: dir)
        let caFile = dir.appendingPathComponent("ca.crt").path
        let serverFile = dir.appendingPathComponent("server.crt").path
        let clientFile = dir.appendingPathComponent("client.crt").path

        XCTAssertEqual(try openssl("verify", "-CAfile", caFile, serverFile, clientFile).status, 0)
        XCTAssertEqual(try openssl("verify", "-purpose", "sslserver", "-CAfile", caFile, serverFile).status, 0)
        XCTAssertEqual(try openssl("verify", "-purpose", "sslclient", "-CAfile", caFile, clientFile).status, 0)
        XCTAssertNotEqual(try openssl("verify", "-purpose", "sslclient", "-CAfile", caFile, serverFile).status, 0)

        let caText = try openssl("x509", "-in", caFile, "-noout", "-text").stdout
        XCTAssertTrue(caText.contains("X509v3 Basic Constraints: critical"))
        XCTAssertTrue(caText.contains("CA:TRUE, pathlen:0"))
        XCTAssertTrue(caText.contains("X509v3 Key Usage: critical"))
        XCTAssertTrue(caText.contains("Certificate Sign, CRL Sign"))
        let serverText = try openssl("x509", "-in", serverFile, "-noout", "-text").stdout
        XCTAssertTrue(serverText.contains("TLS Web Server Authentication"))
        XCTAssertTrue(serverText.contains("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, URI:spiffe://infra.local/manager"), serverText)
        XCTAssertTrue(serverText.contains("CA:FALSE"))
        XCTAssertTrue(serverText.contains("X509v3 Authority Key Identifier"))
        XCTAssertEqual(try openssl("pkey", "-in", dir.appendingPathComponent("server.key").path, "-noout").status, 0)
    }

    func testP384AndRSAPaths() throws {
        let dir = try makeTemporaryDirectory(self)
        let ca = try CertificateAuthority.create(commonName: "P384 CA", algorithm: .ecdsaP384)
        XCTAssertEqual(ca.certificate.signatureAlgorithm, .ecdsaWithSHA384)
        let rsaLeaf = try ca.issue(LeafSpec(commonName: "rsa-leaf", usage: .both, dnsNames: ["localhost"], algorithm: .rsa3072))
        XCTAssertEqual(rsaLeaf.key.algorithm, .rsa3072)
        XCTAssertEqual(rsaLeaf.certificate.signatureAlgorithm, .ecdsaWithSHA384)
        XCTAssertEqual(try rsaLeaf.certificate.extensions.keyUsage?.keyEncipherment, true)

        let rsaCA = try CertificateAuthority.create(commonName: "RSA CA", algorithm: .rsa3072)
        XCTAssertEqual(rsaCA.certificate.signatureAlgorithm, .sha256WithRSAEncryption)
        let ecLeaf = try rsaCA.issue(LeafSpec(commonName: "ec-leaf", dnsNames: ["localhost"], algorithm: .ecdsaP384))
        XCTAssertEqual(ecLeaf.certificate.signatureAlgorithm, .sha256WithRSAEncryption)

        try write(try ca.certificate.pemString(), to: dir.appendingPathComponent("p384.crt"))
        try write(try rsaLeaf.certificatePEM(), to: dir.appendingPathComponent("rsa-leaf.crt"))
        try write(try rsaLeaf.keyPEM(), to: dir.appendingPathComponent("rsa-leaf.key"))
        try write(try rsaCA.certificate.pemString(), to: dir.appendingPathComponent("rsa.crt"))
        try write(try ecLeaf.certificatePEM(), to: dir.appendingPathComponent("ec-leaf.crt"))
        XCTAssertEqual(try openssl("verify", "-purpose", "sslserver", "-CAfile", dir.appendingPathComponent("p384.crt").path,
                                   dir.appendingPathComponent("rsa-leaf.crt").path).status, 0)
        XCTAssertEqual(try openssl("verify", "-purpose", "sslclient", "-CAfile", dir.appendingPathComponent("p384.crt").path,
                                   dir.appendingPathComponent("rsa-leaf.crt").path).status, 0)
        XCTAssertEqual(try openssl("verify", "-CAfile", dir.appendingPathComponent("rsa.crt").path,
                                   dir.appendingPathComponent("ec-leaf.crt").path).status, 0)
        let keyText = try openssl("pkey", "-in", dir.appendingPathComponent("rsa-leaf.key").path, "-noout", "-text").stdout
        XCTAssertTrue(keyText.contains("3072 bit"))
    }

    func testReloadRejectsMismatchedKeyAndNonCA() throws {
        let ca = try CertificateAuthority.create(commonName: "CA one")
        let other = try CertificateAuthority.create(commonName: "CA two")
        let reloaded = try CertificateAuthority(certificatePEM: try ca.certificate.pemString(), keyPEM: try ca.key.pkcs8PEM())
        XCTAssertEqual(reloaded.certificate, ca.certificate)

        XCTAssertThrowsError(try CertificateAuthority(certificatePEM: try ca.certificate.pemString(), keyPEM: try other.key.pkcs8PEM())) {
            XCTAssertEqual(($0 as? PKIError)?.code, .keyMismatch)
        }
        let leaf = try ca.issue(LeafSpec(commonName: "leaf", dnsNames: ["localhost"]))
        XCTAssertThrowsError(try CertificateAuthority(certificatePEM: try leaf.certificatePEM(), keyPEM: try leaf.keyPEM())) {
            XCTAssertEqual(($0 as? PKIError)?.code, .notCertificateAuthority)
        }
        XCTAssertFalse(other.signed(leaf.certificate))
    }

    func testInvalidSpecsAreRejectedNamingTheValue() throws {
        let ca = try CertificateAuthority.create(commonName: "CA")
        let cases: [(LeafSpec, PKIError.Code, String)] = [
            (LeafSpec(commonName: "x", dnsNames: ["bad_name.example"]), .invalidName, "bad_name.example"),
            (LeafSpec(commonName: "x", dnsNames: ["-lead.example"]), .invalidName, "-lead.example"),
            (LeafSpec(commonName: "x", dnsNames: ["a.*.example"]), .invalidName, "a.*.example"),
            (LeafSpec(commonName: "x", dnsNames: ["*.example"]), .invalidName, "*.example"),
            (LeafSpec(commonName: "x", uris: ["no-scheme"]), .invalidURI, "no-scheme"),
            (LeafSpec(commonName: "x", uris: ["spiffe://Upper/agent"]), .invalidName, "Upper"),
            (LeafSpec(commonName: "x", uris: ["spiffe://td/a/../b"]), .invalidURI, ".."),
            (LeafSpec(commonName: "", dnsNames: ["ok"]), .invalidName, "commonName"),
            (LeafSpec(commonName: "x", usage: []), .invalidArgument, "usage"),
        ]
        for (spec, code, fragment) in cases {
            XCTAssertThrowsError(try ca.issue(spec)) { error in
                let pki = error as? PKIError
                XCTAssertEqual(pki?.code, code, "\(spec.dnsNames) \(spec.uris)")
                XCTAssertTrue(pki?.message.contains(fragment) ?? false, pki?.message ?? "")
                XCTAssertTrue(pki?.file.hasPrefix("InfraPKI/") ?? false)
            }
        }
        XCTAssertNoThrow(try ca.issue(LeafSpec(commonName: "x", dnsNames: ["*.svc.example", "UPPER.example"])))
    }

    func testSerialsAreUnique() throws {
        let ca = try CertificateAuthority.create(commonName: "CA")
        let serials = try (0..<20).map { _ in try ca.issue(LeafSpec(commonName: "x", dnsNames: ["a.example"])).certificate.serialNumber }
        XCTAssertEqual(Set(serials).count, serials.count)
        XCTAssertTrue(serials.allSatisfy { $0.bytes.count == 20 })
    }
}
