/// Lets one async critical section run at a time, in arrival order.
///
/// Actors alone do not serialize work that awaits in the middle (a target write); two
/// requests interleaving there would both diff against the same old state. Every change of
/// desired state and every reconciliation passes this gate.
actor SerialGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
