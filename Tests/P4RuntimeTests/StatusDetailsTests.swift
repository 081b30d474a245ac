import Foundation
import GRPCCore
import P4RuntimeAPI
import P4RuntimeClient
import SwiftProtobuf
import XCTest

/// §10/§12.3: a failed batch is gRPC UNKNOWN with a google.rpc.Status trailer holding one
/// Any(p4.v1.Error) per update; successful updates have an empty Error (canonical code OK).
final class StatusDetailsTests: XCTestCase {
    func testDecodesPerUpdateErrorsFromATrailer() throws {
        // Built by hand, the way a server on the wire would: not through our own encoder.
        let ok = try Google_Protobuf_Any(message: P4_V1_Error())
        XCTAssertEqual(ok.typeURL, "type.googleapis.com/p4.v1.Error")
        XCTAssertTrue(ok.value.isEmpty, "an OK Error encodes to nothing")
        let exists = try Google_Protobuf_Any(message: P4_V1_Error.with {
            $0.canonicalCode = 6
            $0.message = "entry exists"
            $0.space = "emu-pna-infraoffload"
            $0.code = 42
        })
        let missing = try Google_Protobuf_Any(message: P4_V1_Error.with { $0.canonicalCode = 5; $0.message = "no such entry" })
        let status = Google_Rpc_Status.with {
            $0.code = 2
            $0.message = "Write failed"
            $0.details = [ok, exists, ok, missing]
        }
        var metadata = Metadata()
        metadata.addBinary(try status.serializedBytes(), forKey: "grpc-status-details-bin")
        let rpc = RPCError(code: .unknown, message: "Write failed", metadata: metadata)

        let failures = P4UpdateFailure.failures(in: try XCTUnwrap(P4StatusDetails.status(in: rpc)))
        XCTAssertEqual(failures, [
            P4UpdateFailure(index: 1, canonicalCode: .alreadyExists, message: "entry exists", space: "emu-pna-infraoffload", code: 42),
            P4UpdateFailure(index: 3, canonicalCode: .notFound, message: "no such entry"),
        ])
    }

    func testEncoderMatchesDecoderAndUnknownDetailsAreKept() throws {
        let failures = [P4UpdateFailure(index: 0, canonicalCode: .invalidArgument, message: "bad key")]
        var status = P4StatusDetails.status(failures: failures, count: 3, message: "1 of 3 failed")
        XCTAssertEqual(status.code, 2)
        XCTAssertEqual(status.details.count, 3)
        XCTAssertEqual(P4UpdateFailure.failures(in: status), failures)
        status.details[2] = try Google_Protobuf_Any(message: Google_Rpc_Status())
        XCTAssertEqual(P4UpdateFailure.failures(in: status).map(\.index), [0, 2])
        XCTAssertEqual(P4UpdateFailure.failures(in: status)[1].canonicalCode, .unknown)

        let rpc = P4StatusDetails.rpcError(for: status)
        XCTAssertEqual(rpc.code, .unknown)
        let decoded = try XCTUnwrap(P4StatusDetails.status(in: rpc))
        XCTAssertEqual(decoded.message, status.message)
        XCTAssertEqual(P4UpdateFailure.failures(in: decoded), P4UpdateFailure.failures(in: status))
    }

    func testNoTrailerMeansNoDetails() {
        XCTAssertNil(P4StatusDetails.status(in: RPCError(code: .permissionDenied, message: "not primary")))
    }
}
