import Foundation
import P4Info
import P4RuntimeAPI

extension P4RuntimeClient {
    /// `SetForwardingPipelineConfig`: pushes `p4info` and the target's device config.
    ///
    /// `.verifyAndCommit` (the usual action) replaces the pipeline and clears all forwarding
    /// state; `.reconcileAndCommit` keeps the state where the target can (servers may answer
    /// UNIMPLEMENTED: `.unsupported`). After a committing action the client uses `p4info` for
    /// its name-based helpers.
    public func setForwardingPipelineConfig(
        _ p4info: P4InfoIndex, deviceConfig: Data = Data(), cookie: UInt64? = nil,
        action: P4_V1_SetForwardingPipelineConfigRequest.Action = .verifyAndCommit
    ) async throws {
        let request = P4_V1_SetForwardingPipelineConfigRequest.with {
            $0.deviceID = configuration.deviceID
            $0.role = roleName
            $0.electionID = configuration.electionID.proto
            $0.action = action
            $0.config = .with {
                $0.p4Info = p4info.p4info
                $0.p4DeviceConfig = deviceConfig
                if let cookie { $0.cookie = .with { $0.cookie = cookie } }
            }
        }
        _ = try await call("SetForwardingPipelineConfig", count: 0) { try await self.stub.setForwardingPipelineConfig(request) }
        switch action {
        case .verifyAndCommit, .reconcileAndCommit, .commit: setP4Info(p4info)
        default: break
        }
    }

    /// `GetForwardingPipelineConfig`; nil when the device has no pipeline yet (§15).
    public func getForwardingPipelineConfig(
        responseType: P4_V1_GetForwardingPipelineConfigRequest.ResponseType = .all
    ) async throws -> P4_V1_ForwardingPipelineConfig? {
        let request = P4_V1_GetForwardingPipelineConfigRequest.with {
            $0.deviceID = configuration.deviceID
            $0.responseType = responseType
        }
        let response = try await call("GetForwardingPipelineConfig", count: 0) { try await self.stub.getForwardingPipelineConfig(request) }
        // Some servers (finsy's test server) send an empty config rather than none: without a
        // P4Info there is no pipeline, whatever the message says.
        return response.hasConfig && (response.config.hasP4Info || responseType != .all) ? response.config : nil
    }
}
