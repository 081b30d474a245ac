import Foundation
import InfraPKI
import X509
import XCTest

/// In-process tests of the apply planner and status inspector (the CLI tests cover the same
/// paths end to end; these pin down the decisions themselves).
final class PlannerTests: XCTestCase {
    private let start = Date(timeIntervalSince1970: 1_900_000_000)
    private let profile = PKIProfile(trustDomain: "td.example", identities: [
        .init(name: "manager-server", kind: .managerServer, dns: ["localhost"], ips: ["127.0.0.1"]),
        .init(name: "operator-bob", kind: .operator, user: "bob", lifetimeDays: 30),
    ])

    private func plan(_ layout: PKILayout, at date: Date, profile: PKIProfile? = nil, force: Bool = false) throws -> ApplyPlan {
        try ApplyPlanner(profile: profile ?? self.profile, layout: layout, now: date, force: force).plan()
    }

    func testLifecycle() throws {
        let layout = PKILayout(root: try makeTemporaryDirectory(self).appendingPathComponent("out"))
        let first = try plan(layout, at: start)
        XCTAssertEqual(first.lines, ["ca: created", "manager-server: created", "operator-bob: created"])
        XCTAssertEqual(first.files.paths.filter { $0.lastPathComponent.hasSuffix(".key") }.count, 3)
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.root.path), "planning writes nothing")
        try first.execute()

        XCTAssertEqual(try plan(layout, at: start + 86_400).lines, ["ca: unchanged", "manager-server: unchanged", "operator-bob: unchanged"])
        XCTAssertFalse(try plan(layout, at: start + 86_400).writesFiles)
        // operator-bob lives 30 days: renew from day 20, while the 365-day server is untouched.
        let day21 = try plan(layout, at: start + 21 * 86_400)
        XCTAssertEqual(day21.lines, ["ca: unchanged", "manager-server: unchanged", "operator-bob: renewed (in renew window)"])
        XCTAssertEqual(Set(day21.files.paths.map(\.lastPathComponent)), ["tls.key", "tls.crt", "ca.crt"])

        let inspector = StatusInspector(layout: layout, now: start + 21 * 86_400, profile: profile)
        let reports = Dictionary(uniqueKeysWithValues: inspector.inspect().map { ($0.name, $0) })
        XCTAssertEqual(reports["operator-bob"]?.problems, [.inRenewWindow])
        XCTAssertEqual(reports["manager-server"]?.problems, [])
        XCTAssertEqual(reports["operator-bob"]?.kind, "operator")

        var changed = profile
        changed.identities[0].ips.append("::1")
        XCTAssertEqual(try plan(layout, at: start + 86_400, profile: changed).lines[1], "manager-server: reissued (SANs changed: IP)")
        XCTAssertThrowsError(try plan(layout, at: start - 86_400)) { error in
            XCTAssertTrue((error as? PKIError)?.message.contains("not valid until") ?? false, "\(error)")
        }
    }

    func testExpiredCAStopsApply() throws {
        let layout = PKILayout(root: try makeTemporaryDirectory(self).appendingPathComponent("out"))
        try plan(layout, at: start).execute()
        XCTAssertThrowsError(try plan(layout, at: start + 3651 * 86_400)) { error in
            XCTAssertEqual((error as? PKIError)?.code, .invalidCertificate)
            XCTAssertTrue((error as? PKIError)?.message.contains("CA expired") ?? false)
        }
    }

    func testLeafNeverOutlivesCA() throws {
        var shortCA = profile
        shortCA.ca.lifetimeDays = 10
        let layout = PKILayout(root: try makeTemporaryDirectory(self).appendingPathComponent("out"))
        try plan(layout, at: start, profile: shortCA).execute()
        let ca = try Certificate(pemEncoded: try String(contentsOf: layout.caCertificate, encoding: .utf8))
        let leafURL = layout.files(for: "manager-server", kind: .managerServer).certificate
        let leaf = try Certificate(pemEncoded: try String(contentsOf: leafURL, encoding: .utf8))
        XCTAssertEqual(leaf.notValidAfter, ca.notValidAfter)
    }
}
