import P4RuntimeClient

/// Where a `DataplaneTransaction` is written and what reconciliation reads back: a P4Runtime
/// target in production, an in-memory fake in unit tests.
protocol DataplaneTarget: Sendable {
    /// Writes `updates` with CONTINUE_ON_ERROR semantics; per-update failures surface as
    /// `P4RuntimeError(.updatesFailed)` with the failed indexes. Entities come encoded, as the
    /// model keeps them (`PackedEntity`).
    func write(_ updates: [P4EncodedUpdate]) async throws
    /// Every entry (with default entries), member and group of the given tables and profiles.
    func read(tables: [UInt32], profiles: [UInt32]) async throws -> TargetObjects
}
