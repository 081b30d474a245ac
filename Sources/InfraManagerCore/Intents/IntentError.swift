import GRPCCore

/// A request the manager refuses, naming the field (as a path into the request) and value.
public struct IntentError: Error, Hashable, Sendable, CustomStringConvertible {
    public let field: String
    public let value: String?
    public let reason: String
    /// True when the request is well-formed but clashes with other desired state; it maps
    /// to FAILED_PRECONDITION instead of INVALID_ARGUMENT.
    public let isConflict: Bool

    public init(field: String, value: String?, reason: String, isConflict: Bool = false) {
        self.field = field
        self.value = value
        self.reason = reason
        self.isConflict = isConflict
    }

    public var description: String {
        if let value { return "\(field): \"\(value)\" \(reason)" }
        return "\(field): \(reason)"
    }

    /// The gRPC status an agent sees, with this description as its message.
    public var rpcError: RPCError {
        RPCError(code: isConflict ? .failedPrecondition : .invalidArgument, message: description)
    }
}
