import GRPCCore
import P4RuntimeAPI

/// An error from a P4Runtime call, with the server's per-update errors when it sent them.
///
/// The code is a struct over a private enum (as in grpc-swift-2's `RPCError`) so codes can be
/// added without breaking exhaustive switches; every error carries the place that raised it.
public struct P4RuntimeError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case rpcFailed, updatesFailed, readFailed, notPrimary, noPipeline, unsupported, arbitrationRefused, electionIDNotPersisted
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The RPC failed as a whole (transport, unknown device, bad request, ...); see `rpcCode`.
        public static let rpcFailed = Code(.rpcFailed)
        /// A Write was tried update by update and some failed; see `failures`.
        public static let updatesFailed = Code(.updatesFailed)
        /// A Read failed for some of the requested entities; see `failures`.
        public static let readFailed = Code(.readFailed)
        /// The server refused a Write or SetForwardingPipelineConfig: this client is not primary.
        public static let notPrimary = Code(.notPrimary)
        /// No pipeline is set (on the server), or no P4Info is known to the client for names.
        public static let noPipeline = Code(.noPipeline)
        /// The server does not implement the request (e.g. RECONCILE_AND_COMMIT, atomicity).
        public static let unsupported = Code(.unsupported)
        /// Arbitration ended without making this client primary (see `waitUntilPrimary`).
        public static let arbitrationRefused = Code(.arbitrationRefused)
        /// `ElectionID.forStartup` could not record the id it chose, so a restart could reuse it.
        public static let electionIDNotPersisted = Code(.electionIDNotPersisted)

        public var description: String { String(describing: wrapped) }
    }

    public var code: Code
    public var message: String
    /// The gRPC status code, when the error came from the server or the transport.
    public var rpcCode: RPCError.Code?
    /// Each failed update (Write) or entity (Read), by its index in the request.
    public var failures: [P4UpdateFailure]
    public var file: String
    public var line: Int

    public init(
        _ code: Code, _ message: String, rpcCode: RPCError.Code? = nil, failures: [P4UpdateFailure] = [],
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.rpcCode = rpcCode
        self.failures = failures
        self.file = file
        self.line = line
    }

    public var description: String {
        guard !failures.isEmpty else { return "\(code): \(message)" }
        return "\(code): \(message)\n" + failures.map { "  \($0)" }.joined(separator: "\n")
    }
}

extension P4RuntimeError {
    /// Maps a failed call to our error: per-update details (§10, §12.3) become `failures`, and
    /// the codes P4Runtime gives a fixed meaning get their own `Code`.
    ///
    /// `requestCount` is the number of updates or entities sent, used to check that the server
    /// answered one detail per item as the spec demands.
    init(_ error: RPCError, operation: String, requestCount: Int, file: String = #fileID, line: Int = #line) {
        let status = P4StatusDetails.status(in: error)
        let failures = status.map { P4UpdateFailure.failures(in: $0) } ?? []
        let prefix = "\(operation): \(error.code)"
        switch error.code {
        case .unknown where status != nil:
            let detailCount = status?.details.count ?? 0
            let countNote = detailCount == requestCount ? "" : " (server sent \(detailCount) details for \(requestCount) items)"
            let kind: Code = operation == "Read" ? .readFailed : .updatesFailed
            self.init(kind, "\(operation): \(failures.count) of \(requestCount) failed\(countNote): \(error.message)",
                      rpcCode: error.code, failures: failures, file: file, line: line)
        case .permissionDenied:
            self.init(.notPrimary, "\(prefix): \(error.message) (this client is not the primary for its device and role)",
                      rpcCode: error.code, file: file, line: line)
        case .failedPrecondition:
            self.init(.noPipeline, "\(prefix): \(error.message)", rpcCode: error.code, file: file, line: line)
        case .unimplemented:
            self.init(.unsupported, "\(prefix): \(error.message)", rpcCode: error.code, file: file, line: line)
        default:
            // App. "gRPC Metadata Maximum Size": a per-update error trailer that outgrew the
            // header limit is dropped by the gRPC layer (RESOURCE_EXHAUSTED), or by our HTTP/2
            // stack together with the stream (UNAVAILABLE), so a large batch loses its details.
            let large = operation == "Write" && status == nil
                && (error.code == .resourceExhausted || (error.code == .unavailable && requestCount > 300))
            let hint = large ? " (a per-update error trailer for \(requestCount) updates may have exceeded the header size limit; send smaller batches)" : ""
            self.init(.rpcFailed, "\(prefix): \(error.message)\(hint)", rpcCode: error.code, file: file, line: line)
        }
    }
}
