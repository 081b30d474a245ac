import Foundation
import P4RuntimeAPI
import SwiftProtobuf
@testable import P4RuntimeServer
import XCTest

/// StreamChannel arbitration (§5, facts §4.10).
final class ArbitrationTests: XCTestCase {
    /// The next arbitration status code a session received.
    private func nextStatus(_ session: P4StreamSession) async -> Int32? {
        var iterator = session.responses.makeAsyncIterator()
        return await iterator.next()?.arbitration.status.code
    }

    func testHighestElectionIDIsPrimaryAndEveryoneIsNotified() async throws {
        let core = P4RuntimeCore(deviceID: 1)
        let a = core.openStream()
        let b = core.openStream()
        try a.receive(arbitration(election: 5))
        let first = await nextStatus(a)
        XCTAssertEqual(first, 0, "OK to the primary")
        try b.receive(arbitration(election: 3))
        let backup = await nextStatus(b)
        XCTAssertEqual(backup, 6, "ALREADY_EXISTS to a backup while there is a primary")
        try b.receive(arbitration(election: 8))
        let (toA, toB) = (await nextStatus(a), await nextStatus(b))
        XCTAssertEqual(toA, 6, "the old primary hears it is a backup now")
        XCTAssertEqual(toB, 0)
        XCTAssertEqual(thrownCode { _ = try core.write(writeRequest([], election: 5)) }, .permissionDenied)
        XCTAssertEqual(thrownCode { _ = try core.write(writeRequest([], election: 8)) }, .failedPrecondition, "primary, but no pipeline yet")
    }

    func testPrimaryDisconnectLeavesNoPrimary() async throws {
        let core = P4RuntimeCore(deviceID: 1)
        let a = core.openStream()
        let b = core.openStream()
        try a.receive(arbitration(election: 5))
        try b.receive(arbitration(election: 3))
        a.close()
        var iterator = b.responses.makeAsyncIterator()
        _ = await iterator.next()
        let after = await iterator.next()
        XCTAssertEqual(after?.arbitration.status.code, 5, "NOT_FOUND: no primary, the backup is not promoted")
        XCTAssertEqual(after?.arbitration.electionID.low, 5, "the high-water mark stays")
        XCTAssertEqual(thrownCode { _ = try core.write(writeRequest([], election: 3)) }, .permissionDenied)
    }

    func testDuplicateElectionIDIsInvalidArgument() throws {
        let core = P4RuntimeCore(deviceID: 1)
        try core.openStream().receive(arbitration(election: 5))
        XCTAssertEqual(thrownCode { try core.openStream().receive(arbitration(election: 5)) }, .invalidArgument)
    }

    func testUnknownDeviceIsNotFound() throws {
        let core = P4RuntimeCore(deviceID: 1)
        XCTAssertEqual(thrownCode { try core.openStream().receive(arbitration(election: 5, device: 2)) }, .notFound)
    }

    func testChangingDeviceOrRoleOnAStreamIsFailedPrecondition() throws {
        let core = P4RuntimeCore(deviceID: 1)
        let a = core.openStream()
        try a.receive(arbitration(election: 5))
        XCTAssertEqual(thrownCode { try a.receive(arbitration(election: 5, device: 2)) }, .failedPrecondition)
        XCTAssertEqual(thrownCode { try a.receive(arbitration(election: 5, role: "other")) }, .failedPrecondition)
    }

    func testRolesAreElectedSeparately() throws {
        let core = P4RuntimeCore(deviceID: 1)
        try core.openStream().receive(arbitration(election: 5))
        try core.openStream().receive(arbitration(election: 5, role: "observer"))
        var request = writeRequest([], election: 5)
        request.role = "observer"
        XCTAssertEqual(thrownCode { _ = try core.write(request) }, .failedPrecondition, "primary of its own role")
    }

    func testRoleConfigIsInvalidArgument() throws {
        let core = P4RuntimeCore(deviceID: 1)
        var message = arbitration(election: 5, role: "scoped")
        message.arbitration.role.config = Google_Protobuf_Any()
        XCTAssertEqual(thrownCode { try core.openStream().receive(message) }, .invalidArgument)
    }
}
