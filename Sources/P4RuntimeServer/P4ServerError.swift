import GRPCCore
import P4RuntimeAPI
import SwiftProtobuf

/// An error the emulated P4Runtime server answers with.
///
/// Every P4Runtime rule maps to one google.rpc code (facts §4), so the code is the part tests
/// and clients look at; the message says which rule and which value. `details` is filled only
/// for the UNKNOWN error of a Write or Read with per-update / per-entity failures (§10, §12.3):
/// one `p4.v1.Error` per update, in request order, OK for the ones that worked.
public struct P4ServerError: Error, Sendable, CustomStringConvertible {
    /// A google.rpc code; a struct over a private enum so codes can be added without breaking
    /// exhaustive switches in callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Int32, Hashable, Sendable {
            case ok = 0, unknown = 2, invalidArgument = 3, notFound = 5, alreadyExists = 6
            case permissionDenied = 7, resourceExhausted = 8, failedPrecondition = 9
            case outOfRange = 11, unimplemented = 12, internalError = 13
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        public static let ok = Code(.ok)
        public static let unknown = Code(.unknown)
        public static let invalidArgument = Code(.invalidArgument)
        public static let notFound = Code(.notFound)
        public static let alreadyExists = Code(.alreadyExists)
        public static let permissionDenied = Code(.permissionDenied)
        public static let resourceExhausted = Code(.resourceExhausted)
        public static let failedPrecondition = Code(.failedPrecondition)
        public static let outOfRange = Code(.outOfRange)
        public static let unimplemented = Code(.unimplemented)
        public static let internalError = Code(.internalError)

        /// The google.rpc.Code number, as carried in `Status.code` and `p4.v1.Error.canonical_code`.
        public var rawValue: Int32 { wrapped.rawValue }

        /// The same code as grpc-swift's status code (OK has none: it is never thrown).
        public var rpcCode: RPCError.Code {
            RPCError.Code(Status.Code(rawValue: Int(rawValue)) ?? .unknown) ?? .unknown
        }

        public var description: String { String(describing: wrapped) }
    }

    public var code: Code
    public var message: String
    /// Per-update (Write) or per-entity (Read) results; empty for an RPC-wide failure.
    public var details: [P4_V1_Error]
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, details: [P4_V1_Error] = [], file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.details = details
        self.file = file
        self.line = line
    }

    public var description: String { "\(code): \(message)" }

    /// The per-update form (§10): canonical code and message, nothing else.
    public var p4Error: P4_V1_Error {
        var error = P4_V1_Error()
        error.canonicalCode = code.rawValue
        error.message = message
        return error
    }

    /// The gRPC error to end the RPC with. With details, the google.rpc.Status goes into the
    /// `grpc-status-details-bin` trailer, its code and message equal to the gRPC ones (§10).
    public var rpcError: RPCError {
        var metadata = Metadata()
        if !details.isEmpty, let bytes = statusDetails() {
            metadata.addBinary(bytes, forKey: "grpc-status-details-bin")
        }
        return RPCError(code: code.rpcCode, message: message, metadata: metadata)
    }

    /// The most bytes of encoded google.rpc.Status the trailer carries before messages are
    /// shortened: in base64 (4/3 larger) and with the other trailers it stays below the 16 KiB
    /// header list that gRPC stacks accept by default (NIOHPACK's fixed limit among them). A
    /// trailer over that limit is dropped with the stream and the client learns nothing.
    static let detailsBudget = 11_000

    /// The status with one `p4.v1.Error` per update. When it would not fit `detailsBudget`,
    /// the per-update messages are cut shorter (64, 16, then 0 characters), so a failed batch
    /// of up to ~280 updates still reports every update's code (App. "gRPC Metadata Maximum
    /// Size"). Larger batches go out whole and their details are lost, as with any target.
    private func statusDetails() -> [UInt8]? {
        var status = Google_Rpc_Status()
        status.code = code.rawValue
        status.message = message
        var bytes: [UInt8]?
        for limit in [Int.max, 64, 16, 0] {
            status.details = details.map { error in
                var error = error
                if error.message.count > limit { error.message = String(error.message.prefix(limit)) }
                // Packing a p4.v1.Error into Any cannot fail; an empty Any would still be one per update.
                return (try? Google_Protobuf_Any(message: error)) ?? Google_Protobuf_Any()
            }
            bytes = try? status.serializedBytes()
            if let size = bytes?.count, size <= Self.detailsBudget { break }
        }
        return bytes
    }

    /// Any error as a server error; what a backend throws without a code is INTERNAL.
    static func wrapping(_ error: any Error) -> P4ServerError {
        if let error = error as? P4ServerError { return error }
        return P4ServerError(.internalError, "target error: \(error)")
    }
}
