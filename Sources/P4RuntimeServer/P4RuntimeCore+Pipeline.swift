import Foundation
import P4Info
import P4RuntimeAPI

extension P4RuntimeCore {
    /// SetForwardingPipelineConfig (§14). Supported: VERIFY and VERIFY_AND_COMMIT.
    /// VERIFY_AND_SAVE + COMMIT and RECONCILE_AND_COMMIT answer UNIMPLEMENTED (facts §5):
    /// SAVE would require Writes checked against a config that is not realized yet.
    public func setForwardingPipelineConfig(_ request: P4_V1_SetForwardingPipelineConfigRequest) throws -> P4_V1_SetForwardingPipelineConfigResponse {
        try state.withLock { state in
            try checkPrimary(state, deviceID: request.deviceID, role: request.role, electionID: request.hasElectionID ? request.electionID : nil)
            switch request.action {
            case .verify:
                let index = try verifiedIndex(request)
                try wrapBackend { try state.backend.verify(index, deviceConfig: request.config.p4DeviceConfig) }
            case .verifyAndCommit:
                let index = try verifiedIndex(request)
                try wrapBackend {
                    try state.backend.verify(index, deviceConfig: request.config.p4DeviceConfig)
                    try state.backend.realize(index, deviceConfig: request.config.p4DeviceConfig)
                    for table in index.allTables {
                        try state.backend.setDefaultEntry(Self.initialDefaultEntry(table), tableID: table.id)
                    }
                }
                state.pipeline = ActivePipeline(index: index, config: request.config)
                logger.info("pipeline committed: \(index.allTables.count) tables, \(index.allActions.count) actions")
            case .verifyAndSave, .commit:
                throw P4ServerError(.unimplemented, "\(request.action) is not supported; use VERIFY_AND_COMMIT")
            case .reconcileAndCommit:
                throw P4ServerError(.unimplemented, "RECONCILE_AND_COMMIT is not supported; use VERIFY_AND_COMMIT (clears forwarding state)")
            case .unspecified, .UNRECOGNIZED:
                throw P4ServerError(.invalidArgument, "SetForwardingPipelineConfig action is unspecified")
            }
            return P4_V1_SetForwardingPipelineConfigResponse()
        }
    }

    /// GetForwardingPipelineConfig (§15): OK with `config` unset when no pipeline is set.
    public func getForwardingPipelineConfig(_ request: P4_V1_GetForwardingPipelineConfigRequest) throws -> P4_V1_GetForwardingPipelineConfigResponse {
        try checkDevice(request.deviceID)
        var response = P4_V1_GetForwardingPipelineConfigResponse()
        guard let config = state.withLock({ $0.pipeline?.config }) else { return response }
        var out = P4_V1_ForwardingPipelineConfig()
        if config.hasCookie { out.cookie = config.cookie }
        switch request.responseType {
        case .all:
            out.p4Info = config.p4Info
            out.p4DeviceConfig = config.p4DeviceConfig
        case .cookieOnly:
            break
        case .p4InfoAndCookie:
            out.p4Info = config.p4Info
        case .deviceConfigAndCookie:
            out.p4DeviceConfig = config.p4DeviceConfig
        case .UNRECOGNIZED(let value):
            throw P4ServerError(.invalidArgument, "unknown response_type \(value)")
        }
        response.config = out
        return response
    }

    private func verifiedIndex(_ request: P4_V1_SetForwardingPipelineConfigRequest) throws -> P4InfoIndex {
        guard request.hasConfig, request.config.hasP4Info else {
            throw P4ServerError(.invalidArgument, "\(request.action) needs a config with a P4Info")
        }
        let index: P4InfoIndex
        do {
            index = try P4InfoIndex(request.config.p4Info)
        } catch {
            throw P4ServerError(.invalidArgument, "P4Info is not usable: \(error)")
        }
        // Catch references the validator would otherwise trip over at Write time.
        for table in index.allTables {
            for ref in table.actionRefs where index.action(id: ref.id) == nil {
                throw P4ServerError(.invalidArgument, "table \"\(table.name)\" refers to unknown action id \(ref.id)")
            }
            if let profile = table.implementationID, index.actionProfile(id: profile) == nil {
                throw P4ServerError(.invalidArgument, "table \"\(table.name)\" refers to unknown action profile id \(profile)")
            }
            for field in table.matchFields where field.bitwidth <= 0 {
                throw P4ServerError(.invalidArgument, "match field \"\(field.name)\" of \"\(table.name)\" has bitwidth \(field.bitwidth)")
            }
        }
        return index
    }

    /// The program's default (P4Info `initial_default_action`, else the const default), or nil.
    static func initialDefaultEntry(_ table: P4TableInfo) -> P4_V1_TableEntry? {
        var action = P4_V1_Action()
        if table.proto.hasInitialDefaultAction {
            action.actionID = table.proto.initialDefaultAction.actionID
            action.params = table.proto.initialDefaultAction.arguments.map { argument in
                var param = P4_V1_Action.Param()
                param.paramID = argument.paramID
                param.value = ByteStrings.canonical(P4Value(bytes: argument.value))
                return param
            }
        } else if let id = table.constDefaultActionID {
            action.actionID = id
        } else {
            return nil
        }
        var entry = P4_V1_TableEntry()
        entry.tableID = table.id
        entry.isDefaultAction = true
        entry.action.action = action
        return entry
    }

    func wrapBackend<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch {
            throw P4ServerError.wrapping(error)
        }
    }
}
