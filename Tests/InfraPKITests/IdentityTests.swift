import InfraPKI
import XCTest

final class IdentityTests: XCTestCase {
    func testURIRoundTrip() {
        for role in InfraIdentity.Role.allCases {
            let identity = InfraIdentity(trustDomain: "infra.local", role: role, name: role == .agent ? "node-1" : nil)
            XCTAssertEqual(InfraIdentity(uri: identity.uri), identity)
        }
        XCTAssertEqual(InfraIdentity(trustDomain: "td", role: .operator, name: "admin").uri, "spiffe://td/operator/admin")
        XCTAssertEqual(InfraIdentity(trustDomain: "td", role: .p4rtClient).uri, "spiffe://td/p4rt-client")
        XCTAssertEqual("\(InfraIdentity(trustDomain: "td", role: .agent, name: "n"))", "spiffe://td/agent/n")
    }

    func testForeignURIsAreNotIdentities() {
        XCTAssertNil(InfraIdentity(uri: "spiffe://td/unknown-role"))
        XCTAssertNil(InfraIdentity(uri: "spiffe://td/agent/a/b"))
        XCTAssertNil(InfraIdentity(uri: "https://td/agent/x"))
        XCTAssertNil(InfraIdentity(uri: "spiffe://TD/agent/x"))
        XCTAssertNil(InfraIdentity(uri: "spiffe://td/agent/"))
        XCTAssertNil(InfraIdentity(uri: "spiffe://td"))
    }

    func testValidationNamesTheBadPart() {
        XCTAssertThrowsError(try InfraIdentity(trustDomain: "td", role: .agent, name: "bad/name").validate()) {
            XCTAssertTrue(($0 as? PKIError)?.message.contains("bad/name") ?? false)
        }
        XCTAssertThrowsError(try InfraIdentity(trustDomain: "Bad Domain", role: .agent, name: "n").validate())
        XCTAssertNoThrow(try InfraIdentity(trustDomain: "infra.local", role: .agent, name: "node-1").validate())
    }
}
