import Foundation
import P4Info
import P4RuntimeAPI
import P4RuntimeClient
import XCTest

final class EntityBuilderTests: XCTestCase {
    let mac: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x07]

    func testRouteEntryEncodesIdsAndCanonicalValues() throws {
        let info = try TestP4Info.index()
        let entry = try info.tableEntry(
            "ipv4_lpm", match: [.lpm("hdr.ipv4.dst_addr", P4Value(bytes: [10, 1, 0, 0]), prefixLength: 16)],
            action: "set_nhop", params: ["port": 3, "dmac": P4Value(bytes: mac)])
        XCTAssertEqual(entry.tableID, 0x0200_0001)
        XCTAssertEqual(entry.match.count, 1)
        XCTAssertEqual(entry.match[0].fieldID, 1)
        XCTAssertEqual(entry.match[0].lpm.value, Data([10, 1, 0, 0]))
        XCTAssertEqual(entry.match[0].lpm.prefixLen, 16)
        XCTAssertEqual(entry.priority, 0)
        let action = entry.action.action
        XCTAssertEqual(action.actionID, 0x0100_0001)
        XCTAssertEqual(action.params.map(\.paramID), [1, 2])
        XCTAssertEqual(action.params[0].value, Data([3]))
        XCTAssertEqual(action.params[1].value, Data(mac))

        let full = try info.tableEntry(
            "ipv4_lpm", match: [.lpm("hdr.ipv4.dst_addr", P4Value(bytes: [10, 1, 0, 0]), prefixLength: 16)],
            action: "set_nhop", params: ["port": 3, "dmac": 1], style: .fullWidth)
        XCTAssertEqual(full.action.action.params[0].value, Data([0, 3]))
        XCTAssertEqual(full.action.action.params[1].value, Data([0, 0, 0, 0, 0, 1]))
    }

    func testWildcardsAreOmitted() throws {
        let info = try TestP4Info.index()
        let entry = try info.tableEntry(
            "acl",
            match: [.ternary("hdr.ipv4.src_addr", 0, mask: 0), .range("meta.l4_dport", low: 0, high: 0xffff), .exact("meta.vport", 7)],
            action: "drop", priority: 10)
        XCTAssertEqual(entry.match.map(\.fieldID), [3], "don't-care ternary and full range are left out (§9.1.1)")
        XCTAssertEqual(entry.match[0].exact.value, Data([7]))
        XCTAssertEqual(entry.priority, 10)
        let route = try info.tableEntry("ipv4_lpm", match: [.lpm("hdr.ipv4.dst_addr", 0, prefixLength: 0)], action: "drop")
        XCTAssertTrue(route.match.isEmpty)
    }

    func testRulesAreCheckedBeforeSending() throws {
        let info = try TestP4Info.index()
        func code(_ body: () throws -> Any) -> P4InfoError.Code? {
            do { _ = try body(); return nil } catch { return (error as? P4InfoError)?.code }
        }
        let dst = "hdr.ipv4.dst_addr"
        // Priority: needed for ternary tables, forbidden otherwise.
        XCTAssertEqual(code { try info.tableEntry("acl", match: [.exact("meta.vport", 1)], action: "drop") }, .invalidEntity)
        XCTAssertEqual(code { try info.tableEntry("ipv4_lpm", match: [.lpm(dst, 0, prefixLength: 0)], action: "drop", priority: 1) }, .invalidEntity)
        // Exact fields cannot be wildcards; kinds must agree.
        XCTAssertEqual(code { try info.tableEntry("acl", match: [], action: "drop", priority: 1) }, .invalidEntity)
        XCTAssertEqual(code { try info.tableEntry("ipv4_lpm", match: [.exact(dst, 1)], action: "drop") }, .invalidEntity)
        // LPM bits below the prefix; ternary value outside the mask; range low > high.
        XCTAssertEqual(code { try info.tableEntry("ipv4_lpm", match: [.lpm(dst, P4Value(bytes: [10, 1, 2, 3]), prefixLength: 16)], action: "drop") }, .invalidEntity)
        XCTAssertEqual(code {
            try info.tableEntry("acl", match: [.ternary("hdr.ipv4.src_addr", 0x0f, mask: 0xf0), .exact("meta.vport", 1)], action: "drop", priority: 1)
        }, .invalidEntity)
        XCTAssertEqual(code {
            try info.tableEntry("acl", match: [.range("meta.l4_dport", low: 9, high: 8), .exact("meta.vport", 1)], action: "drop", priority: 1)
        }, .invalidEntity)
        // Values against bitwidths; params exactly once; actions of the table and their scope.
        XCTAssertEqual(code { try info.tableEntry("acl", match: [.exact("meta.vport", 512)], action: "drop", priority: 1) }, .valueOutOfRange)
        XCTAssertEqual(code { try info.action("set_nhop", params: ["port": 1]) }, .invalidEntity)
        XCTAssertEqual(code { try info.action("set_nhop", params: ["port": 1, "dmac": 2, "vlan": 3]) }, .unknownName)
        XCTAssertEqual(code { try info.action("set_nhop", params: ["port": 1, "port": 2, "dmac": 3]) }, .invalidEntity)
        XCTAssertEqual(code { try info.tableEntry("acl", match: [.exact("meta.vport", 1)], action: "set_nhop", params: ["port": 1, "dmac": 2], priority: 1) }, .invalidEntity)
        XCTAssertEqual(code { try info.tableEntry("ipv4_lpm", match: [.lpm(dst, 0, prefixLength: 0)], action: "NoAction") }, .invalidEntity, "@defaultonly")
        XCTAssertEqual(code { try info.defaultEntry("service_lb", action: "set_nhop", params: ["port": 1, "dmac": 2]) }, .invalidEntity, "const default")
        XCTAssertEqual(code { try info.tableEntry("nat", match: [], action: "drop") }, .unknownName)
    }

    func testDefaultEntryWildcardsAndMembers() throws {
        let info = try TestP4Info.index()
        let def = try info.defaultEntry("ipv4_lpm", action: "NoAction")
        XCTAssertTrue(def.isDefaultAction)
        XCTAssertTrue(def.match.isEmpty)
        XCTAssertEqual(def.action.action.actionID, 0x0100_0003)

        let all = try info.allEntries(ofTable: "acl")
        XCTAssertEqual(all.tableEntry.tableID, 0x0200_0002)
        XCTAssertTrue(all.tableEntry.match.isEmpty)
        XCTAssertFalse(try info.counterEntries("port_bytes").counterEntry.hasIndex, "index unset = every cell")
        XCTAssertEqual(try info.counterEntries("port_bytes", index: 0).counterEntry.index.index, 0)
        XCTAssertTrue(try info.counterEntries("port_bytes", index: 0).counterEntry.hasIndex)
        XCTAssertEqual(try info.directCounterEntries(ofTable: "acl").directCounterEntry.tableEntry.tableID, 0x0200_0002)

        let member = try info.actionProfileMember("lb_selector", memberID: 5, action: "set_nhop", params: ["port": 1, "dmac": 2])
        XCTAssertEqual(member.actionProfileID, 0x1100_0001)
        XCTAssertEqual(member.memberID, 5)
        XCTAssertThrowsError(try info.actionProfileMember("lb_selector", memberID: 0, action: "drop"))
    }
}
