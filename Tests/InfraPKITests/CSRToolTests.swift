import Foundation
import XCTest

final class CSRToolTests: XCTestCase {
    func testCSRThenSignRoundTrip() throws {
        let root = try makeTemporaryDirectory(self)
        let out = root.appendingPathComponent("pki"), requests = root.appendingPathComponent("requests")
        XCTAssertEqual(try PKITool.run(["init", "--out", out.path]).status, 0)
        let csr = try PKITool.run(["csr", "--identity", "manager-server", "--profile", PKITool.defaultProfile.path, "--out", requests.path])
        XCTAssertEqual(csr.status, 0, csr.output)
        let key = requests.appendingPathComponent("manager-server/tls.key")
        let request = requests.appendingPathComponent("manager-server/tls.csr")
        XCTAssertEqual(try fileMode(key), 0o600)
        XCTAssertFalse(csr.output.contains("PRIVATE KEY"))
        let verified = try openssl("req", "-in", request.path, "-noout", "-verify", "-text")
        XCTAssertEqual(verified.status, 0, verified.output)
        XCTAssertTrue(verified.output.contains("URI:spiffe://infra.cluster.local/manager"), verified.output)

        let certificate = root.appendingPathComponent("manager.crt")
        let signed = try PKITool.run(["sign", "--ca-dir", out.appendingPathComponent("ca").path, "--csr", request.path,
                                      "--kind", "manager-server", "--out", certificate.path, "--trust-domain", "infra.cluster.local"])
        XCTAssertEqual(signed.status, 0, signed.output)
        let ca = out.appendingPathComponent("ca/ca.crt").path
        XCTAssertEqual(try openssl("verify", "-purpose", "sslserver", "-CAfile", ca, certificate.path).status, 0)
        let text = try openssl("x509", "-in", certificate.path, "-noout", "-text").stdout
        XCTAssertTrue(text.contains("DNS:localhost, DNS:infra-manager.kube-system.svc, IP Address:127.0.0.1"), text)
        XCTAssertEqual(try openssl("x509", "-in", certificate.path, "-noout", "-pubkey").stdout,
                       try openssl("pkey", "-in", key.path, "-pubout").stdout)

        let again = try PKITool.run(["csr", "--identity", "manager-server", "--profile", PKITool.defaultProfile.path, "--out", requests.path])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("already exists"))
        let unknown = try PKITool.run(["csr", "--identity", "nobody", "--profile", PKITool.defaultProfile.path, "--out", requests.path])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("unknown identity \"nobody\""), unknown.stderr)
    }

    /// CSRs made by openssl: the CA picks the usage, and bad SANs, foreign identities and
    /// broken signatures are refused.
    func testSignValidatesExternalCSRs() throws {
        let root = try makeTemporaryDirectory(self)
        let out = root.appendingPathComponent("pki")
        XCTAssertEqual(try PKITool.run(["init", "--out", out.path]).status, 0)
        let key = root.appendingPathComponent("ext.key")
        XCTAssertEqual(try openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", key.path).status, 0)

        func makeCSR(_ name: String, san: String?) throws -> URL {
            let url = root.appendingPathComponent("\(name).csr")
            var arguments = ["req", "-new", "-key", key.path, "-subj", "/CN=\(name)", "-out", url.path]
            if let san { arguments += ["-addext", "subjectAltName=\(san)"] }
            let result = try runProcess("openssl", arguments)
            XCTAssertEqual(result.status, 0, result.output)
            return url
        }
        func sign(_ csr: URL, kind: String) throws -> ProcessResult {
            try PKITool.run(["sign", "--ca-dir", out.path, "--csr", csr.path, "--kind", kind,
                             "--out", root.appendingPathComponent("signed.crt").path, "--lifetime-days", "30"])
        }

        let good = try makeCSR("agent-node-7", san: "URI:spiffe://infra.cluster.local/agent/node-7,IP:10.10.0.7")
        let ok = try sign(good, kind: "agent")
        XCTAssertEqual(ok.status, 0, ok.output)
        let signed = root.appendingPathComponent("signed.crt").path
        XCTAssertEqual(try openssl("verify", "-purpose", "sslclient", "-CAfile", out.appendingPathComponent("ca/ca.crt").path, signed).status, 0)
        XCTAssertNotEqual(try openssl("verify", "-purpose", "sslserver", "-CAfile", out.appendingPathComponent("ca/ca.crt").path, signed).status, 0)
        let dates = try openssl("x509", "-in", signed, "-noout", "-enddate").stdout
        XCTAssertFalse(dates.isEmpty)

        let wrongRole = try sign(good, kind: "manager-server")
        XCTAssertNotEqual(wrongRole.status, 0)
        XCTAssertTrue(wrongRole.stderr.contains("spiffe://infra.cluster.local/agent/node-7"), wrongRole.stderr)
        let badDNS = try sign(try makeCSR("x", san: "DNS:bad_host.example"), kind: "manager-server")
        XCTAssertNotEqual(badDNS.status, 0)
        XCTAssertTrue(badDNS.stderr.contains("bad_host.example"), badDNS.stderr)
        let email = try sign(try makeCSR("x", san: "email:a@b.example"), kind: "operator")
        XCTAssertNotEqual(email.status, 0)

        // Flip one byte inside the signed request body: the signature no longer verifies.
        let derFile = root.appendingPathComponent("good.der")
        XCTAssertEqual(try openssl("req", "-in", good.path, "-outform", "DER", "-out", derFile.path).status, 0)
        var bytes = try Data(contentsOf: derFile)
        let subject = try XCTUnwrap(bytes.range(of: Data("agent-node-7".utf8)))  // the subject CN
        bytes[subject.upperBound - 1] = UInt8(ascii: "8")
        try bytes.write(to: derFile)
        let tampered = root.appendingPathComponent("tampered.csr")
        XCTAssertEqual(try openssl("req", "-inform", "DER", "-in", derFile.path, "-out", tampered.path).status, 0)
        let rejected = try sign(tampered, kind: "agent")
        XCTAssertNotEqual(rejected.status, 0)
        XCTAssertTrue(rejected.stderr.contains("signature does not verify"), rejected.stderr)
    }
}
