import Foundation
import Logging
import P4Info
import P4RuntimeAPI
import Synchronization

/// One emulated P4Runtime device: arbitration, pipeline, validation and error codes over a
/// pluggable `P4TargetBackend`.
///
/// All state sits behind one lock and every Write and Read runs whole under it, so requests
/// are strictly serializable (§12.1, §13.4) without any further care in the backend.
/// The methods can be called directly (unit tests) or through the generated gRPC service
/// conformance in `P4RuntimeCore+Service.swift`.
public final class P4RuntimeCore: Sendable {
    /// The version whose rules this server follows (§17; facts §4.13).
    public static let apiVersion = "1.5.0"

    /// The one device id this server answers for; others get NOT_FOUND (§5.3).
    public let deviceID: UInt64
    let logger: Logger
    let state: Mutex<CoreState>

    public init(deviceID: UInt64 = 1, backend: some P4TargetBackend = InMemoryBackend(), logger: Logger = Logger(label: "p4runtime.server")) {
        self.deviceID = deviceID
        self.logger = logger
        self.state = Mutex(CoreState(backend: backend))
    }

    /// Capabilities (§17): server-wide for device 0, NOT_FOUND for an unknown device.
    public func capabilities(_ request: P4_V1_CapabilitiesRequest) throws -> P4_V1_CapabilitiesResponse {
        if request.deviceID != 0 { try checkDevice(request.deviceID) }
        var response = P4_V1_CapabilitiesResponse()
        response.p4RuntimeApiVersion = Self.apiVersion
        return response
    }

    func checkDevice(_ id: UInt64, file: String = #fileID, line: Int = #line) throws {
        guard id == deviceID else {
            throw P4ServerError(.notFound, "unknown device id \(id); this target is device \(deviceID)", file: file, line: line)
        }
    }
}

/// A committed pipeline: the P4Info index the rules are checked against and the config as
/// sent, so Get can return it unchanged (cookie included).
struct ActivePipeline: Sendable {
    var index: P4InfoIndex
    var config: P4_V1_ForwardingPipelineConfig
}

/// A config stored by VERIFY_AND_SAVE and not yet committed. Writes made meanwhile use its
/// ids (§14) and land in `staging`, a software record replayed into the backend on COMMIT,
/// so the dataplane keeps forwarding with the committed program until then.
struct SavedPipeline: Sendable {
    var pipeline: ActivePipeline
    var staging: any P4TargetBackend
}

struct CoreState: Sendable {
    var backend: any P4TargetBackend
    var pipeline: ActivePipeline?
    var saved: SavedPipeline?
    var arbitration = ArbitrationTable()

    /// The pipeline Reads and Writes answer to: the saved one while it waits for COMMIT.
    var current: ActivePipeline? { saved?.pipeline ?? pipeline }

    /// The state Reads see: the staging record while a saved config waits, else the backend.
    var currentBackend: any P4TargetBackend { saved?.staging ?? backend }

    /// Runs `body` on the state Writes change (see `currentBackend`).
    mutating func withCurrentBackend<R>(_ body: (inout any P4TargetBackend) throws -> R) rethrows -> R {
        if saved != nil { return try body(&saved!.staging) }
        return try body(&backend)
    }
}
