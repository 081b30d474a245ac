import Foundation
import XCTest

@testable import InterfacePool

final class InterfacePoolConfigTests: XCTestCase {
    private struct Agent: Decodable { var interfacePool: InterfacePoolConfig }

    private func decode(_ json: String) throws -> InterfacePoolConfig {
        try JSONDecoder().decode(Agent.self, from: Data(json.utf8)).interfacePool
    }

    /// Asserts a `dataCorrupted` error at `path` whose text contains `reason`.
    private func assertRefused(_ json: String, path: String, reason: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try decode(json)
            XCTFail("accepted \(json)", file: file, line: line)
        } catch DecodingError.dataCorrupted(let context) {
            XCTAssertEqual(context.codingPath.map(\.stringValue).joined(separator: "."), path, file: file, line: line)
            XCTAssertTrue(context.debugDescription.contains(reason), context.debugDescription, file: file, line: line)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }

    func testEveryKey() throws {
        let config = try decode(#"""
            {"interfacePool": {"mode": "sriov", "pf": "ens1f0", "exclude": ["ens1f0v0"],
             "stateFile": "/var/lib/x/pool.json", "ports": {"ens1f0v1": 5}}}
            """#)
        XCTAssertEqual(config, InterfacePoolConfig(
            mode: .sriov, physicalFunction: "ens1f0", exclude: ["ens1f0v0"], stateFile: "/var/lib/x/pool.json", ports: ["ens1f0v1": 5]))
    }

    func testDefaults() throws {
        let tap = try decode(#"{"interfacePool": {"mode": "tap"}}"#)
        XCTAssertEqual(tap.selector, .prefix("P4TAP_"))
        XCTAssertEqual(tap.stateFile, InterfacePoolConfig.defaultStateFile)
        XCTAssertEqual(tap.ports, [:])
        XCTAssertEqual(tap.exclude, [])
        XCTAssertEqual(try decode(#"{"interfacePool": {"mode": "veth", "interfaces": ["a", "b"]}}"#).selector, .names(["a", "b"]))
        XCTAssertEqual(try decode(#"{"interfacePool": {"mode": "tap", "pattern": "P4TAP_*"}}"#).selector, .pattern("P4TAP_*"))
    }

    func testRefusals() {
        assertRefused(#"{"interfacePool": {"mode": "veth", "prefx": "v"}}"#, path: "interfacePool.prefx", reason: "unknown key")
        assertRefused(#"{"interfacePool": {}}"#, path: "interfacePool.mode", reason: "is required")
        assertRefused(#"{"interfacePool": {"mode": "ipvlan"}}"#, path: "interfacePool.mode", reason: "one of: tap, sriov, cdq, veth")
        assertRefused(#"{"interfacePool": {"mode": "cdq"}}"#, path: "interfacePool.pf", reason: "required in mode cdq")
        assertRefused(#"{"interfacePool": {"mode": "sriov", "pf": "p", "prefix": "x"}}"#, path: "interfacePool.prefix", reason: "not used in mode sriov")
        assertRefused(#"{"interfacePool": {"mode": "veth", "pf": "p", "prefix": "x"}}"#, path: "interfacePool.pf", reason: "only used")
        assertRefused(#"{"interfacePool": {"mode": "veth"}}"#, path: "interfacePool", reason: "needs one of")
        assertRefused(#"{"interfacePool": {"mode": "veth", "prefix": "a", "pattern": "b*"}}"#, path: "interfacePool", reason: "not several")
        assertRefused(#"{"interfacePool": {"mode": "veth", "interfaces": ["a", "a/b"]}}"#, path: "interfacePool.interfaces.1", reason: "not a valid interface name")
        assertRefused(#"{"interfacePool": {"mode": "veth", "interfaces": ["a", "a"]}}"#, path: "interfacePool.interfaces", reason: "twice")
        assertRefused(#"{"interfacePool": {"mode": "tap", "stateFile": "pool.json"}}"#, path: "interfacePool.stateFile", reason: "absolute")
    }
}
