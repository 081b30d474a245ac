import Foundation
import XCTest

/// Black-box tests of `infra-pki apply` against the real default profile, checked with openssl.
final class ApplyToolTests: XCTestCase {
    private let leafNames = ["manager-server", "agent-node-1", "p4rt-client", "infrap4d", "operator-admin"]

    private func applyDefault(_ out: URL, _ extra: String...) throws -> ProcessResult {
        try PKITool.run(["apply", PKITool.defaultProfile.path, "--out", out.path] + extra)
    }

    func testDefaultProfileProducesVerifiableTree() throws {
        let out = try makeTemporaryDirectory(self).appendingPathComponent("pki")
        let result = try applyDefault(out)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(result.stdout.lines, ["ca: created"] + leafNames.map { "\($0): created" })
        XCTAssertEqual(result.stderr, "")

        let ca = out.appendingPathComponent("ca/ca.crt").path
        let purposes = [
            "manager-server": "sslserver", "infrap4d": "sslserver",
            "agent-node-1": "sslclient", "p4rt-client": "sslclient", "operator-admin": "sslclient",
        ]
        for (name, purpose) in purposes {
            let certName = name == "infrap4d" ? "stratum.crt" : "tls.crt"
            let keyName = name == "infrap4d" ? "stratum.key" : "tls.key"
            let cert = out.appendingPathComponent("\(name)/\(certName)").path
            let verify = try openssl("verify", "-purpose", purpose, "-CAfile", ca, cert)
            XCTAssertEqual(verify.status, 0, "\(name): \(verify.output)")
            let copy = try openssl("verify", "-CAfile", out.appendingPathComponent("\(name)/ca.crt").path, cert)
            XCTAssertEqual(copy.status, 0, copy.output)
            let key = out.appendingPathComponent("\(name)/\(keyName)")
            XCTAssertEqual(try openssl("pkey", "-in", key.path, "-noout").status, 0)
            XCTAssertTrue(try String(contentsOf: key, encoding: .utf8).hasPrefix("-----BEGIN PRIVATE KEY-----"))
            XCTAssertEqual(try fileMode(key), 0o600, name)
            XCTAssertEqual(try fileMode(URL(fileURLWithPath: cert)), 0o644, name)
            // The key really belongs to the certificate.
            let certKey = try openssl("x509", "-in", cert, "-noout", "-pubkey").stdout
            let keyPub = try openssl("pkey", "-in", key.path, "-pubout").stdout
            XCTAssertEqual(certKey, keyPub, name)
        }
        XCTAssertEqual(try fileMode(out.appendingPathComponent("ca/ca.key")), 0o600)
        XCTAssertEqual(try fileMode(out.appendingPathComponent("ca")), 0o700)
        XCTAssertNotEqual(try openssl("verify", "-purpose", "sslclient", "-CAfile", ca,
                                      out.appendingPathComponent("manager-server/tls.crt").path).status, 0)

        let caText = try openssl("x509", "-in", ca, "-noout", "-text").stdout
        XCTAssertTrue(caText.contains("X509v3 Basic Constraints: critical\n                CA:TRUE, pathlen:0"), caText)
        XCTAssertTrue(caText.contains("X509v3 Key Usage: critical"))
        XCTAssertTrue(caText.contains("X509v3 Name Constraints: critical"))
        XCTAssertTrue(caText.contains("URI:infra.cluster.local"))
        let server = try openssl("x509", "-in", out.appendingPathComponent("manager-server/tls.crt").path, "-noout", "-text").stdout
        XCTAssertTrue(server.contains("X509v3 Key Usage: critical\n                Digital Signature"), server)
        XCTAssertTrue(server.contains("TLS Web Server Authentication"))
        XCTAssertTrue(server.contains(
            "DNS:localhost, DNS:infra-manager.kube-system.svc, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.10.0.2, URI:spiffe://infra.cluster.local/manager"
        ), server)
        let agent = try openssl("x509", "-in", out.appendingPathComponent("agent-node-1/tls.crt").path, "-noout", "-text").stdout
        XCTAssertTrue(agent.contains("URI:spiffe://infra.cluster.local/agent/node-1"))
        XCTAssertTrue(agent.contains("TLS Web Client Authentication"))
        let serial = try openssl("x509", "-in", ca, "-noout", "-serial").stdout
        XCTAssertEqual(serial.trimmingCharacters(in: .whitespacesAndNewlines).count, "serial=".count + 40, serial)
    }

