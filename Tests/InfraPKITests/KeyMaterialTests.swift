import Crypto
import Foundation
import InfraPKI
import X509
import XCTest

final class KeyMaterialTests: XCTestCase {
    func testGeneratedKeysRoundTripThroughPKCS8() throws {
        for algorithm in [KeyAlgorithm.ecdsaP256, .ecdsaP384, .rsa3072] {
            let key = try PrivateKeyMaterial.generate(algorithm)
            XCTAssertEqual(key.algorithm, algorithm)
            let pem = try key.pkcs8PEM()
            XCTAssertTrue(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"), "\(algorithm) must be PKCS#8")
            let reloaded = try PrivateKeyMaterial(pemEncoded: pem)
            XCTAssertEqual(reloaded.publicKey, key.publicKey)
            XCTAssertEqual(reloaded.algorithm, algorithm)
        }
    }

    func testLegacyFormsAreAcceptedAndRewrittenAsPKCS8() throws {
        let dir = try makeTemporaryDirectory(self)
        let sec1 = dir.appendingPathComponent("sec1.pem"), pkcs1 = dir.appendingPathComponent("pkcs1.pem")
        XCTAssertEqual(try openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", sec1.path).status, 0)
        XCTAssertEqual(try openssl("genrsa", "-traditional", "-out", pkcs1.path, "3072").status, 0)

        let sec1Text = try String(contentsOf: sec1, encoding: .utf8)
        XCTAssertTrue(sec1Text.contains("BEGIN EC PRIVATE KEY"))
        let ec = try PrivateKeyMaterial(pemEncoded: sec1Text)
        XCTAssertEqual(ec.algorithm, .ecdsaP256)
        XCTAssertTrue(try ec.pkcs8PEM().hasPrefix("-----BEGIN PRIVATE KEY-----"))

        let pkcs1Text = try String(contentsOf: pkcs1, encoding: .utf8)
        XCTAssertTrue(pkcs1Text.contains("BEGIN RSA PRIVATE KEY"))
        let rsa = try PrivateKeyMaterial(pemEncoded: pkcs1Text)
        XCTAssertEqual(rsa.algorithm, .rsa3072)
        XCTAssertTrue(try rsa.pkcs8PEM().hasPrefix("-----BEGIN PRIVATE KEY-----"))
    }

    func testGarbageKeyIsRejectedWithCode() {
        XCTAssertThrowsError(try PrivateKeyMaterial(pemEncoded: "not a key")) { error in
            XCTAssertEqual((error as? PKIError)?.code, .invalidKey)
        }
        let certLike = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        XCTAssertThrowsError(try PrivateKeyMaterial(pemEncoded: certLike)) { error in
            XCTAssertEqual((error as? PKIError)?.code, .invalidKey)
            XCTAssertTrue("\(error)".contains("CERTIFICATE"))
        }
    }

    func testAlgorithmParsingNamesAcceptedValues() {
        XCTAssertEqual(try KeyAlgorithm.parse("rsa-3072", field: "x"), .rsa3072)
        XCTAssertThrowsError(try KeyAlgorithm.parse("ed25519", field: "defaults.algorithm")) { error in
            let text = (error as? PKIError)?.message ?? ""
            XCTAssertTrue(text.contains("defaults.algorithm"))
            XCTAssertTrue(text.contains("ed25519"))
            XCTAssertTrue(text.contains("ecdsa-p256"))
        }
    }

    /// RSA-4096 key generation takes seconds here, so it is exercised exactly once: as a CA
    /// signing a leaf that openssl then verifies.
    func testRSA4096CA() throws {
        let dir = try makeTemporaryDirectory(self)
        let ca = try CertificateAuthority.create(commonName: "RSA-4096 CA", algorithm: .rsa4096)
        XCTAssertEqual(ca.key.algorithm, .rsa4096)
        let leaf = try ca.issue(LeafSpec(commonName: "leaf", dnsNames: ["localhost"]))
        try write(try ca.certificate.pemString(), to: dir.appendingPathComponent("ca.crt"))
        try write(try ca.key.pkcs8PEM(), to: dir.appendingPathComponent("ca.key"))
        try write(try leaf.certificatePEM(), to: dir.appendingPathComponent("leaf.crt"))
        XCTAssertEqual(try openssl("verify", "-CAfile", dir.appendingPathComponent("ca.crt").path,
                                   dir.appendingPathComponent("leaf.crt").path).status, 0)
        XCTAssertTrue(try openssl("pkey", "-in", dir.appendingPathComponent("ca.key").path, "-noout", "-text").stdout.contains("4096 bit"))
        XCTAssertTrue(try openssl("x509", "-in", dir.appendingPathComponent("leaf.crt").path, "-noout", "-text").stdout
            .contains("sha256WithRSAEncryption"))
    }
}
