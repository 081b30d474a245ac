import Foundation
import XCTest

/// Bad input must produce one clear line on stderr, a non-zero exit and no file changes.
final class BadInputToolTests: XCTestCase {
    private var root: URL!
    private var out: URL!
    private var original = ""

    override func setUpWithError() throws {
        root = try makeTemporaryDirectory(self)
        out = root.appendingPathComponent("pki")
        original = try String(contentsOf: PKITool.defaultProfile, encoding: .utf8)
    }

    /// Applies `profileText` and checks it fails with a message containing `fragments`
    /// while the directory stays byte-for-byte the same.
    private func assertRejected(
        _ profileText: String, _ fragments: [String], extra: [String] = [], file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let profile = root.appendingPathComponent("bad.yaml")
        try write(profileText, to: profile)
        let before = try DirectorySnapshot(root)
        let result = try PKITool.run(["apply", profile.path, "--out", out.path] + extra)
        XCTAssertNotEqual(result.status, 0, file: file, line: line)
        XCTAssertEqual(result.stdout, "", file: file, line: line)
        XCTAssertEqual(result.stderr.lines.count, 1, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("infra-pki: error: "), result.stderr, file: file, line: line)
        XCTAssertFalse(result.stderr.contains(".swift:"), "no source locations for operators", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(result.stderr.contains(fragment), "expected \"\(fragment)\" in: \(result.stderr)", file: file, line: line)
        }
        XCTAssertEqual(try DirectorySnapshot(root), before, "nothing may be written", file: file, line: line)
    }

    func testMalformedProfilesWriteNothing() throws {
        try assertRejected(original.replacingOccurrences(of: "10.10.0.2]", with: "10.10.0.300]"),
                           ["identities[0].ips", "10.10.0.300"])
        try assertRejected(original.replacingOccurrences(of: "dns: [localhost]", with: "dns: [local_host]"),
                           ["identities[3].dns", "local_host"])
        try assertRejected(original.replacingOccurrences(of: "    node: node-1", with: "    nodee: node-1"),
                           ["identities[1].nodee", "unknown key \"nodee\""])
        try assertRejected(original.replacingOccurrences(of: "  lifetimeDays: 365\n", with: "  lifetimeDay: 365\n"),
                           ["defaults.lifetimeDay", "unknown key"])
        try assertRejected(original.replacingOccurrences(of: "kind: p4rt-client", with: "kind: p4rt"),
                           ["identities[2].kind", "\"p4rt\""])
        try assertRejected(original.replacingOccurrences(of: "name: operator-admin", with: "name: p4rt-client"),
                           ["identities[4].name", "p4rt-client"])
        try assertRejected(original.replacingOccurrences(of: "    node: node-1\n", with: ""),
                           ["identities[1].node"])
        try assertRejected(original.replacingOccurrences(of: "algorithm: ecdsa-p256          #", with: "algorithm: ed25519 #"),
                           ["ca.algorithm", "ed25519"])
        // Outside the CA's name constraints: refused before issuing, not left to verifiers.
        try assertRejected(original.replacingOccurrences(of: "infra-manager.kube-system.svc", with: "evil.example.com"),
                           ["identities[0]", "evil.example.com"])
        try assertRejected("trustDomain: [x]\n", ["trustDomain"])
    }

    func testBadInputAgainstExistingTreeWritesNothing() throws {
        XCTAssertEqual(try PKITool.run(["apply", PKITool.defaultProfile.path, "--out", out.path]).status, 0)
        try assertRejected(original.replacingOccurrences(of: "dns: [localhost]", with: "dns: [\"bad name\"]"), ["bad name"])
    }

