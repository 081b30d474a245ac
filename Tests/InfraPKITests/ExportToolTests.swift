import Foundation
import XCTest

final class ExportToolTests: XCTestCase {
    func testSecretsCarryTheIdentityFiles() throws {
        let root = try makeTemporaryDirectory(self)
        let out = root.appendingPathComponent("pki")
        XCTAssertEqual(try PKITool.run(["apply", PKITool.defaultProfile.path, "--out", out.path]).status, 0)
        let result = try PKITool.run(["export", "--out", out.path, "--namespace", "kube-system",
                                      "--identity", "agent-node-1", "--identity", "infrap4d"])
        XCTAssertEqual(result.status, 0, result.output)
        let documents = result.stdout.components(separatedBy: "---\n")
        XCTAssertEqual(documents.count, 2)
        let agent = documents[0]
        XCTAssertTrue(agent.contains("apiVersion: v1\nkind: Secret\n"))
        XCTAssertTrue(agent.contains("  name: infra-pki-agent-node-1\n  namespace: kube-system\n"))
        XCTAssertTrue(agent.contains("type: kubernetes.io/tls\n"))
        for (key, file) in [("tls.crt", "agent-node-1/tls.crt"), ("tls.key", "agent-node-1/tls.key"), ("ca.crt", "ca/ca.crt")] {
            let line = try XCTUnwrap(agent.lines.first { $0.hasPrefix("  \(key): ") })
            let decoded = Data(base64Encoded: String(line.dropFirst("  \(key): ".count)))
            XCTAssertEqual(decoded, try Data(contentsOf: out.appendingPathComponent(file)), key)
        }
        let stratumLine = try XCTUnwrap(documents[1].lines.first { $0.hasPrefix("  tls.crt: ") })
        XCTAssertEqual(Data(base64Encoded: String(stratumLine.dropFirst("  tls.crt: ".count))),
                       try Data(contentsOf: out.appendingPathComponent("infrap4d/stratum.crt")))

        let file = root.appendingPathComponent("secrets.yaml")
        XCTAssertEqual(try PKITool.run(["export", "--out", out.path, "--file", file.path]).status, 0)
        XCTAssertEqual(try fileMode(file), 0o600)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8).components(separatedBy: "kind: Secret").count, 6)

        let unknown = try PKITool.run(["export", "--out", out.path, "--identity", "ghost"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("unknown identity \"ghost\""))
        let badNamespace = try PKITool.run(["export", "--out", out.path, "--namespace", "Kube_System"])
        XCTAssertNotEqual(badNamespace.status, 0)
        XCTAssertTrue(badNamespace.stderr.contains("Kube_System"))
    }
}
