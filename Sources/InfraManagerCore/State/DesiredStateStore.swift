/// Owns the node's desired state and its generation counter.
///
/// Every change goes through `apply`, which runs the mutation on a copy, checks the copy's
/// consistency, has the dataplane (when one is attached) program exactly what changed, and
/// only then publishes it. A refused request, or one the target refused, changes nothing.
/// The generation grows only when something actually changed, so an agent replaying the
/// same request sees the same generation.
public actor DesiredStateStore {
    public private(set) var state = DesiredState()
    public private(set) var generation: UInt64 = 0
    /// Programs each accepted change into the target; nil when no target is configured.
    public let dataplane: DataplaneProgrammer?
    private let gate = SerialGate()

    /// A store whose changes `dataplane` programs, starting from the state it restored.
    public init(dataplane: DataplaneProgrammer? = nil) {
        self.dataplane = dataplane
        if let restored = dataplane?.restored {
            state = restored.state
            generation = restored.generation
        }
    }

    /// Applies a mutation all or nothing; returns its result and the generation after it.
    public func apply<Result: Sendable>(
        _ mutation: @Sendable (inout DesiredState) throws -> (Result, changed: Bool)
    ) async throws -> (Result, generation: UInt64) {
        try await gate.run {
            try await self.applyAlone(mutation)
        }
    }

    /// The state and its generation, read together.
    func snapshot() -> (DesiredState, UInt64) { (state, generation) }

    /// Runs `body` while no change is being applied (reconciliation uses it).
    func exclusively<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await gate.run(body)
    }

    private func applyAlone<Result: Sendable>(
        _ mutation: (inout DesiredState) throws -> (Result, changed: Bool)
    ) async throws -> (Result, generation: UInt64) {
        var candidate = state
        let (result, changed) = try mutation(&candidate)
        guard changed else { return (result, generation) }
        try candidate.checkConsistency()
        if let dataplane {
            try await dataplane.program(from: state, to: candidate)
        }
        candidate.clearTouched()
        state = candidate
        generation += 1
        await dataplane?.stateChanged(in: self)
        return (result, generation)
    }
}
