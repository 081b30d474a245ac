import Foundation
import InfraNet
import InfraPKI
import XCTest

final class ProfileTests: XCTestCase {
    private let minimal = """
        trustDomain: td.example
        identities:
          - name: manager-server
            kind: manager-server
            dns: [localhost]
            ips: [127.0.0.1]
          - name: agent-a
            kind: agent
            node: a
        """

    func testDefaultsApply() throws {
        let profile = try PKIProfile(yaml: minimal)
        XCTAssertEqual(profile.ca.lifetimeDays, 3650)
        XCTAssertEqual(profile.ca.algorithm, .ecdsaP256)
        XCTAssertEqual(profile.defaults.lifetimeDays, 365)
        XCTAssertEqual(profile.defaults.renewWindowFraction, 1.0 / 3.0, accuracy: 1e-9)
        XCTAssertNil(profile.effectiveNameConstraints)

        let now = Date(timeIntervalSince1970: 1_900_000_000)
        let spec = try profile.leafSpec(for: profile.identities[1], now: now)
        XCTAssertEqual(spec.usage, .clientAuth)
        XCTAssertEqual(spec.uris, ["spiffe://td.example/agent/a"])
        XCTAssertEqual(spec.commonName, "agent-a")
        XCTAssertEqual(spec.validity.notAfter, now + 365 * 86_400)
        XCTAssertEqual(try profile.leafSpec(for: profile.identities[0], now: now).ipAddresses, [IPAddress("127.0.0.1")!])
    }

    func testShippedProfileIsValid() throws {
        let profile = try PKIProfile.load(contentsOf: PKITool.defaultProfile)
        XCTAssertEqual(profile.identities.map(\.kind), [.managerServer, .agent, .p4rtClient, .infrap4d, .operator])
        let constraints = try XCTUnwrap(profile.effectiveNameConstraints)
        XCTAssertEqual(constraints.uriDomains, [profile.trustDomain])
        XCTAssertEqual(profile.infraIdentity(for: profile.identities[4]).uri, "spiffe://\(profile.trustDomain)/operator/admin")
    }

    func testUnknownKeysAreNamedWithTheirPath() {
        let cases: [(String, String)] = [
            (minimal.replacingOccurrences(of: "node: a", with: "node: a\n    dnss: [x]"), "identities[1].dnss: unknown key \"dnss\""),
            (minimal + "\nca:\n  nameConstraints:\n    dnsSuffix: [x]\n", "ca.nameConstraints.dnsSuffix: unknown key"),
            (minimal + "\nextra: 1\n", "extra: unknown key"),
            (minimal + "\ndefaults:\n  renewWindow: 0.5\n", "defaults.renewWindow: unknown key"),
        ]
        for (yaml, expected) in cases {
            XCTAssertThrowsError(try PKIProfile(yaml: yaml)) { error in
                XCTAssertEqual((error as? PKIError)?.code, .invalidProfile)
                XCTAssertTrue((error as? PKIError)?.message.hasPrefix(expected) ?? false, "\(error)")
            }
        }
    }

    func testSemanticErrorsNameFieldAndValue() {
        let cases: [(String, String)] = [
            (minimal.replacingOccurrences(of: "127.0.0.1", with: "127.0.0.1.5"), "identities[0].ips: \"127.0.0.1.5\""),
            (minimal.replacingOccurrences(of: "node: a", with: "node: a/b"), "a/b"),
            (minimal.replacingOccurrences(of: "name: agent-a", with: "name: Agent_A"), "identities[1].name: \"Agent_A\""),
            (minimal.replacingOccurrences(of: "name: agent-a", with: "name: ca"), "identities[1].name"),
            (minimal.replacingOccurrences(of: "    node: a", with: "    node: a\n    user: bob"), "identities[1].user"),
            (minimal.replacingOccurrences(of: "kind: manager-server", with: "kind: manager-server\n    usage: [client-auth]"),
             "identities[0].usage"),
            (minimal.replacingOccurrences(of: "kind: manager-server", with: "kind: manager-server\n    usage: [email]"), "\"email\""),
            (minimal.replacingOccurrences(of: "kind: manager-server", with: "kind: manager-server\n    lifetimeDays: 0"),
             "identities[0].lifetimeDays: 0"),
            (minimal + "\ndefaults:\n  renewWindowFraction: 1.5\n", "defaults.renewWindowFraction: 1.5"),
            (minimal.replacingOccurrences(of: "td.example", with: "TD.example"), "trustDomain"),
            (minimal + "\nca:\n  nameConstraints:\n    dnsSuffixes: [example.org]\n", "identities[0]: dnsNames: \"localhost\""),
            (minimal.replacingOccurrences(of: "    kind: agent\n", with: ""), "identities[1].kind: required key is missing"),
            ("identities: []", "trustDomain: required key is missing"),
            ("trustDomain: [a]", "trustDomain: expected a single value"),
            ("trustDomain: a\nidentities: {a: 1}", "identities: expected"),
        ]
        for (yaml, expected) in cases {
            XCTAssertThrowsError(try PKIProfile(yaml: yaml), expected) { error in
                XCTAssertTrue((error as? PKIError)?.message.contains(expected) ?? false, "want \(expected), got \(error)")
            }
        }
    }

    func testURIDomainIsAddedOnlyWhenConstrained() throws {
        let constrained = try PKIProfile(yaml: minimal + "\nca:\n  nameConstraints:\n    dnsSuffixes: [localhost]\n")
        XCTAssertEqual(constrained.effectiveNameConstraints?.uriDomains, ["td.example"])
        let explicit = try PKIProfile(yaml: minimal + "\nca:\n  nameConstraints:\n    uriDomains: [td.example]\n    ipRanges: [127.0.0.0/8]\n")
        XCTAssertEqual(explicit.effectiveNameConstraints?.uriDomains, ["td.example"])
        XCTAssertEqual(explicit.effectiveNameConstraints?.ipRanges, ["127.0.0.0/8"])
    }
}
