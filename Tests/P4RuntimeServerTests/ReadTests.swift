import Foundation
import P4RuntimeAPI
@testable import P4RuntimeServer
import XCTest

/// Wildcard reads (§9.1.6, §13).
final class ReadTests: XCTestCase {
    typealias P = TestPipeline

    func testWildcardsAndKeyLookup() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.codes([
            update(.insert, entry(P.exact, [exact([1])], action(P.drop))),
            update(.insert, entry(P.exact, [exact([2])], action(P.setPort, [1: [1]]))),
            update(.insert, entry(P.route, [lpm([10, 0, 0, 0], 8)], action(P.drop))),
        ]), [.ok, .ok, .ok])
        XCTAssertEqual(try f.read(entry(0, [])).count, 3, "table_id 0 reads every table")
        XCTAssertEqual(try f.read(entry(P.exact, [])).count, 2, "empty match reads the whole table")
        let one = try f.read(entry(P.exact, [exact([0, 0, 0, 2])]))
        XCTAssertEqual(one.map(\.tableEntry.match), [[exact([2])]], "a key lookup with padding finds the canonical entry")
        XCTAssertEqual(try f.read(entry(P.exact, [], action(P.drop))).count, 1, "action filter")
    }

    func testReadWithoutPipelineIsFailedPrecondition() throws {
        let f = try Fixture(pipeline: false)
        XCTAssertEqual(thrownCode { _ = try f.read(entry(0, [])) }, .failedPrecondition)
    }

    func testEmptyEntityIsReportedPerEntity() throws {
        let f = try Fixture()
        var request = P4_V1_ReadRequest()
        request.deviceID = 1
        request.entities = [entry(P.exact, []), P4_V1_Entity()]
        let (_, failure) = try f.core.read(request)
        XCTAssertEqual(failure?.code, .unknown)
        XCTAssertEqual(failure?.details.map(\.canonicalCode), [0, 3])
    }

    func testUnknownDeviceIsNotFound() throws {
        let f = try Fixture()
        var request = P4_V1_ReadRequest()
        request.deviceID = 5
        XCTAssertEqual(thrownCode { _ = try f.core.read(request) }, .notFound)
    }
}
