import GRPCCore
import InfraAPI
import InfraChannel
import Logging
import Metrics
import Synchronization

/// Keeps an agent attached to its manager and the manager's state in line with the agent's.
///
/// The loop: open an Attach stream; when the manager answers, send a full Sync (so a
/// restarted or replaced manager converges at once); then follow the stream, syncing again
/// whenever the manager asks. When the stream breaks, wait a capped, jittered exponential
/// backoff and start over. A connection that stayed up for a while resets the backoff.
public final class ManagerLink<Transport: ClientTransport>: Sendable {
    public typealias StateProvider = @Sendable () async -> Infra_V1_SyncRequest

    public struct Settings: Sendable {
        public var nodeName: String
        public var backoff: Backoff
        /// How long a session must last before the backoff starts over.
        public var healthyAfter: Duration
        /// The kinds each Sync replaces on the manager: only those the agent is the source of.
        public var syncScope: SyncScope

        public init(nodeName: String, backoff: Backoff = Backoff(), healthyAfter: Duration = .seconds(10), syncScope: SyncScope = .all) {
            self.nodeName = nodeName
            self.backoff = backoff
            self.healthyAfter = healthyAfter
            self.syncScope = syncScope
        }
    }

    public enum State: Sendable, Equatable {
        case connecting
        case connected(generation: UInt64)
        case waiting(reason: String)
    }

    private let client: GRPCClient<Transport>
    private let settings: Settings
    private let stateProvider: StateProvider
    private let pendingResync: PendingResync
    private let stop: GracefulStop
    private let logger: Logger
    private let current = Mutex<State>(.connecting)
    private let reconnects = Counter(label: "infra_agent_reconnects_total")
    private let connectedGauge = Gauge(label: "infra_agent_connected")

    public init(
        client: GRPCClient<Transport>, settings: Settings, stop: GracefulStop, logger: Logger,
        pendingResync: PendingResync = PendingResync(), stateProvider: @escaping StateProvider
    ) {
        self.client = client
        self.settings = settings
        self.pendingResync = pendingResync
        self.stop = stop
        self.logger = logger
        self.stateProvider = stateProvider
    }

    public var state: State { current.withLock { $0 } }

    /// Runs until `stop` is triggered or the task is cancelled.
    public func run() async {
        let stop = self.stop
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await stop.wait() }
            group.addTask { await self.reconnectLoop() }
            await group.next()
            group.cancelAll()
        }
    }

    private func reconnectLoop() async {
        var backoff = settings.backoff
        var first = true
        while !Task.isCancelled {
            if !first { reconnects.increment() }
            first = false
            set(.connecting)
            let started = ContinuousClock.now
            let reason: String
            do {
                try await session()
                reason = "manager closed the session"
            } catch {
                reason = Self.describe(error)
            }
            connectedGauge.record(0)
            if Task.isCancelled { break }
            if ContinuousClock.now - started >= settings.healthyAfter { backoff.reset() }
            let delay = backoff.next()
            set(.waiting(reason: reason))
            logger.warning("manager session ended; reconnecting", metadata: [
                "reason": "\(reason)", "retry_in_ms": "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)",
            ])
            do { try await Task.sleep(for: delay) } catch { break }
        }
    }

    /// One Attach stream, from connect to break.
    private func session() async throws {
        let manager = Infra_V1_InfraManager.Client(wrapping: client)
        let request = Infra_V1_AttachRequest.with {
            $0.nodeName = settings.nodeName
            $0.agentVersion = InfraVersion.release
        }
        try await manager.attach(request) { response in
            for try await event in response.messages {
                switch event.event {
                case .attached(let attached)?:
                    self.logger.info("attached to manager", metadata: ["manager_version": "\(attached.managerVersion)"])
                    try await self.sync(manager)
                case .resyncRequested(let resync)?:
                    self.logger.info("manager asked for a resync", metadata: ["reason": "\(resync.reason)"])
                    try await self.sync(manager)
                case .heartbeat?:
                    // The manager is reachable again after a call to it failed: settle the
                    // unknown outcome with a full Sync.
                    if let reason = self.pendingResync.take() {
                        self.logger.info("resyncing after a failed manager call", metadata: ["reason": "\(reason)"])
                        try await self.sync(manager)
                    }
                case nil:
                    continue
                }
            }
        }
    }

    private func sync(_ manager: Infra_V1_InfraManager.Client<Transport>) async throws {
        // Any Sync settles an owed one: the state below is taken after this point.
        _ = pendingResync.take()
        var request = await stateProvider()
        request.scope = settings.syncScope.wire
        let response = try await manager.sync(request)
        connectedGauge.record(1)
        set(.connected(generation: response.generation))
        Counter(label: "infra_agent_syncs_total").increment()
        logger.info("sync done", metadata: ["generation": "\(response.generation)"])
    }

    private func set(_ state: State) { current.withLock { $0 = state } }

    static func describe(_ error: any Error) -> String {
        if let rpc = error as? RPCError { return "\(rpc.code): \(rpc.message)" }
        return String(describing: error)
    }
}
