import CNISpec
import Foundation
import InfraNet
import XCTest

final class NetworkConfigTests: XCTestCase {
    func config(_ text: String) throws -> NetworkConfig { try NetworkConfig(data: Data(text.utf8)) }

    func code(_ text: String) -> CNIError.Code? {
        do {
            _ = try config(text)
            return nil
        } catch {
            return (error as? CNIError)?.code
        }
    }

    func testReadsKnownKeysAndKeepsTheRest() throws {
        let text = #"""
        {"cniVersion":"1.0.0","name":"pods","type":"infra-cni","agentSocket":"/run/infra/cni.sock",
         "dataplane_options":{"type":"grpc","socket":"/run/infra/cni.sock"},
         "ipam":{"type":"host-local","ranges":[[{"subnet":"10.244.1.0/24"}]]},
         "dns":{"nameservers":["10.96.0.10"],"search":["svc.cluster.local"]},
         "runtimeConfig":{"portMappings":[]},"args":{"cni":{"ips":["10.244.1.9"]}},
         "prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mac":"02:00:00:00:00:01","sandbox":"/var/run/netns/p"}],
                       "ips":[{"address":"10.244.1.9/24","interface":0}]}}
        """#
        let parsed = try config(text)
        XCTAssertEqual(parsed.cniVersion, "1.0.0")
        XCTAssertEqual(parsed.name, "pods")
        XCTAssertEqual(parsed.type, "infra-cni")
        XCTAssertEqual(parsed.ipamType, "host-local")
        XCTAssertEqual(parsed.dns, DNS(nameservers: ["10.96.0.10"], search: ["svc.cluster.local"]))
        XCTAssertEqual(parsed.runtimeConfig, .object(["portMappings": .array([])]))
        XCTAssertNotNil(parsed.args)
        XCTAssertEqual(parsed.prevResult?.interfaces.first?.mac, "02:00:00:00:00:01")
        XCTAssertEqual(parsed.prevResult?.ips.first?.address, CIDR("10.244.1.9/24"))
        XCTAssertEqual(parsed.raw["agentSocket"], .string("/run/infra/cni.sock"))
        XCTAssertEqual(parsed.raw["dataplane_options"]?["type"], .string("grpc"))
        // Serializing keeps every key; a version override changes only cniVersion.
        let again = try NetworkConfig(data: parsed.serialized())
        XCTAssertEqual(again, parsed)
        let older = try JSONValue.parse(parsed.serialized(cniVersion: "0.4.0"))
        XCTAssertEqual(older["cniVersion"], .string("0.4.0"))
        XCTAssertEqual(older["dataplane_options"], parsed.raw["dataplane_options"])
    }

    func testMalformedJSONIsCode6() {
        XCTAssertEqual(code("{"), .decodeFailure)
        XCTAssertEqual(code(""), .decodeFailure)
        XCTAssertEqual(code("[1,2]"), .decodeFailure)
    }

    func testUnknownVersionIsCode1() {
        XCTAssertEqual(code(#"{"cniVersion":"9.9.9","name":"n","type":"t"}"#), .incompatibleVersion)
        XCTAssertEqual(code(#"{"cniVersion":"0.2.0","name":"n","type":"t"}"#), .incompatibleVersion)
    }

    func testMissingOrMistypedKeysAreCode7() {
        XCTAssertEqual(code(#"{"name":"n","type":"t"}"#), .invalidNetworkConfig)
        XCTAssertEqual(code(#"{"cniVersion":"1.0.0","type":"t"}"#), .invalidNetworkConfig)
        XCTAssertEqual(code(#"{"cniVersion":"1.0.0","name":"n"}"#), .invalidNetworkConfig)
        XCTAssertEqual(code(#"{"cniVersion":"1.0.0","name":"n","type":7}"#), .invalidNetworkConfig)
        XCTAssertEqual(code(#"{"cniVersion":"1.0.0","name":"n","type":"t","ipam":"host-local"}"#), .invalidNetworkConfig)
        XCTAssertEqual(code(#"{"cniVersion":"1.0.0","name":"n","type":"t","prevResult":{"ips":[{"address":"x"}]}}"#), .invalidNetworkConfig)
    }

    func testConfigList() throws {
        let text = #"""
        {"cniVersion":"1.1.0","cniVersions":["1.0.0","1.1.0"],"name":"k8s-pod-network","disableGC":true,
         "plugins":[{"type":"infra-cni","ipam":{"type":"host-local"}},{"type":"portmap","capabilities":{"portMappings":true}}]}
        """#
        let list = try NetworkConfigList(data: Data(text.utf8))
        XCTAssertEqual(list.cniVersions, ["1.0.0", "1.1.0"])
        XCTAssertTrue(list.disableGC)
        XCTAssertFalse(list.disableCheck)
        let first = try list.pluginConfig(at: 0)
        XCTAssertEqual(first.name, "k8s-pod-network")
        XCTAssertEqual(first.cniVersion, "1.1.0")
        XCTAssertEqual(first.type, "infra-cni")
        XCTAssertThrowsError(try NetworkConfigList(data: Data(#"{"cniVersion":"1.1.0","name":"x","plugins":[]}"#.utf8)))
    }
}