    func testSecondApplyChangesNothing() throws {
        let out = try makeTemporaryDirectory(self).appendingPathComponent("pki")
        XCTAssertEqual(try applyDefault(out).status, 0)
        let before = try DirectorySnapshot(out)
        let second = try applyDefault(out)
        XCTAssertEqual(second.status, 0, second.output)
        XCTAssertEqual(second.stdout.lines, ["ca: unchanged"] + leafNames.map { "\($0): unchanged" })
        XCTAssertEqual(try DirectorySnapshot(out), before)
    }

    func testRenewWindowFollowsNow() throws {
        let out = try makeTemporaryDirectory(self).appendingPathComponent("pki")
        XCTAssertEqual(try applyDefault(out, "--now", "2030-01-01T00:00:00Z").status, 0)
        // 200 of 365 days: before the last third.
        let early = try applyDefault(out, "--now", "2030-07-20T00:00:00Z")
        XCTAssertEqual(early.stdout.lines, ["ca: unchanged"] + leafNames.map { "\($0): unchanged" }, early.output)
        // 250 of 365 days: inside the renew window.
        let before = try DirectorySnapshot(out)
        let renew = try applyDefault(out, "--now", "2030-09-08T00:00:00Z")
        XCTAssertEqual(renew.status, 0, renew.output)
        XCTAssertEqual(renew.stdout.lines, ["ca: unchanged"] + leafNames.map { "\($0): renewed (in renew window)" })
        let after = try DirectorySnapshot(out)
        XCTAssertEqual(after.entries["/ca/ca.crt"], before.entries["/ca/ca.crt"])
        XCTAssertEqual(after.entries["/ca/ca.key"], before.entries["/ca/ca.key"])
        XCTAssertNotEqual(after.entries["/manager-server/tls.crt"], before.entries["/manager-server/tls.crt"])
        XCTAssertNotEqual(after.entries["/manager-server/tls.key"], before.entries["/manager-server/tls.key"])
        // After expiry the reason says so.
        let expired = try applyDefault(out, "--now", "2031-12-01T00:00:00Z")
        XCTAssertEqual(expired.stdout.lines.last, "operator-admin: renewed (expired)", expired.output)
    }

