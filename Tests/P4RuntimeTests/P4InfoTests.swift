import Foundation
import P4Info
import P4RuntimeAPI
import XCTest

final class P4InfoTests: XCTestCase {
    func testLooksUpByFullNameAndAlias() throws {
        let info = try TestP4Info.index()
        XCTAssertEqual(try info.table("ingress.ipv4_lpm").id, 0x0200_0001)
        XCTAssertEqual(try info.table("ipv4_lpm").id, 0x0200_0001)
        XCTAssertEqual(try info.action("set_nhop").id, 0x0100_0001)
        XCTAssertEqual(try info.param("dmac", ofAction: "ingress.set_nhop").id, 2)
        XCTAssertEqual(try info.param("port", ofAction: "set_nhop").bitwidth, 9)
        XCTAssertEqual(try info.actionProfile("lb_selector").maxGroupSize, 64)
        XCTAssertEqual(try info.counter("port_bytes").size, 512)
        XCTAssertEqual(try info.directCounter("acl_hits").tableID, 0x0200_0002)
        XCTAssertEqual(info.pkgInfo.arch, "pna")
        XCTAssertEqual(info.table(id: 0x0200_0003)?.name, "ingress.service_lb")
    }

    func testTablePropertiesAndMatchFields() throws {
        let info = try TestP4Info.index()
        let lpm = try info.table("ipv4_lpm")
        XCTAssertEqual(lpm.size, 1024)
        XCTAssertTrue(lpm.supportsIdleTimeout)
        XCTAssertNil(lpm.constDefaultActionID)
        XCTAssertFalse(lpm.needsPriority)
        XCTAssertEqual(try info.matchField("hdr.ipv4.dst_addr", inTable: "ipv4_lpm").kind, .lpm)

        let acl = try info.table("acl")
        XCTAssertTrue(acl.needsPriority)
        XCTAssertFalse(acl.supportsIdleTimeout)
        XCTAssertEqual(acl.matchFields.map(\.kind), [.ternary, .range, .exact])
        XCTAssertEqual(try acl.matchField("meta.vport").bitwidth, 9)
        XCTAssertEqual(acl.directResourceIDs, [0x1300_0001])

        let lb = try info.table("service_lb")
        XCTAssertEqual(lb.constDefaultActionID, 0x0100_0002)
        XCTAssertEqual(lb.implementationID, 0x1100_0001)
    }

    func testUnknownNamesAreNamedInTheError() throws {
        let info = try TestP4Info.index()
        XCTAssertThrowsError(try info.table("ingress.nat")) { error in
            let error = error as! P4InfoError
            XCTAssertEqual(error.code, .unknownName)
            XCTAssertTrue(error.message.contains("\"ingress.nat\""), error.message)
            XCTAssertTrue(error.message.contains("\"ingress.acl\""), "lists the known tables: \(error.message)")
        }
        XCTAssertThrowsError(try info.matchField("hdr.ipv6.dst", inTable: "acl")) { error in
            XCTAssertEqual((error as! P4InfoError).code, .unknownName)
            XCTAssertTrue((error as! P4InfoError).message.contains("hdr.ipv6.dst"))
        }
        XCTAssertThrowsError(try info.param("vlan", ofAction: "set_nhop")) { error in
            XCTAssertTrue((error as! P4InfoError).message.contains("\"vlan\""))
        }
        XCTAssertThrowsError(try info.actionProfile("nope"))
        XCTAssertThrowsError(try info.counter("nope"))
    }

    func testRejectsDuplicateIdsAndBadText() throws {
        var p4info = try TestP4Info.index().p4info
        p4info.actions[1].preamble.id = p4info.actions[0].preamble.id
        XCTAssertThrowsError(try P4InfoIndex(p4info)) { XCTAssertEqual(($0 as! P4InfoError).code, .invalidP4Info) }
        XCTAssertThrowsError(try P4InfoIndex(textFormat: "tables { preamble { id: \"x\" } }")) {
            XCTAssertEqual(($0 as! P4InfoError).code, .invalidP4Info)
        }
    }

    func testTextSkipsUnknownFieldsAndBinaryRoundTrips() throws {
        // type_info.enums (4) is outside our proto subset; p4c can emit it.
        let text = TestP4Info.text + "\ntype_info { enums { key: \"color\" value { } } }\n"
        let index = try P4InfoIndex(textFormat: text)
        XCTAssertEqual(index.allTables.count, 3)
        let binary: Data = try index.p4info.serializedBytes()
        let again = try P4InfoIndex(binary: binary)
        XCTAssertEqual(again.p4info, index.p4info)

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("p4info-\(UUID()).bin").path
        try binary.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try P4InfoIndex(contentsOfFile: path).allActions.count, 3)
        XCTAssertThrowsError(try P4InfoIndex(contentsOfFile: path + ".missing")) {
            XCTAssertEqual(($0 as! P4InfoError).code, .unreadableFile)
        }
    }
}
