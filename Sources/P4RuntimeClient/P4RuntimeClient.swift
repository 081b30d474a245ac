import Foundation
import GRPCCore
import InfraChannel
import Logging
import P4Info
import P4RuntimeAPI
import Synchronization

/// The controller side of P4Runtime for one (device, role): arbitration on a StreamChannel
/// kept open across drops, pipeline config, batched Write, streaming Read and Capabilities.
///
/// The caller owns the `GRPCClient` and runs its connections; `maintainArbitration()` (or
/// `P4RuntimeClient.run`) keeps the stream and the primary/backup state. Calls that need
/// primacy do not wait for it: the server decides, and refuses with PERMISSION_DENIED, which
/// surfaces as `P4RuntimeError.Code.notPrimary`.
public final class P4RuntimeClient<Transport: ClientTransport>: Sendable {
    public struct Configuration: Sendable {
        /// The P4Runtime device id (non-zero per §5.1; some targets use 0 in practice).
        public var deviceID: UInt64
        /// The role name; empty is the default role (full access), sent as "role unset".
        public var role: String
        public var electionID: ElectionID
        /// Delay between arbitration attempts after the stream drops or is refused.
        public var backoff: Backoff
        /// How long a stream must stay up before the backoff starts over.
        public var healthyAfter: Duration
        /// The most updates one Write request carries; `write` splits longer lists.
        ///
        /// Why a limit: a failed batch returns one `Any(p4.v1.Error)` per update in the
        /// `grpc-status-details-bin` trailer (base64: ~47 bytes for an update that worked, ~100
        /// for one that failed with a typical message), and our HTTP/2 stack accepts at most
        /// 16 KiB of headers (NIOHPACK's fixed default; the transport does not expose it). A
        /// trailer that does not fit is dropped with the stream, and every detail is lost. The
        /// default follows the spec's rule of thumb, 8192 + 100 × updates (App. "gRPC Metadata
        /// Maximum Size"): 8192 + 6400 < 16384 even if all 64 fail.
        public var maxUpdatesPerWrite: Int
        /// How many of one `write` call's requests may be in flight at once (1: one after
        /// another). More hide the round trip: the target decodes one request while it applies
        /// another. Safe because a `write` call's updates carry no order among themselves
        /// (the server may reorder a batch anyway, §12.2).
        public var maxWritesInFlight: Int

        public init(
            deviceID: UInt64 = 1, role: String = "", electionID: ElectionID,
            backoff: Backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(10)),
            healthyAfter: Duration = .seconds(10), maxUpdatesPerWrite: Int = 64, maxWritesInFlight: Int = 1
        ) {
            self.deviceID = deviceID
            self.role = role
            self.electionID = electionID
            self.backoff = backoff
            self.healthyAfter = healthyAfter
            self.maxUpdatesPerWrite = max(1, maxUpdatesPerWrite)
            self.maxWritesInFlight = max(1, maxWritesInFlight)
        }
    }

    struct Shared {
        var arbitration = ArbitrationState.disconnected(reason: "not started")
        var observers: [UUID: AsyncStream<ArbitrationState>.Continuation] = [:]
        /// Set when `maintainArbitration` returns: no state change can follow.
        var stopped = false
        var p4info: P4InfoIndex?
    }

    public let configuration: Configuration
    let stub: P4_V1_P4Runtime.Client<Transport>
    /// For calls the generated stub cannot type: a Write whose updates are already encoded.
    let grpc: GRPCClient<Transport>
    let logger: Logger
    let shared: Mutex<Shared>

    public init(client: GRPCClient<Transport>, configuration: Configuration, p4info: P4InfoIndex? = nil, logger: Logger) {
        self.configuration = configuration
        self.stub = P4_V1_P4Runtime.Client(wrapping: client)
        self.grpc = client
        self.logger = logger
        var shared = Shared()
        shared.p4info = p4info
        self.shared = Mutex(shared)
    }

    /// Runs `body` with a client whose connections and arbitration stream run alongside it;
    /// both stop when `body` returns.
    public static func run<Result: Sendable>(
        transport: Transport, configuration: Configuration, p4info: P4InfoIndex? = nil, logger: Logger,
        _ body: @Sendable (P4RuntimeClient) async throws -> Result
    ) async throws -> Result {
        try await withGRPCClient(transport: transport) { grpc in
            let client = P4RuntimeClient(client: grpc, configuration: configuration, p4info: p4info, logger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.maintainArbitration() }
                defer { group.cancelAll() }
                return try await body(client)
            }
        }
    }

    /// The P4Info used by the name-based helpers: the one given at init or last committed.
    public var p4info: P4InfoIndex? { shared.withLock { $0.p4info } }

    public func setP4Info(_ index: P4InfoIndex?) { shared.withLock { $0.p4info = index } }

    /// The P4Info, or `.noPipeline` naming what needed it.
    func requireP4Info(for what: String) throws -> P4InfoIndex {
        guard let index = p4info else {
            throw P4RuntimeError(.noPipeline, "\(what) needs a P4Info: pass one at init, call setP4Info, or set a pipeline first")
        }
        return index
    }

    /// The role as sent in requests: unset (empty) for the default role.
    var roleName: String { configuration.role }

    /// `Capabilities`: the P4Runtime API version the server implements, e.g. "1.5.0".
    public func capabilities() async throws -> String {
        let request = P4_V1_CapabilitiesRequest.with { $0.deviceID = configuration.deviceID }
        let response = try await call("Capabilities", count: 0) { try await self.stub.capabilities(request) }
        return response.p4RuntimeApiVersion
    }

    /// Runs one RPC and maps its `RPCError` to `P4RuntimeError`.
    func call<R: Sendable>(_ operation: String, count: Int, _ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let error as RPCError {
            throw P4RuntimeError(error, operation: operation, requestCount: count)
        }
    }
}