    func testDryRunWritesNothing() throws {
        let root = try makeTemporaryDirectory(self)
        let out = root.appendingPathComponent("pki")
        let fresh = try applyDefault(out, "--dry-run")
        XCTAssertEqual(fresh.status, 0, fresh.output)
        XCTAssertEqual(fresh.stdout.lines, ["ca: created"] + leafNames.map { "\($0): created" })
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))

        XCTAssertEqual(try applyDefault(out).status, 0)
        let before = try DirectorySnapshot(out)
        let forced = try applyDefault(out, "--dry-run", "--force")
        XCTAssertEqual(forced.stdout.lines, ["ca: unchanged"] + leafNames.map { "\($0): reissued (forced)" })
        XCTAssertEqual(try DirectorySnapshot(out), before)
    }

    func testForceReissuesLeavesButKeepsCA() throws {
        let out = try makeTemporaryDirectory(self).appendingPathComponent("pki")
        XCTAssertEqual(try applyDefault(out).status, 0)
        let before = try DirectorySnapshot(out)
        let forced = try applyDefault(out, "--force")
        XCTAssertEqual(forced.stdout.lines, ["ca: unchanged"] + leafNames.map { "\($0): reissued (forced)" })
        let after = try DirectorySnapshot(out)
        XCTAssertEqual(after.entries["/ca/ca.key"], before.entries["/ca/ca.key"])
        XCTAssertEqual(after.entries["/ca/ca.crt"], before.entries["/ca/ca.crt"])
        XCTAssertNotEqual(after.entries["/infrap4d/stratum.crt"], before.entries["/infrap4d/stratum.crt"])
        XCTAssertEqual(try openssl("verify", "-CAfile", out.appendingPathComponent("ca/ca.crt").path,
                                   out.appendingPathComponent("infrap4d/stratum.crt").path).status, 0)
    }

    func testProfileChangesTriggerReissueOfThatIdentityOnly() throws {
        let root = try makeTemporaryDirectory(self)
        let out = root.appendingPathComponent("pki")
        let profile = root.appendingPathComponent("profile.yaml")
        let original = try String(contentsOf: PKITool.defaultProfile, encoding: .utf8)
        try write(original, to: profile)
        XCTAssertEqual(try PKITool.run(["apply", profile.path, "--out", out.path]).status, 0)

        try write(original.replacingOccurrences(of: "dns: [localhost, infra-manager.kube-system.svc]",
                                                with: "dns: [localhost, infra-manager.kube-system.svc, manager.cluster.local]"), to: profile)
        let sans = try PKITool.run(["apply", profile.path, "--out", out.path])
        XCTAssertEqual(sans.status, 0, sans.output)
        XCTAssertEqual(sans.stdout.lines, ["ca: unchanged", "manager-server: reissued (SANs changed: DNS)"]
            + leafNames.dropFirst().map { "\($0): unchanged" })

        let rsa = original.replacingOccurrences(of: "    kind: p4rt-client\n", with: "    kind: p4rt-client\n    algorithm: rsa-3072\n")
            .replacingOccurrences(of: "    kind: operator\n", with: "    kind: operator\n    usage: [client-auth, server-auth]\n")
        try write(rsa, to: profile)
        let changed = try PKITool.run(["apply", profile.path, "--out", out.path])
        XCTAssertEqual(changed.status, 0, changed.output)
        XCTAssertTrue(changed.stdout.lines.contains("p4rt-client: reissued (key algorithm changed: ecdsa-p256 -> rsa-3072)"), changed.stdout)
        XCTAssertTrue(changed.stdout.lines.contains("operator-admin: reissued (usage changed: client-auth -> server-auth,client-auth)"), changed.stdout)
        let p4rt = out.appendingPathComponent("p4rt-client")
        XCTAssertTrue(try openssl("pkey", "-in", p4rt.appendingPathComponent("tls.key").path, "-noout", "-text").stdout.contains("3072 bit"))
        XCTAssertTrue(try openssl("x509", "-in", p4rt.appendingPathComponent("tls.crt").path, "-noout", "-text").stdout
            .contains("Digital Signature, Key Encipherment"))
        XCTAssertEqual(try openssl("verify", "-purpose", "sslclient", "-CAfile", out.appendingPathComponent("ca/ca.crt").path,
                                   p4rt.appendingPathComponent("tls.crt").path).status, 0)
    }

    func testMissingCAFileCopyIsRestoredWithoutReissue() throws {
        let out = try makeTemporaryDirectory(self).appendingPathComponent("pki")
        XCTAssertEqual(try applyDefault(out).status, 0)
        let agentCert = try Data(contentsOf: out.appendingPathComponent("agent-node-1/tls.crt"))
        try FileManager.default.removeItem(at: out.appendingPathComponent("agent-node-1/ca.crt"))
        let result = try applyDefault(out)
        XCTAssertTrue(result.stdout.lines.contains("agent-node-1: updated (ca.crt)"), result.output)
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("agent-node-1/tls.crt")), agentCert)
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("agent-node-1/ca.crt")),
                       try Data(contentsOf: out.appendingPathComponent("ca/ca.crt")))
    }

    func testMismatchedKeyIsReissued() throws {
        let out = try makeTemporaryDirectory(self).appendingPathComponent("pki")
        XCTAssertEqual(try applyDefault(out).status, 0)
        try FileManager.default.removeItem(at: out.appendingPathComponent("p4rt-client/tls.key"))
        try FileManager.default.copyItem(at: out.appendingPathComponent("agent-node-1/tls.key"),
                                         to: out.appendingPathComponent("p4rt-client/tls.key"))
        let result = try applyDefault(out)
        XCTAssertTrue(result.stdout.lines.contains("p4rt-client: reissued (key does not match certificate)"), result.output)
    }
}
