import GRPCCore

/// A request the manager refuses, naming the field (as a path into the request) and value.
public struct IntentError: Error, Hashable, Sendable, CustomStringConvertible {
    public let field: String
    public let value: String?
    public let reason: String
    /// True when the request is well-formed but clashes with other desired state; it maps
    /// to FAILED_PRECONDITION instead of INVALID_ARGUMENT.
    public let isConflict: Bool
    /// True when the request is valid but does not fit the target's tables; it maps to
    /// RESOURCE_EXHAUSTED and names the table.
    public let exceedsCapacity: Bool

    public init(field: String, value: String?, reason: String, isConflict: Bool = false, exceedsCapacity: Bool = false) {
        self.field = field
        self.value = value
        self.reason = reason
        self.isConflict = isConflict
        self.exceedsCapacity = exceedsCapacity
    }

    /// A request that would overflow a target resource (`what` names the intent).
    static func capacity(_ what: String, _ reason: String) -> IntentError {
        IntentError(field: what, value: nil, reason: reason, exceedsCapacity: true)
    }

    public var description: String {
        if let value { return "\(field): \"\(value)\" \(reason)" }
        return "\(field): \(reason)"
    }

    /// The gRPC status an agent sees, with this description as its message.
    public var rpcError: RPCError {
        RPCError(code: exceedsCapacity ? .resourceExhausted : isConflict ? .failedPrecondition : .invalidArgument, message: description)
    }
}
