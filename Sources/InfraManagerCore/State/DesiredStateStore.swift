/// Owns the node's desired state and its generation counter.
///
/// Every change goes through `apply`, which runs the mutation on a copy, checks the copy's
/// consistency and only then publishes it. The generation grows only when something
/// actually changed, so an agent replaying the same request sees the same generation.
public actor DesiredStateStore {
    public private(set) var state = DesiredState()
    public private(set) var generation: UInt64 = 0

    public init() {}

    /// Applies a mutation all or nothing; returns its result and the generation after it.
    public func apply<Result: Sendable>(
        _ mutation: @Sendable (inout DesiredState) throws -> (Result, changed: Bool)
    ) throws -> (Result, generation: UInt64) {
        var candidate = state
        let (result, changed) = try mutation(&candidate)
        if changed {
            try candidate.checkConsistency()
            state = candidate
            generation += 1
        }
        return (result, generation)
    }
}