    func testForeignCertificateIsNotReplacedWithoutForce() throws {
        // A tls.crt from another CA sits where manager-server's would go.
        let other = root.appendingPathComponent("other")
        XCTAssertEqual(try PKITool.run(["apply", PKITool.defaultProfile.path, "--out", other.path]).status, 0)
        XCTAssertEqual(try PKITool.run(["init", "--out", out.path]).status, 0)
        try FileManager.default.createDirectory(at: out.appendingPathComponent("manager-server"), withIntermediateDirectories: true)
        for file in ["tls.crt", "tls.key"] {
            try FileManager.default.copyItem(at: other.appendingPathComponent("manager-server/\(file)"),
                                             to: out.appendingPathComponent("manager-server/\(file)"))
        }
        try assertRejected(original, ["manager-server/tls.crt", "not issued by this CA", "--force"])
        let forced = try PKITool.run(["apply", PKITool.defaultProfile.path, "--out", out.path, "--force"])
        XCTAssertEqual(forced.status, 0, forced.output)
        XCTAssertTrue(forced.stdout.contains("manager-server: reissued (forced, replacing a certificate not issued by this CA)"))
    }

    func testMismatchedOrPartialCAIsRefused() throws {
        let other = root.appendingPathComponent("other")
        XCTAssertEqual(try PKITool.run(["init", "--out", other.path]).status, 0)
        XCTAssertEqual(try PKITool.run(["init", "--out", out.path]).status, 0)
        try FileManager.default.removeItem(at: out.appendingPathComponent("ca/ca.key"))
        try assertRejected(original, ["ca.key", "refusing to replace the CA"])
        try FileManager.default.copyItem(at: other.appendingPathComponent("ca/ca.key"), to: out.appendingPathComponent("ca/ca.key"))
        try assertRejected(original, ["CA key does not match"])
        try write("garbage", to: out.appendingPathComponent("ca/ca.key"))
        try assertRejected(original, ["private key"])
    }

    func testInitRefusesToOverwriteAndValidatesConstraints() throws {
        let first = try PKITool.run(["init", "--out", out.path, "--algorithm", "ecdsa-p384", "--common-name", "Lab CA",
                                     "--dns-constraint", "lab.example", "--ip-constraint", "10.0.0.0/8", "--trust-domain", "lab.example"])
        XCTAssertEqual(first.status, 0, first.output)
        XCTAssertTrue(first.stdout.contains("SHA-256 fingerprint"))
        XCTAssertTrue(first.stderr.contains("warning: --ip-constraint"), "IP constraints must be warned about: \(first.stderr)")
        let text = try openssl("x509", "-in", out.appendingPathComponent("ca/ca.crt").path, "-noout", "-text").stdout
        XCTAssertTrue(text.contains("ecdsa-with-SHA384"))
        XCTAssertTrue(text.contains("DNS:lab.example"))
        XCTAssertTrue(text.contains("IP:10.0.0.0/255.0.0.0"))
        XCTAssertTrue(text.contains("URI:lab.example"))
        XCTAssertTrue(text.contains("Subject: O = InfraOffload, CN = Lab CA"), text)

        let before = try DirectorySnapshot(root)
        let again = try PKITool.run(["init", "--out", out.path])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("already exists"), again.stderr)
        let badRange = try PKITool.run(["init", "--out", root.appendingPathComponent("x").path, "--ip-constraint", "10.0.0.0/40",
                                        "--trust-domain", "td"])
        XCTAssertNotEqual(badRange.status, 0)
        XCTAssertTrue(badRange.stderr.contains("10.0.0.0/40"), badRange.stderr)
        let noDomain = try PKITool.run(["init", "--out", root.appendingPathComponent("y").path, "--dns-constraint", "svc"])
        XCTAssertNotEqual(noDomain.status, 0)
        XCTAssertTrue(noDomain.stderr.contains("--trust-domain"), noDomain.stderr)
        XCTAssertEqual(try DirectorySnapshot(root), before)
    }

    func testExistingCAConstraintsAreEnforced() throws {
        let created = try PKITool.run(["init", "--out", out.path, "--dns-constraint", "localhost", "--trust-domain", "infra.cluster.local"])
        XCTAssertEqual(created.status, 0, created.output)
        try assertRejected(original, ["identity \"manager-server\"", "infra-manager.kube-system.svc"])
    }

    func testBadNowAndUnknownCommandInputs() throws {
        try assertRejected(original, ["--now", "yesterday"], extra: ["--now", "yesterday"])
        let missing = try PKITool.run(["apply", root.appendingPathComponent("absent.yaml").path, "--out", out.path])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("absent.yaml"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }
}
