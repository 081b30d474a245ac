import CNISpec
import Foundation
import InfraNet
import XCTest

/// The result JSON per requested version, compared byte for byte with golden texts (keys
/// sorted, compact).
final class CNIResultGoldenTests: XCTestCase {
    /// A dual-stack result using every field, including the 1.1.0-only ones.
    static let sample = CNIResult(
        interfaces: [CNIResult.Interface(name: "eth0", mac: "02:00:0a:f4:01:07", mtu: 1450, sandbox: "/var/run/netns/cni-1", socketPath: "/run/x.sock", pciID: "0000:3b:00.2")],
        ips: [
            CNIResult.IPConfig(address: CIDR("10.244.1.7/24")!, gateway: IPAddress("10.244.1.1"), interface: 0),
            CNIResult.IPConfig(address: CIDR("fd00::7/64")!, interface: 0),
        ],
        routes: [CNIResult.Route(dst: CIDR("0.0.0.0/0")!, gw: IPAddress("10.244.1.1"), mtu: 1400, advmss: 1360, priority: 10, table: 100, scope: 0)],
        dns: DNS(nameservers: ["10.96.0.10"], domain: "cluster.local", search: ["default.svc.cluster.local"], options: ["ndots:5"])
    )

    static let dns = #""dns":{"domain":"cluster.local","nameservers":["10.96.0.10"],"options":["ndots:5"],"search":["default.svc.cluster.local"]}"#

    static func golden0x(_ version: String) -> String {
        #"{"cniVersion":"\#(version)",\#(dns),"interfaces":[{"mac":"02:00:0a:f4:01:07","name":"eth0","sandbox":"/var/run/netns/cni-1"}],"#
            + #""ips":[{"address":"10.244.1.7/24","gateway":"10.244.1.1","interface":0,"version":"4"},{"address":"fd00::7/64","interface":0,"version":"6"}],"#
            + #""routes":[{"dst":"0.0.0.0/0","gw":"10.244.1.1"}]}"#
    }

    func testResult030() { XCTAssertEqual(Self.sample.json(cniVersion: "0.3.0").serializedString(), Self.golden0x("0.3.0")) }
    func testResult031() { XCTAssertEqual(Self.sample.json(cniVersion: "0.3.1").serializedString(), Self.golden0x("0.3.1")) }
    func testResult040() { XCTAssertEqual(Self.sample.json(cniVersion: "0.4.0").serializedString(), Self.golden0x("0.4.0")) }

    func testResult100HasNoIPVersionAndNo11Fields() {
        let golden = #"{"cniVersion":"1.0.0",\#(Self.dns),"interfaces":[{"mac":"02:00:0a:f4:01:07","name":"eth0","sandbox":"/var/run/netns/cni-1"}],"#
            + #""ips":[{"address":"10.244.1.7/24","gateway":"10.244.1.1","interface":0},{"address":"fd00::7/64","interface":0}],"#
            + #""routes":[{"dst":"0.0.0.0/0","gw":"10.244.1.1"}]}"#
        XCTAssertEqual(Self.sample.json(cniVersion: "1.0.0").serializedString(), golden)
    }

    func testResult110AddsInterfaceAndRouteFields() {
        let golden = #"{"cniVersion":"1.1.0",\#(Self.dns),"interfaces":[{"mac":"02:00:0a:f4:01:07","mtu":1450,"name":"eth0","pciID":"0000:3b:00.2","sandbox":"/var/run/netns/cni-1","socketPath":"/run/x.sock"}],"#
            + #""ips":[{"address":"10.244.1.7/24","gateway":"10.244.1.1","interface":0},{"address":"fd00::7/64","interface":0}],"#
            + #""routes":[{"advmss":1360,"dst":"0.0.0.0/0","gw":"10.244.1.1","mtu":1400,"priority":10,"scope":0,"table":100}]}"#
        XCTAssertEqual(Self.sample.json(cniVersion: "1.1.0").serializedString(), golden)
    }

    func testEmptySectionsAreLeftOut() {
        let result = CNIResult(ips: [CNIResult.IPConfig(address: CIDR("10.0.0.2/32")!)])
        XCTAssertEqual(result.json(cniVersion: "1.0.0").serializedString(), #"{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/32"}]}"#)
    }

    func testEveryVersionRoundTrips() throws {
        for version in CNIVersion.supported {
            let encoded = Self.sample.json(cniVersion: version)
            let decoded = try CNIResult(json: encoded)
            // Re-encoding what was read gives the same document for that version.
            XCTAssertEqual(decoded.json(cniVersion: version), encoded, version)
        }
        XCTAssertEqual(try CNIResult(json: Self.sample.json(cniVersion: "1.1.0")), Self.sample)
    }

    func testReadsHostLocalStyleResult() throws {
        let text = #"{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.250.0.2/24","gateway":"10.250.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}"#
        let result = try CNIResult(json: JSONValue.parse(Data(text.utf8)))
        XCTAssertEqual(result.ips, [CNIResult.IPConfig(address: CIDR("10.250.0.2/24")!, gateway: IPAddress("10.250.0.1"))])
        XCTAssertEqual(result.routes, [CNIResult.Route(dst: CIDR("0.0.0.0/0")!)])
        XCTAssertTrue(result.dns.isEmpty)
    }

    func testBadResultsAreDecodeFailuresNamingTheField() throws {
        let cases: [(String, String)] = [
            (#"{"ips":[{"address":"10.0.0.300/24"}]}"#, "result.ips[0].address"),
            (#"{"ips":[{"address":"10.0.0.3/24","gateway":"x"}]}"#, "result.ips[0].gateway"),
            (#"{"ips":[{"address":"10.0.0.3/24","interface":2}]}"#, "result.ips[0].interface"),
            (#"{"routes":[{"gw":"10.0.0.1"}]}"#, "result.routes[0].dst"),
            (#"{"interfaces":[{"mac":"02:00:00:00:00:01"}]}"#, "result.interfaces[0].name"),
            (#"{"ips":{}}"#, "result.ips"),
        ]
        for (text, field) in cases {
            XCTAssertThrowsError(try CNIResult(json: JSONValue.parse(Data(text.utf8))), text) { error in
                let cniError = error as? CNIError
                XCTAssertEqual(cniError?.code, .decodeFailure, text)
                XCTAssertTrue(cniError?.msg.contains(field) ?? false, "\(cniError?.msg ?? "") should name \(field)")
            }
        }
    }

    func testOldIP4FormatIsAnIncompatibleVersion() {
        XCTAssertThrowsError(try CNIResult(json: .object(["ip4": .object(["ip": .string("10.0.0.2/24")])]))) { error in
            XCTAssertEqual((error as? CNIError)?.code, .incompatibleVersion)
        }
    }
}
