import CNISpec
import Foundation
import XCTest

/// CHECK reads the pod's interface inside a real network namespace (created and removed
/// here; needs root and iproute2) and compares it with prevResult.
final class CheckTests: XCTestCase {
    var harness: PluginHarness!
    var server: FakeAgentServer?
    var netnsName: String?

    override func setUp() async throws {
        guard getuid() == 0 else { throw XCTSkip("CHECK tests create a network namespace: run as root") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip") else {
            throw XCTSkip("iproute2 is not installed")
        }
        harness = try PluginHarness()
    }

    override func tearDown() async throws {
        await server?.stop()
        if let netnsName { _ = try? ip(["netns", "del", netnsName]) }
        harness?.cleanUp()
    }

    @discardableResult
    func ip(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ip"] + arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    func testCheckComparesTheInterfaceInTheNetnsWithPrevResult() async throws {
        let server = try await FakeAgentServer(socketPath: harness.socketPath)
        self.server = server
        let name = "infracni-\(UUID().uuidString.prefix(8).lowercased())"
        XCTAssertEqual(try ip(["netns", "add", name]), 0)
        netnsName = name
        let netns = "/var/run/netns/\(name)"

        let config = harness.config()
        let add = try await harness.run(harness.environment("ADD", container: "chk", netns: netns), stdin: config)
        XCTAssertEqual(add.status, 0, add.stdout)
        let result = try XCTUnwrap(add.json)
        let address = try XCTUnwrap(result["ips"]?.arrayValue?.first?["address"]?.stringValue)

        // What the agent would have plumbed: eth0 with the agent's MAC and the IPAM address.
        XCTAssertEqual(try ip(["-n", name, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0"]), 0)
        XCTAssertEqual(try ip(["-n", name, "link", "set", "eth0", "address", FakeAgent.mac]), 0)
        XCTAssertEqual(try ip(["-n", name, "addr", "add", address, "dev", "eth0"]), 0)

        var object = try XCTUnwrap(JSONValue.parse(Data(config.utf8)).objectValue)
        object["prevResult"] = result
        let checkConfig = JSONValue.object(object).serializedString()
        let environment = harness.environment("CHECK", container: "chk", netns: netns)

        let good = try await harness.run(environment, stdin: checkConfig)
        XCTAssertEqual(good.status, 0, good.stdout)

        XCTAssertEqual(try ip(["-n", name, "link", "set", "eth0", "address", "02:00:00:00:00:99"]), 0)
        let tamperedMAC = try await harness.run(environment, stdin: checkConfig)
        XCTAssertEqual(tamperedMAC.errorCode, 102, tamperedMAC.stdout)
        XCTAssertTrue(tamperedMAC.json?["msg"]?.stringValue?.contains("MAC") ?? false, tamperedMAC.stdout)

        XCTAssertEqual(try ip(["-n", name, "link", "set", "eth0", "address", FakeAgent.mac]), 0)
        XCTAssertEqual(try ip(["-n", name, "addr", "del", address, "dev", "eth0"]), 0)
        let tamperedAddress = try await harness.run(environment, stdin: checkConfig)
        XCTAssertEqual(tamperedAddress.errorCode, 102, tamperedAddress.stdout)
        XCTAssertTrue(tamperedAddress.json?["msg"]?.stringValue?.contains(address) ?? false, tamperedAddress.stdout)

        let noPrev = try await harness.run(environment, stdin: config)
        XCTAssertEqual(noPrev.errorCode, 7, noPrev.stdout)

        let del = try await harness.run(harness.environment("DEL", container: "chk", netns: netns), stdin: config)
        XCTAssertEqual(del.status, 0, del.stdout)
        XCTAssertEqual(harness.leases(), [])
    }
}
