import Foundation
@testable import P4RuntimeClient
import P4RuntimeAPI
import SwiftProtobuf
import XCTest

/// The Write request the client frames from already-encoded entities must be, for any
/// decoder, the request swift-protobuf would have built from the messages.
final class EncodedWriteTests: XCTestCase {
    func testFramedRequestDecodesToTheSameRequestAsTheMessages() throws {
        let updates = Self.sampleUpdates()
        let header = P4_V1_WriteRequest.with {
            $0.deviceID = 300
            $0.role = "k8s"
            $0.electionID = .with { $0.high = 1; $0.low = 1 << 40 }
            $0.atomicity = .continueOnError
        }
        let framed = EncodedWriteRequest(header: header, updates: updates.map(P4EncodedUpdate.init)[...])
        var expected = header
        expected.updates = updates
        XCTAssertEqual(try P4_V1_WriteRequest(serializedBytes: framed.bytes), expected)
        // A reference encoder puts the same fields in field-number order; the framed request
        // carries the same bytes, only the scalar fields come first.
        let reference: [UInt8] = try expected.serializedBytes()
        XCTAssertEqual(framed.bytes.count, reference.count)
    }

    func testAnUpdateIsFramedExactlyAsSwiftProtobufEncodesIt() throws {
        for update in Self.sampleUpdates() + [P4_V1_Update(.unspecified, P4_V1_Entity())] {
            var framed: [UInt8] = []
            P4EncodedUpdate(update).append(asWriteRequestField: &framed)
            let reference: [UInt8] = try P4_V1_WriteRequest.with { $0.updates = [update] }.serializedBytes()
            XCTAssertEqual(framed, reference, "update \(update)")
            XCTAssertEqual(try P4EncodedUpdate(update).decoded, update)
        }
    }

    func testVarintsOfEveryLengthClass() {
        for value: UInt64 in [0, 1, 127, 128, 300, 16_383, 16_384, 2_097_151, 2_097_152, 1 << 35, .max] {
            var output: [UInt8] = []
            ProtoWire.appendVarint(value, to: &output)
            XCTAssertEqual(output.count, ProtoWire.varintSize(value), "\(value)")
            var decoded: UInt64 = 0
            for (index, byte) in output.enumerated() { decoded |= UInt64(byte & 0x7f) << (7 * UInt64(index)) }
            XCTAssertEqual(decoded, value)
            XCTAssertEqual(output.last.map { $0 & 0x80 }, 0, "the last byte ends the varint")
        }
    }

    /// Updates of each type with entities small and large (an entity over 127 bytes needs a
    /// two-byte length, one over 16 KiB three).
    static func sampleUpdates() -> [P4_V1_Update] {
        let entry = P4_V1_TableEntry.with {
            $0.tableID = 33_554_433
            $0.match = [.with { $0.fieldID = 1; $0.exact = .with { $0.value = Data([10, 0, 0, 1]) } }]
            $0.action = .with { $0.action = .with { $0.actionID = 16_777_217; $0.params = [.with { $0.paramID = 1; $0.value = Data([2]) }] } }
        }
        let group = P4_V1_ActionProfileGroup.with {
            $0.actionProfileID = 285_212_673
            $0.groupID = 7
            $0.members = (1...40).map { id in .with { $0.memberID = UInt32(id); $0.weight = 1 } }
        }
        let bigMember = P4_V1_ActionProfileMember.with {
            $0.actionProfileID = 285_212_673
            $0.memberID = 9
            $0.action = .with { $0.actionID = 5; $0.params = [.with { $0.paramID = 1; $0.value = Data(repeating: 0xab, count: 20_000) }] }
        }
        return [
            .insert(P4_V1_Entity(entry)), .modify(P4_V1_Entity(group)), .delete(P4_V1_Entity(entry)),
            .insert(P4_V1_Entity(bigMember)),
        ]
    }
}
