import Foundation
import XCTest

/// `infractl apply` (the built binary) against a real manager: what it sends is what the
/// manager's Status then counts, and a malformed file is refused with nothing applied.
final class InfractlApplyTests: XCTestCase {
    var manager: TestManager!

    override func setUp() async throws {
        manager = try await TestManager()
    }

    override func tearDown() async throws {
        await manager?.shutdown()
    }

    func infractl(_ arguments: [String], stdin: String) async throws -> ProcessRun {
        guard let executable = CNIPeers.product("infractl") else {
            throw XCTSkip("infractl is not built; run `swift build --product infractl`")
        }
        return try await runOffPool(executable, ["apply"] + arguments + ["-", "--insecure", "--address", "127.0.0.1:\(manager.port)"],
                                    stdin: stdin, timeout: 30)
    }

    func testServicesAndPoliciesReachTheManager() async throws {
        let services = """
        {"services":[{"key":{"namespace":"demo","name":"web"},"clusterIps":["10.96.0.10"],
          "ports":[{"name":"http","protocol":"PROTOCOL_TCP","port":80,"backends":[{"ipAddress":"10.244.0.3","port":8080}]}]}]}
        """
        let added = try await infractl(["services"], stdin: services)
        XCTAssertEqual(added.status, 0, added.stderr)
        XCTAssertTrue(added.stdout.contains("created 1"), added.stdout)
        let policies = """
        {"upsertPolicies":[{"id":"default/deny","ingress":[{"action":"RULE_ACTION_DENY","peerCidrs":["10.244.0.2/32"]}]}]}
        """
        let applied = try await infractl(["policies"], stdin: policies)
        XCTAssertEqual(applied.status, 0, applied.stderr)
        var status = try await manager.status()
        XCTAssertEqual(status.desired.services, 1)
        XCTAssertEqual(status.desired.policies, 1)

        let deleted = try await infractl(["delete-services"], stdin: #"{"keys":[{"namespace":"demo","name":"web"}]}"#)
        XCTAssertEqual(deleted.status, 0, deleted.stderr)
        XCTAssertTrue(deleted.stdout.contains("deleted 1"), deleted.stdout)
        status = try await manager.status()
        XCTAssertEqual(status.desired.services, 0)
    }

    func testMalformedJSONIsRefusedAndNothingIsApplied() async throws {
        let run = try await infractl(["services"], stdin: #"{"services":[{"clusterIps":"not a list"}]}"#)
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("not a valid services request"), run.stderr)
        let status = try await manager.status()
        XCTAssertEqual(status.desired.services, 0)
    }

    func testTheManagerRefusesAnInvalidServiceByField() async throws {
        let run = try await infractl(["services"], stdin: #"{"services":[{"key":{"namespace":"demo","name":"web"},"clusterIps":["not-an-ip"]}]}"#)
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("invalidArgument"), run.stderr)
        let status = try await manager.status()
        XCTAssertEqual(status.desired.services, 0)
    }
}
