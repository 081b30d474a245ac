import GRPCCore
import P4RuntimeAPI
import SwiftProtobuf

/// The P4Runtime rich-error format (§10): a google.rpc.Status in the `grpc-status-details-bin`
/// trailer whose details hold one `Any(p4.v1.Error)` per update, in request order.
///
/// We decode it with our own google.rpc.Status rather than GRPCProtobuf's `GoogleRPCStatus`:
/// that maps details to the standard error-detail types, and a p4.v1.Error would arrive only as
/// an opaque Any anyway. The encoding half exists for servers: the test fake and, later, the
/// emulated target answer with exactly what the client decodes.
public enum P4StatusDetails {
    public static let trailerKey = "grpc-status-details-bin"

    /// The google.rpc.Status in an error's trailer, if the server sent one.
    public static func status(in error: RPCError) -> Google_Rpc_Status? {
        for bytes in error.metadata[binaryValues: trailerKey] {
            if let status = try? Google_Rpc_Status(serializedBytes: bytes) { return status }
        }
        return nil
    }

    /// The status for a batch of `count` items of which `failures` failed: code UNKNOWN, and
    /// one detail per item, an empty p4.v1.Error (canonical code OK) for those that worked.
    public static func status(failures: [P4UpdateFailure], count: Int, message: String) -> Google_Rpc_Status {
        let byIndex = Dictionary(failures.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        return Google_Rpc_Status.with {
            $0.code = Int32(Google_Rpc_Code.unknown.rawValue)
            $0.message = message
            $0.details = (0..<count).map { index in
                var error = P4_V1_Error()
                if let failure = byIndex[index] {
                    error.canonicalCode = Int32(failure.canonicalCode.rawValue)
                    error.message = failure.message
                    error.space = failure.space
                    error.code = failure.code
                }
                // Packing cannot fail for a fully initialized proto3 message.
                return (try? Google_Protobuf_Any(message: error)) ?? Google_Protobuf_Any()
            }
        }
    }

    /// The error a server throws so the client sees `status`: gRPC code UNKNOWN (as the status
    /// says) with the status serialized into the trailer.
    public static func rpcError(for status: Google_Rpc_Status) -> RPCError {
        var metadata = Metadata()
        if let bytes: [UInt8] = try? status.serializedBytes() {
            metadata.addBinary(bytes, forKey: trailerKey)
        }
        let code = RPCError.Code(Status.Code(rawValue: Int(status.code)) ?? .unknown) ?? .unknown
        return RPCError(code: code, message: status.message, metadata: metadata)
    }
}
