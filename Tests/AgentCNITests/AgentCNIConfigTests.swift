import InfraAgentCore
import InfraChannel
import InfraDaemon
import XCTest

final class AgentCNIConfigTests: XCTestCase {
    func load(_ extra: String) throws -> AgentConfig {
        try ConfigLoader.load(AgentConfig.self, fromYAML: "nodeName: node-1\ninsecure: true\n" + extra, source: "test")
    }

    func testCNIAndPoolKeys() throws {
        let config = try load("""
        cni:
          gatewayMAC: "02:aa:bb:cc:dd:01"
          mtu: 1450
        interfacePool:
          mode: veth
          prefix: pod
        """)
        let cni = try XCTUnwrap(config.cni)
        XCTAssertEqual(cni.listen.description, "unix:/run/infra/cni.sock")
        XCTAssertEqual(cni.gatewayMAC.description, "02:aa:bb:cc:dd:01")
        XCTAssertEqual(cni.mtu, 1450)
        XCTAssertEqual(cni.managerTimeoutMilliseconds, 1000)
        XCTAssertEqual(cni.podStateFile, "/var/lib/infra-agent/cni-pods.json")
        XCTAssertEqual(config.interfacePool?.mode, .veth)
        XCTAssertNil(try load("").cni)
    }

    func testBadCNIKeysNameTheKey() throws {
        let cases: [(String, String)] = [
            ("cni: {gatewayMAC: \"02:00:00:00:00:01\"}", "interfacePool"),
            ("cni: {}\ninterfacePool: {mode: veth, prefix: p}", "cni.gatewayMAC"),
            ("cni: {gatewayMAC: \"01:00:5e:00:00:01\"}\ninterfacePool: {mode: veth, prefix: p}", "cni.gatewayMAC"),
            ("cni: {gatewayMAC: \"02:00:00:00:00:01\", listen: \"10.0.0.1:9000\"}\ninterfacePool: {mode: veth, prefix: p}", "cni.listen"),
            ("cni: {gatewayMAC: \"02:00:00:00:00:01\", mtu: 20}\ninterfacePool: {mode: veth, prefix: p}", "cni.mtu"),
            ("cni: {gatewayMAC: \"02:00:00:00:00:01\", sock: x}\ninterfacePool: {mode: veth, prefix: p}", "sock"),
        ]
        for (yaml, key) in cases {
            XCTAssertThrowsError(try load(yaml), yaml) { error in
                XCTAssertTrue(String(describing: error).contains(key), "\(yaml): \(error)")
            }
        }
    }
}
