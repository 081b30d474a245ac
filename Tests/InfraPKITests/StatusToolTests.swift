import Foundation
import XCTest

final class StatusToolTests: XCTestCase {
    private struct Report: Decodable {
        var name: String
        var kind: String?
        var sans: [String]
        var usage: [String]
        var problems: [String]
        var residualSeconds: Double?
    }

    private func status(_ out: URL, _ extra: String...) throws -> (ProcessResult, [String: Report]) {
        let result = try PKITool.run(["status", "--out", out.path, "--json"] + extra)
        let reports = try JSONDecoder().decode([Report].self, from: Data(result.stdout.utf8))
        return (result, Dictionary(uniqueKeysWithValues: reports.map { ($0.name, $0) }))
    }

    func testHealthyTreeReportsNoProblems() throws {
        let out = try makeTemporaryDirectory(self).appendingPathComponent("pki")
        XCTAssertEqual(try PKITool.run(["apply", PKITool.defaultProfile.path, "--out", out.path]).status, 0)
        let (result, reports) = try status(out)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(Set(reports.keys), ["ca", "manager-server", "agent-node-1", "p4rt-client", "infrap4d", "operator-admin"])
        XCTAssertTrue(reports.values.allSatisfy { $0.problems.isEmpty })
        XCTAssertEqual(reports["agent-node-1"]?.kind, "agent")
        XCTAssertEqual(reports["agent-node-1"]?.sans, ["URI:spiffe://infra.cluster.local/agent/node-1"])
        XCTAssertEqual(reports["infrap4d"]?.usage, ["server-auth"])
        XCTAssertEqual(reports["manager-server"]?.residualSeconds ?? 0, 365 * 86_400, accuracy: 120)

        let table = try PKITool.run(["status", "--out", out.path])
        XCTAssertEqual(table.status, 0)
        XCTAssertTrue(table.stdout.lines.first?.hasPrefix("NAME") ?? false)
        XCTAssertEqual(table.stdout.lines.count, 7)
    }

    func testProblemsAreReportedAndFailTheCommand() throws {
        let root = try makeTemporaryDirectory(self)
        let out = root.appendingPathComponent("pki"), other = root.appendingPathComponent("other")
        for dir in [out, other] {
            XCTAssertEqual(try PKITool.run(["apply", PKITool.defaultProfile.path, "--out", dir.path]).status, 0)
        }
        try FileManager.default.removeItem(at: out.appendingPathComponent("operator-admin/tls.key"))
        try FileManager.default.removeItem(at: out.appendingPathComponent("p4rt-client/tls.key"))
        try FileManager.default.copyItem(at: out.appendingPathComponent("agent-node-1/tls.key"), to: out.appendingPathComponent("p4rt-client/tls.key"))
        // A foreign certificate and a server certificate where a client one belongs.
        try FileManager.default.removeItem(at: out.appendingPathComponent("manager-server/tls.crt"))
        try FileManager.default.copyItem(at: other.appendingPathComponent("manager-server/tls.crt"), to: out.appendingPathComponent("manager-server/tls.crt"))
        try FileManager.default.removeItem(at: out.appendingPathComponent("agent-node-1/tls.crt"))
        try FileManager.default.copyItem(at: out.appendingPathComponent("infrap4d/stratum.crt"), to: out.appendingPathComponent("agent-node-1/tls.crt"))

        let (result, reports) = try status(out, "--profile", PKITool.defaultProfile.path)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(reports["operator-admin"]?.problems, ["missing-file"])
        XCTAssertEqual(reports["p4rt-client"]?.problems, ["key-mismatch"])
        XCTAssertTrue(reports["manager-server"]?.problems.contains("not-signed-by-CA") ?? false)
        XCTAssertTrue(reports["agent-node-1"]?.problems.contains("wrong-EKU-for-kind") ?? false, "\(String(describing: reports["agent-node-1"]))")
        XCTAssertEqual(reports["ca"]?.problems, [])

        let table = try PKITool.run(["status", "--out", out.path])
        XCTAssertNotEqual(table.status, 0)
        XCTAssertTrue(table.stdout.contains("missing-file (missing: operator-admin/tls.key)"), table.stdout)
    }

    func testTimeBasedProblems() throws {
        let out = try makeTemporaryDirectory(self).appendingPathComponent("pki")
        XCTAssertEqual(try PKITool.run(["apply", PKITool.defaultProfile.path, "--out", out.path, "--now", "2030-01-01T00:00:00Z"]).status, 0)
        let (window, windowReports) = try status(out, "--now", "2030-10-01T00:00:00Z")
        XCTAssertNotEqual(window.status, 0)
        XCTAssertEqual(windowReports["manager-server"]?.problems, ["in-renew-window"])
        XCTAssertEqual(windowReports["ca"]?.problems, [])
        let (_, expired) = try status(out, "--now", "2031-06-01T00:00:00Z")
        XCTAssertEqual(expired["agent-node-1"]?.problems, ["expired"])
        XCTAssertLessThan(expired["agent-node-1"]?.residualSeconds ?? 0, 0)
        let (_, early) = try status(out, "--now", "2029-06-01T00:00:00Z")
        XCTAssertEqual(early["ca"]?.problems, ["not-yet-valid"])
        let (fine, _) = try status(out, "--now", "2030-03-01T00:00:00Z")
        XCTAssertEqual(fine.status, 0, fine.output)
    }

    func testMissingDirectoryReportsMissingCA() throws {
        let out = try makeTemporaryDirectory(self).appendingPathComponent("nothing")
        let (result, reports) = try status(out)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(reports["ca"]?.problems, ["missing-file"])
    }
}
