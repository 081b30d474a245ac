import Foundation
import P4RuntimeAPI
@testable import P4RuntimeServer
import XCTest

/// Action profile members and groups, and the table that uses them (§9.2).
final class ActionProfileTests: XCTestCase {
    typealias P = TestPipeline

    private func lbEntry(member: UInt32? = nil, group: UInt32? = nil) -> P4_V1_Entity {
        var table = P4_V1_TableAction()
        if let member { table.actionProfileMemberID = member }
        if let group { table.actionProfileGroupID = group }
        return entry(P.lb, [exact([10, 0, 0, 1])], table)
    }

    func testMembersGroupsAndIndirectEntries() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.codes([update(.insert, member(1)), update(.insert, member(2, port: 2))]), [.ok, .ok])
        XCTAssertEqual(try f.code(.insert, group(10, members: [1, 2])), .ok)
        XCTAssertEqual(try f.code(.insert, lbEntry(group: 10)), .ok)
        XCTAssertEqual(try f.code(.modify, lbEntry(member: 1)), .ok)
        XCTAssertEqual(try f.read(entry(P.lb, []))[0].tableEntry.action.actionProfileMemberID, 1)
        var all = P4_V1_Entity()
        all.actionProfileMember = P4_V1_ActionProfileMember()
        XCTAssertEqual(try f.read(all).map(\.actionProfileMember.memberID), [1, 2], "profile 0 reads every member")
    }

    func testMemberActionNotInProfileTablesIsInvalidArgument() throws {
        XCTAssertEqual(try Fixture().code(.insert, member(1, action: P.drop)), .invalidArgument)
    }

    func testDuplicateMemberIsAlreadyExists() throws {
        XCTAssertEqual(try Fixture().codes([update(.insert, member(1)), update(.insert, member(1))]), [.ok, .alreadyExists])
    }

    func testProfileSizeIsResourceExhausted() throws {
        XCTAssertEqual(try Fixture().codes((1...4).map { update(.insert, member($0)) }), [.ok, .ok, .ok, .resourceExhausted])
    }

    func testGroupWithMissingMemberIsNotFound() throws {
        XCTAssertEqual(try Fixture().code(.insert, group(10, members: [5])), .notFound)
    }

    func testGroupOverMaxSizeIsResourceExhausted() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.codes((1...3).map { update(.insert, member($0)) }), [.ok, .ok, .ok])
        XCTAssertEqual(try f.code(.insert, group(10, members: [1, 2, 3])), .resourceExhausted, "selector max_group_size is 2")
        XCTAssertEqual(try f.code(.insert, group(11, members: [1, 2], maxSize: 1)), .resourceExhausted, "the group's own max_size")
        XCTAssertEqual(try f.code(.insert, group(12, members: [1], maxSize: 3)), .resourceExhausted, "max_size above the selector's")
    }

    func testDeletingMemberInUseIsFailedPrecondition() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.codes([update(.insert, member(1)), update(.insert, member(2))]), [.ok, .ok])
        XCTAssertEqual(try f.codes([update(.insert, group(10, members: [1])), update(.insert, lbEntry(member: 2))]), [.ok, .ok])
        XCTAssertEqual(try f.code(.delete, member(1)), .failedPrecondition, "used by a group")
        XCTAssertEqual(try f.code(.delete, member(2)), .failedPrecondition, "used by a table entry")
        XCTAssertEqual(try f.code(.delete, lbEntry()), .ok)
        XCTAssertEqual(try f.code(.delete, member(2)), .ok)
    }

    func testDeletingGroupInUseIsFailedPrecondition() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.codes([update(.insert, member(1))]), [.ok])
        XCTAssertEqual(try f.codes([update(.insert, group(10, members: [1]))]), [.ok])
        XCTAssertEqual(try f.codes([update(.insert, lbEntry(group: 10))]), [.ok])
        XCTAssertEqual(try f.code(.delete, group(10, members: [])), .failedPrecondition)
    }

    func testIndirectEntryWithMissingMemberIsNotFound() throws {
        XCTAssertEqual(try Fixture().code(.insert, lbEntry(member: 7)), .notFound)
    }

    func testDirectActionOnIndirectTableIsInvalidArgument() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.lb, [exact([1])], action(P.setPort, [1: [1]]))), .invalidArgument)
    }

    func testMemberIDOnDirectTableIsInvalidArgument() throws {
        var table = P4_V1_TableAction()
        table.actionProfileMemberID = 1
        XCTAssertEqual(try Fixture().code(.insert, entry(P.exact, [exact([1])], table)), .invalidArgument)
    }

    func testOneShotIsUnimplemented() throws {
        var table = P4_V1_TableAction()
        table.actionProfileActionSet = P4_V1_ActionProfileActionSet()
        XCTAssertEqual(try Fixture().code(.insert, entry(P.lb, [exact([1])], table)), .unimplemented)
    }
}

/// Groups run one action function (§9.2.4); the spec lets a target refuse the rest.
final class ActionFunctionTests: XCTestCase {
    func testMixedFunctionsInGroupAndChangingAGroupedMembersFunctionAreUnimplemented() throws {
        // Give the lb table a second action so members may differ.
        var p4info = try TestPipeline.index().p4info
        var ref = P4_Config_V1_ActionRef()
        ref.id = TestPipeline.drop
        p4info.tables[3].actionRefs.append(ref)
        var request = try pipelineRequest()
        request.config.p4Info = p4info
        let f = try Fixture(pipeline: false)
        _ = try f.core.setForwardingPipelineConfig(request)
        XCTAssertEqual(try f.codes([update(.insert, member(1)), update(.insert, member(2, action: TestPipeline.drop))]), [.ok, .ok])
        XCTAssertEqual(try f.code(.insert, group(10, members: [1, 2])), .unimplemented)
        XCTAssertEqual(try f.code(.insert, group(10, members: [1])), .ok)
        XCTAssertEqual(try f.code(.modify, member(1, action: TestPipeline.drop)), .unimplemented)
        XCTAssertEqual(try f.code(.modify, member(1, port: 9)), .ok, "same function, new parameters")
    }
}
