import Foundation
import P4RuntimeAPI
@testable import P4RuntimeServer
import XCTest

/// The remaining table-entry and group rules: const and keyless tables, optional matches,
/// don't-care spellings, idle timeout, direct counters, group member checks.
final class MoreRuleTests: XCTestCase {
    typealias P = TestPipeline

    private func optional(_ value: [UInt8]) -> P4_V1_FieldMatch {
        var match = P4_V1_FieldMatch()
        match.fieldID = 1
        match.optional.value = Data(value)
        return match
    }

    func testConstTableEntriesArePermissionDenied() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.fixed, [exact([1])], action(P.drop))), .permissionDenied)
    }

    func testKeylessTableTakesOnlyItsDefaultEntry() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.code(.insert, entry(P.keyless, [], action(P.drop))), .invalidArgument)
        var defaultEntry = entry(P.keyless, [], action(P.setPort, [1: [4]]))
        defaultEntry.tableEntry.isDefaultAction = true
        XCTAssertEqual(try f.code(.modify, defaultEntry), .ok)
    }

    func testOptionalMatchNeedsPriorityAndMayBeOmitted() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.code(.insert, entry(P.opt, [optional([3]), exact([1], field: 2)], action(P.drop))), .invalidArgument)
        XCTAssertEqual(try f.code(.insert, entry(P.opt, [optional([3]), exact([1], field: 2)], action(P.drop), priority: 5)), .ok)
        XCTAssertEqual(try f.code(.insert, entry(P.opt, [exact([1], field: 2)], action(P.drop), priority: 5)), .ok, "wildcard = omitted")
    }

    func testDuplicateMatchFieldIsInvalidArgument() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.exact, [exact([1]), exact([2])], action(P.drop))), .invalidArgument)
    }

    func testFullRangeIsInvalidArgument() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.ports, [range([0], [0xff, 0xff])], action(P.drop), priority: 1)), .invalidArgument)
    }

    func testIdleTimeoutOnTableWithoutItIsInvalidArgument() throws {
        var e = entry(P.exact, [exact([1])], action(P.drop))
        e.tableEntry.idleTimeoutNs = 1_000_000
        XCTAssertEqual(try Fixture().code(.insert, e), .invalidArgument)
    }

    func testCounterDataNeedsADirectCounterAndIsReadOnlyWhenAsked() throws {
        let f = try Fixture()
        var onRoute = entry(P.route, [lpm([10, 0, 0, 0], 8)], action(P.drop))
        onRoute.tableEntry.counterData.packetCount = 1
        XCTAssertEqual(try f.code(.insert, onRoute), .invalidArgument)
        var counted = entry(P.exact, [exact([1])], action(P.drop))
        counted.tableEntry.counterData.packetCount = 7
        XCTAssertEqual(try f.code(.insert, counted), .ok)
        XCTAssertFalse(try f.read(entry(P.exact, []))[0].tableEntry.hasCounterData)
        var asking = entry(P.exact, [])
        asking.tableEntry.counterData = P4_V1_CounterData()
        XCTAssertEqual(try f.read(asking)[0].tableEntry.counterData.packetCount, 7)
    }

    func testMetersAreUnimplemented() throws {
        var e = entry(P.exact, [exact([1])], action(P.drop))
        e.tableEntry.meterConfig.cir = 10
        XCTAssertEqual(try Fixture().code(.insert, e), .unimplemented)
    }

    func testGroupMemberRulesAreInvalidArgument() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.codes([update(.insert, member(1))]), [.ok])
        XCTAssertEqual(try f.code(.insert, group(10, members: [1, 1])), .invalidArgument, "member twice")
        var zeroWeight = group(11, members: [1])
        zeroWeight.actionProfileGroup.members[0].weight = 0
        XCTAssertEqual(try f.code(.insert, zeroWeight), .invalidArgument, "weight 0")
        var plain = group(12, members: [])
        plain.actionProfileGroup.actionProfileID = P.plainProfile
        XCTAssertEqual(try f.code(.insert, plain), .invalidArgument, "a profile without selector has no groups")
    }

    func testGroupModifyAndMissingGroupIsNotFound() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.codes([update(.insert, member(1)), update(.insert, member(2))]), [.ok, .ok])
        XCTAssertEqual(try f.code(.modify, group(10, members: [1])), .notFound)
        XCTAssertEqual(try f.code(.insert, group(10, members: [1])), .ok)
        XCTAssertEqual(try f.code(.modify, group(10, members: [1, 2])), .ok)
        var read = P4_V1_Entity()
        read.actionProfileGroup.actionProfileID = P.selector
        XCTAssertEqual(try f.read(read).map { $0.actionProfileGroup.members.map(\.memberID) }, [[1, 2]])
        XCTAssertEqual(try f.code(.delete, group(11, members: [])), .notFound)
    }

    func testDeleteThenInsertFreesTableSpace() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.codes([1, 2].map { update(.insert, entry(P.exact, [exact([$0])], action(P.drop))) }), [.ok, .ok])
        XCTAssertEqual(try f.codes([update(.delete, entry(P.exact, [exact([1])])), update(.insert, entry(P.exact, [exact([3])], action(P.drop)))]), [.ok, .ok])
        XCTAssertEqual(try f.read(entry(P.exact, [])).map(\.tableEntry.match), [[exact([2])], [exact([3])]], "write order")
    }

    func testConcurrentWritersAreSerialized() async throws {
        let f = try Fixture()
        let core = f.core
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                group.addTask {
                    _ = try? core.write(writeRequest([update(.insert, entry(P.route, [lpm([10, UInt8(i), 0, 0], 16)], action(P.drop)))]))
                }
            }
        }
        XCTAssertEqual(try f.read(entry(P.route, [])).count, 8)
    }
}
