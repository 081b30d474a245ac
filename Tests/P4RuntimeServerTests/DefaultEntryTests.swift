import Foundation
import P4RuntimeAPI
@testable import P4RuntimeServer
import XCTest

/// Default entries (§9.1.3–§9.1.5).
final class DefaultEntryTests: XCTestCase {
    typealias P = TestPipeline

    private func defaultEntry(_ table: UInt32, _ action: P4_V1_TableAction? = nil) -> P4_V1_Entity {
        var e = entry(table, [], action)
        e.tableEntry.isDefaultAction = true
        return e
    }

    func testModifyDefaultActionAndResetByModifyWithoutAction() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.read(defaultEntry(P.exact))[0].tableEntry.action.action.actionID, P.drop, "initial_default_action")
        XCTAssertEqual(try f.code(.modify, defaultEntry(P.exact, action(P.miss))), .ok, "@defaultonly is fine as default")
        XCTAssertEqual(try f.read(defaultEntry(P.exact))[0].tableEntry.action.action.actionID, P.miss)
        XCTAssertEqual(try f.code(.modify, defaultEntry(P.exact)), .ok)
        XCTAssertEqual(try f.read(defaultEntry(P.exact))[0].tableEntry.action.action.actionID, P.drop, "reset to the program's default")
    }

    func testInsertOrDeleteDefaultIsInvalidArgument() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.code(.insert, defaultEntry(P.exact, action(P.drop))), .invalidArgument)
        XCTAssertEqual(try f.code(.delete, defaultEntry(P.exact)), .invalidArgument)
    }

    func testDefaultWithMatchIsInvalidArgument() throws {
        var e = defaultEntry(P.exact, action(P.drop))
        e.tableEntry.match = [exact([1])]
        XCTAssertEqual(try Fixture().code(.modify, e), .invalidArgument)
    }

    func testConstDefaultActionIsPermissionDenied() throws {
        XCTAssertEqual(try Fixture().code(.modify, defaultEntry(P.route, action(P.drop))), .permissionDenied)
    }
}
