import Foundation
import P4Info
import P4RuntimeAPI

extension P4RuntimeCore {
    /// SetForwardingPipelineConfig (§14, facts §4.11), every action:
    /// - VERIFY checks and changes nothing; VERIFY_AND_COMMIT realizes and clears all state.
    /// - VERIFY_AND_SAVE stores the config. The dataplane keeps the committed program and its
    ///   state; later Reads and Writes use the saved config's ids and go to a staging record.
    /// - COMMIT realizes the saved config and replays the Writes made since the save
    ///   (NOT_FOUND when nothing is saved, INVALID_ARGUMENT when the request has a config).
    /// - RECONCILE_AND_COMMIT realizes a new config keeping the forwarding state, when
    ///   `PipelineCompatibility` allows it (INVALID_ARGUMENT otherwise, nothing changes).
    /// A pending saved config is dropped by VERIFY_AND_COMMIT and RECONCILE_AND_COMMIT.
    public func setForwardingPipelineConfig(_ request: P4_V1_SetForwardingPipelineConfigRequest) throws -> P4_V1_SetForwardingPipelineConfigResponse {
        try state.withLock { state in
            try checkPrimary(state, deviceID: request.deviceID, role: request.role, electionID: request.hasElectionID ? request.electionID : nil)
            switch request.action {
            case .verify:
                let index = try verifiedIndex(request)
                try wrapBackend { try state.backend.verify(index, deviceConfig: request.config.p4DeviceConfig) }
            case .verifyAndCommit:
                let index = try verifiedIndex(request)
                try commit(ActivePipeline(index: index, config: request.config), restoring: nil, state: &state)
            case .verifyAndSave:
                let index = try verifiedIndex(request)
                try wrapBackend { try state.backend.verify(index, deviceConfig: request.config.p4DeviceConfig) }
                var staging: any P4TargetBackend = InMemoryBackend()
                try Self.installInitialDefaults(index, into: &staging)
                state.saved = SavedPipeline(pipeline: ActivePipeline(index: index, config: request.config), staging: staging)
                logger.info("pipeline saved: \(index.allTables.count) tables; Writes use it, the dataplane waits for COMMIT")
            case .commit:
                guard !request.hasConfig else {
                    throw P4ServerError(.invalidArgument, "COMMIT takes no config; it realizes the one saved by VERIFY_AND_SAVE")
                }
                guard let saved = state.saved else {
                    throw P4ServerError(.notFound, "COMMIT: no config is saved; send VERIFY_AND_SAVE first")
                }
                let writes = ForwardingSnapshot(of: saved.staging, index: saved.pipeline.index)
                try commit(saved.pipeline, restoring: writes, state: &state)
            case .reconcileAndCommit:
                let index = try verifiedIndex(request)
                var kept: ForwardingSnapshot?
                if let running = state.pipeline {
                    let snapshot = ForwardingSnapshot(of: state.backend, index: running.index)
                    try PipelineCompatibility.check(snapshot, from: running.index, to: index)
                    kept = snapshot
                }
                try commit(ActivePipeline(index: index, config: request.config), restoring: kept, state: &state)
            case .unspecified, .UNRECOGNIZED:
                throw P4ServerError(.invalidArgument, "SetForwardingPipelineConfig action is unspecified")
            }
            return P4_V1_SetForwardingPipelineConfigResponse()
        }
    }

    /// Realizes `pipeline` (all state cleared, initial defaults installed), then writes back
    /// `snapshot`. Once realized the new pipeline is the running one even if the restore
    /// fails; the error then says the state is partial.
    private func commit(_ pipeline: ActivePipeline, restoring snapshot: ForwardingSnapshot?, state: inout CoreState) throws {
        let deviceConfig = pipeline.config.p4DeviceConfig
        try wrapBackend {
            try state.backend.verify(pipeline.index, deviceConfig: deviceConfig)
            try state.backend.realize(pipeline.index, deviceConfig: deviceConfig)
            try Self.installInitialDefaults(pipeline.index, into: &state.backend)
            try state.backend.finishWrite()
        }
        state.pipeline = pipeline
        state.saved = nil
        // The whole replay is one batch; what it staged before a failure is still committed.
        var failure: (any Error)?
        do { try snapshot?.replay(into: &state.backend) } catch { failure = error }
        do { try state.backend.finishWrite() } catch { failure = failure ?? error }
        if let failure {
            throw P4ServerError(.internalError, "pipeline realized but restoring its forwarding state failed, so the state is partial: \(failure)")
        }
        logger.info("pipeline committed: \(pipeline.index.allTables.count) tables, \(pipeline.index.allActions.count) actions\(snapshot == nil ? "" : ", forwarding state restored")")
    }

    private static func installInitialDefaults(_ index: P4InfoIndex, into backend: inout any P4TargetBackend) throws {
        for table in index.allTables {
            try backend.setDefaultEntry(initialDefaultEntry(table), tableID: table.id)
        }
    }

    /// GetForwardingPipelineConfig (§15): OK with `config` unset when no pipeline is set.
    /// While a VERIFY_AND_SAVE waits for COMMIT it returns the saved config: the one whose ids
    /// Reads and Writes use, so a client decoding a Read with this P4Info gets it right.
    public func getForwardingPipelineConfig(_ request: P4_V1_GetForwardingPipelineConfigRequest) throws -> P4_V1_GetForwardingPipelineConfigResponse {
        try checkDevice(request.deviceID)
        var response = P4_V1_GetForwardingPipelineConfigResponse()
        guard let config = state.withLock({ $0.current?.config }) else { return response }
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
