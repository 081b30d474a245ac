import Synchronization

/// A full Sync owed to the manager, set when a call to it failed without a clear outcome.
///
/// Why: when the channel is cut, a CreatePodNetwork or DeletePodNetwork that timed out may
/// still reach the manager once the channel is back (TCP delivers what it had queued), so
/// the manager can end up holding a pod the agent undid, or missing one it kept. A cut that
/// is shorter than the keepalive timeout never breaks the Attach stream, so no reconnect
/// Sync would repair that; the manager link therefore syncs at the manager's next heartbeat.
public final class PendingResync: Sendable {
    private let reason = Mutex<String?>(nil)

    public init() {}

    /// Records that a Sync is owed, and why (the latest reason wins).
    public func request(_ why: String) {
        reason.withLock { $0 = why }
    }

    /// The reason, if a Sync is owed; clears it (the Sync about to run settles it).
    func take() -> String? {
        reason.withLock { reason in
            defer { reason = nil }
            return reason
        }
    }
}
