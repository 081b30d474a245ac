import Foundation
import P4RuntimeAPI
@testable import P4RuntimeServer
import XCTest

/// One test per table-entry rule (facts §4.1–§4.5), each checking the update's code.
final class TableWriteTests: XCTestCase {
    typealias P = TestPipeline

    func testGoodBatchSucceedsAndStoresCanonicalBytes() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.codes([
            update(.insert, entry(P.exact, [exact([10, 1, 2, 3])], action(P.setPort, [1: [0, 5]]))),
            update(.insert, entry(P.acl, [ternary([0, 0x50], [0xff, 0xf0])], action(P.drop), priority: 7)),
            update(.insert, entry(P.route, [lpm([10, 0, 0, 0], 8)], action(P.drop))),
            update(.insert, entry(P.ports, [range([0, 80], [1, 0])], action(P.drop), priority: 1)),
        ]), [.ok, .ok, .ok, .ok])
        let read = try f.read(entry(P.exact, []))
        XCTAssertEqual(read.count, 1)
        XCTAssertEqual(read[0].tableEntry.action.action.params[0].value, Data([5]), "padded param reads back canonical")
        XCTAssertEqual(try f.read(entry(P.acl, []))[0].tableEntry.match[0].ternary.value, Data([0x50]))
    }

    func testContinueOnErrorReportsEveryUpdateInOrder() throws {
        let f = try Fixture()
        let good = entry(P.exact, [exact([1])], action(P.drop))
        do {
            _ = try f.core.write(writeRequest([update(.insert, good), update(.insert, good), update(.delete, entry(P.exact, [exact([2])]))]))
            XCTFail("expected UNKNOWN")
        } catch let error as P4ServerError {
            XCTAssertEqual(error.code, .unknown)
            XCTAssertEqual(error.details.map(\.canonicalCode), [0, 6, 5])
            XCTAssertEqual(error.details[0], P4_V1_Error(), "an update that worked is an empty Error")
            // The trailer carries the same status.
            let rpc = error.rpcError
            XCTAssertEqual(rpc.code, .unknown)
            let bytes = Array(rpc.metadata[binaryValues: "grpc-status-details-bin"]).first
            let status = try Google_Rpc_Status(serializedBytes: try XCTUnwrap(bytes))
            XCTAssertEqual(status.code, 2)
            XCTAssertEqual(status.details.count, 3)
            XCTAssertEqual(status.details[1].typeURL, "type.googleapis.com/p4.v1.Error")
        }
        XCTAssertEqual(try f.read(entry(P.exact, [])).count, 1, "the good update is committed")
    }

    func testRollbackAndDataplaneAtomicAreUnimplemented() throws {
        let f = try Fixture()
        for atomicity in [P4_V1_WriteRequest.Atomicity.rollbackOnError, .dataplaneAtomic] {
            var request = writeRequest([update(.insert, entry(P.exact, [exact([1])], action(P.drop)))])
            request.atomicity = atomicity
            XCTAssertEqual(thrownCode { _ = try f.core.write(request) }, .unimplemented)
        }
    }

    func testUnknownTableIsInvalidArgument() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(0x0200_0099, [exact([1])], action(P.drop))), .invalidArgument)
    }

    func testUnknownMatchFieldIsInvalidArgument() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.exact, [exact([1]), exact([2], field: 9)], action(P.drop))), .invalidArgument)
    }

    func testWrongMatchKindIsInvalidArgument() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.exact, [lpm([1, 0, 0, 0], 8)], action(P.drop))), .invalidArgument)
    }

    func testMissingExactFieldIsInvalidArgument() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.exact, [], action(P.drop))), .invalidArgument)
    }

    func testEmptyBytestringIsOutOfRange() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.exact, [exact([])], action(P.drop))), .outOfRange)
    }

    func testOverwideValueIsOutOfRangeButPaddingIsAccepted() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.code(.insert, entry(P.exact, [exact([1, 0, 0, 0, 0])], action(P.drop))), .outOfRange)
        XCTAssertEqual(try f.code(.insert, entry(P.exact, [exact([0, 0, 0, 0, 0, 7])], action(P.drop))), .ok)
        // The same key spelled canonically now exists.
        XCTAssertEqual(try f.code(.insert, entry(P.exact, [exact([7])], action(P.drop))), .alreadyExists)
    }

    func testOverwideParamIsOutOfRange() throws {
        // set_port.port is bit<9>: 0x200 needs 10 bits.
        XCTAssertEqual(try Fixture().code(.insert, entry(P.exact, [exact([1])], action(P.setPort, [1: [2, 0]]))), .outOfRange)
    }

    func testPriorityRequiredForTernary() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.acl, [ternary([1], [1])], action(P.drop))), .invalidArgument)
    }

    func testPriorityMustBeZeroForExactAndLPM() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.code(.insert, entry(P.exact, [exact([1])], action(P.drop), priority: 3)), .invalidArgument)
        XCTAssertEqual(try f.code(.insert, entry(P.route, [lpm([10, 0, 0, 0], 8)], action(P.drop), priority: 3)), .invalidArgument)
    }

    func testTernaryValueOutsideMaskIsInvalidArgument() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.acl, [ternary([0x0f], [0xf0])], action(P.drop), priority: 1)), .invalidArgument)
    }

    func testTernaryZeroMaskIsInvalidArgument() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.acl, [ternary([0], [0])], action(P.drop), priority: 1)), .invalidArgument)
    }

    func testLPMPrefixLongerThanWidthIsInvalidArgument() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.route, [lpm([10, 0, 0, 0], 33)], action(P.drop))), .invalidArgument)
    }

    func testLPMBitsBeyondPrefixAreInvalidArgument() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.route, [lpm([10, 1, 0, 0], 8)], action(P.drop))), .invalidArgument)
    }

    func testLPMZeroPrefixIsInvalidArgument() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.route, [lpm([0], 0)], action(P.drop))), .invalidArgument)
    }

    func testRangeLowAboveHighIsInvalidArgument() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.ports, [range([9], [8])], action(P.drop), priority: 1)), .invalidArgument)
    }

    func testActionNotInTableIsInvalidArgument() throws {
        // The range table only refers to drop.
        XCTAssertEqual(try Fixture().code(.insert, entry(P.ports, [range([1], [2])], action(P.setPort, [1: [1]]), priority: 1)), .invalidArgument)
    }

    func testDefaultOnlyActionInEntryIsPermissionDenied() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.exact, [exact([1])], action(P.miss))), .permissionDenied)
    }

    func testMissingOrUnknownParamIsInvalidArgument() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.code(.insert, entry(P.exact, [exact([1])], action(P.setPort))), .invalidArgument)
        XCTAssertEqual(try f.code(.insert, entry(P.exact, [exact([1])], action(P.setPort, [1: [1], 2: [1]]))), .invalidArgument)
    }

    func testInsertWithoutActionIsInvalidArgument() throws {
        XCTAssertEqual(try Fixture().code(.insert, entry(P.exact, [exact([1])])), .invalidArgument)
    }

    func testInsertExistingIsAlreadyExistsAndKeepsTheOldEntry() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.code(.insert, entry(P.exact, [exact([1])], action(P.drop))), .ok)
        XCTAssertEqual(try f.code(.insert, entry(P.exact, [exact([1])], action(P.setPort, [1: [3]]))), .alreadyExists)
        XCTAssertEqual(try f.read(entry(P.exact, []))[0].tableEntry.action.action.actionID, P.drop)
    }

    func testModifyMissingIsNotFound() throws {
        XCTAssertEqual(try Fixture().code(.modify, entry(P.exact, [exact([1])], action(P.drop))), .notFound)
    }

    func testDeleteMissingIsNotFound() throws {
        XCTAssertEqual(try Fixture().code(.delete, entry(P.route, [lpm([10, 0, 0, 0], 8)])), .notFound)
    }

    func testModifyReplacesActionAndDeleteIgnoresNonKeyFields() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.code(.insert, entry(P.exact, [exact([1])], action(P.drop))), .ok)
        XCTAssertEqual(try f.code(.modify, entry(P.exact, [exact([1])], action(P.setPort, [1: [9]]))), .ok)
        XCTAssertEqual(try f.read(entry(P.exact, []))[0].tableEntry.action.action.params[0].value, Data([9]))
        XCTAssertEqual(try f.code(.delete, entry(P.exact, [exact([0, 1])], action(0x0100_00ff))), .ok)
        XCTAssertTrue(try f.read(entry(P.exact, [])).isEmpty)
    }

    func testTableSizeIsResourceExhausted() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.codes((1...3).map { update(.insert, entry(P.exact, [exact([$0])], action(P.drop))) }), [.ok, .ok, .resourceExhausted])
    }

    func testUnspecifiedUpdateTypeAndEmptyEntityAreInvalidArgument() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.code(.unspecified, entry(P.exact, [exact([1])], action(P.drop))), .invalidArgument)
        XCTAssertEqual(try f.code(.insert, P4_V1_Entity()), .invalidArgument)
    }

    func testUnsupportedEntityKindIsUnimplemented() throws {
        var entity = P4_V1_Entity()
        entity.registerEntry.registerID = 0x1600_0001
        XCTAssertEqual(try Fixture().code(.modify, entity), .unimplemented)
    }

    func testIsConstInWriteIsInvalidArgument() throws {
        var e = entry(P.exact, [exact([1])], action(P.drop))
        e.tableEntry.isConst = true
        XCTAssertEqual(try Fixture().code(.insert, e), .invalidArgument)
    }

    func testWriteWithoutPipelineIsFailedPrecondition() throws {
        let f = try Fixture(pipeline: false)
        XCTAssertEqual(thrownCode { _ = try f.core.write(writeRequest([update(.insert, entry(P.exact, [exact([1])], action(P.drop)))])) }, .failedPrecondition)
    }

    func testWriteFromNonPrimaryIsPermissionDenied() throws {
        let f = try Fixture()
        XCTAssertEqual(thrownCode { _ = try f.core.write(writeRequest([], election: 9)) }, .permissionDenied)
    }

    func testWriteToUnknownDeviceIsNotFound() throws {
        let f = try Fixture()
        var request = writeRequest([])
        request.deviceID = 7
        XCTAssertEqual(thrownCode { _ = try f.core.write(request) }, .notFound)
    }
}
