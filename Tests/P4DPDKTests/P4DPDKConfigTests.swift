import Foundation
import P4DPDKTarget
import P4Info
import XCTest

/// What infra-p4-dpdk refuses before a packet flows: device configs and daemon configs, each
/// error naming the field and value.
final class P4DPDKConfigTests: XCTestCase {
    var testbed: DPDKTestbed?

    override func tearDown() {
        testbed?.tearDown()
        testbed = nil
    }

    func testLearnerTimeoutsAreCheckedAgainstTheSpecAndApplied() async throws {
        let testbed = try DPDKTestbed(ports: 1)
        self.testbed = testbed
        try testbed.start()
        let (p4info, _) = try DPDKTestbed.program()
        let directory = DPDKTestbed.programDirectory
        let unknown = try DPDKDeviceConfig(specFile: directory + "/k8s_dp.spec", contextFile: directory + "/k8s_dp.context.json", learnerTimeouts: ["no_such_learner": [5]]).encoded()
        let known = try DPDKDeviceConfig(specFile: directory + "/k8s_dp.spec", contextFile: directory + "/k8s_dp.context.json", learnerTimeouts: ["ct_forward": [5, 30, 60]]).encoded()
        let refused = try await testbed.withClient { client -> String in
            do {
                try await client.setForwardingPipelineConfig(p4info, deviceConfig: unknown)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(refused.contains("no_such_learner") && refused.contains("invalidArgument"), refused)
        let stored = try await testbed.withClient { client in
            try await client.setForwardingPipelineConfig(p4info, deviceConfig: known)
            return try await client.getForwardingPipelineConfig()
        }
        XCTAssertEqual(try stored.map { try DPDKDeviceConfig($0.p4DeviceConfig).learnerTimeouts }, ["ct_forward": [5, 30, 60]])
    }

    func testDaemonConfigErrorsNameTheKey() throws {
        let directory = NSTemporaryDirectory() + "p4dpdk-config-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cases: [(yaml: String, expected: [String])] = [
            ("ports: [{interface: veth0}]\neal: {arguments: [--vdev=net_tap0]}\n", ["eal.arguments", "--vdev=net_tap0"]),
            ("ports: []\n", ["ports"]),
            ("ports: [{interface: veth0, direction: sideways}]\n", ["direction", "sideways"]),
            ("ports: [{interface: veth0}]\nburstSize: 0\n", ["burstSize", "0"]),
            ("ports: [{interface: veth0}]\npipeline: {spec: /x.spec}\n", ["context"]),
        ]
        for (index, testCase) in cases.enumerated() {
            let path = directory + "/case\(index).yaml"
            try Data(testCase.yaml.utf8).write(to: URL(fileURLWithPath: path))
            let (status, output) = try run(["--config", path, "--insecure", "--check-config"])
            XCTAssertEqual(status, 1, "case \(index) must fail: \(output)")
            for word in testCase.expected {
                XCTAssertTrue(output.contains(word), "case \(index): \(word) missing in: \(output)")
            }
        }
        let valid = directory + "/valid.yaml"
        try Data("ports: [{interface: veth0, direction: host}, {interface: veth1}]\n".utf8).write(to: URL(fileURLWithPath: valid))
        let (status, output) = try run(["--config", valid, "--insecure", "--check-config"])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("--no-pci") && output.contains("--vdev=net_af_packet1,iface=veth1"), output)
    }

    private func run(_ arguments: [String]) throws -> (Int32, String) {
        try DPDKTestbed.outcome([try DPDKTestbed.executable("infra-p4-dpdk")] + arguments)
    }
}
