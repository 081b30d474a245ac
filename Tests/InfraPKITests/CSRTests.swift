import Foundation
import InfraPKI
import X509
import XCTest

final class CSRTests: XCTestCase {
    private let profile = PKIProfile(trustDomain: "td.example", identities: [
        .init(name: "agent-n1", kind: .agent, node: "n1", ips: ["10.0.0.1"]),
        .init(name: "infrap4d", kind: .infrap4d, dns: ["localhost"], algorithm: .ecdsaP384),
    ])

    func testProfileCSRIsSignedWithProfileNames() throws {
        let ca = try CertificateAuthority.create(commonName: "CA")
        let (request, key) = try profile.certificateSigningRequest(for: profile.identities[0])
        XCTAssertEqual(key.algorithm, .ecdsaP256)
        let pem = try request.pemString()
        XCTAssertTrue(pem.hasPrefix("-----BEGIN CERTIFICATE REQUEST-----"))
        let certificate = try ca.sign(csrPEM: pem, kind: .agent, validity: .days(7), trustDomain: "td.example")
        XCTAssertTrue(key.matches(certificate))
        XCTAssertEqual(ExtendedUsage(certificate: certificate), .clientAuth)
        XCTAssertEqual(InfraIdentity.identities(in: certificate), [InfraIdentity(trustDomain: "td.example", role: .agent, name: "n1")])
        XCTAssertEqual(certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore), 7 * 86_400 + 300, accuracy: 2)
    }

    func testSignRefusesForeignIdentityAndTrustDomain() throws {
        let ca = try CertificateAuthority.create(commonName: "CA")
        let pem = try profile.certificateSigningRequest(for: profile.identities[1]).request.pemString()
        XCTAssertNoThrow(try ca.sign(csrPEM: pem, kind: .infrap4d, validity: .days(1)))
        XCTAssertThrowsError(try ca.sign(csrPEM: pem, kind: .managerServer, validity: .days(1))) {
            XCTAssertEqual(($0 as? PKIError)?.code, .invalidCSR)
        }
        XCTAssertThrowsError(try ca.sign(csrPEM: pem, kind: .infrap4d, validity: .days(1), trustDomain: "other.example")) {
            XCTAssertTrue(($0 as? PKIError)?.message.contains("other.example") ?? false)
        }
        XCTAssertThrowsError(try ca.sign(csrPEM: "garbage", kind: .infrap4d, validity: .days(1))) {
            XCTAssertEqual(($0 as? PKIError)?.code, .invalidCSR)
        }
    }
}
