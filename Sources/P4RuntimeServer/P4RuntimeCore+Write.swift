import P4Info
import P4RuntimeAPI

extension P4RuntimeCore {
    /// Write (§12). RPC-wide checks come first and fail without details (device → NOT_FOUND,
    /// not primary → PERMISSION_DENIED, no pipeline → FAILED_PRECONDITION, atomicity other
    /// than CONTINUE_ON_ERROR → UNIMPLEMENTED). Then every update is tried in order; if any
    /// fails the RPC fails with UNKNOWN and one `p4.v1.Error` per update (§12.3). The backend
    /// then commits the batch once (`finishWrite`); if that fails, every update fails.
    public func write(_ request: P4_V1_WriteRequest) throws -> P4_V1_WriteResponse {
        try state.withLock { state in
            try checkPrimary(state, deviceID: request.deviceID, role: request.role, electionID: request.hasElectionID ? request.electionID : nil)
            guard let pipeline = state.current else {
                throw P4ServerError(.failedPrecondition, "no forwarding pipeline is set; send SetForwardingPipelineConfig first")
            }
            switch request.atomicity {
            case .continueOnError: break
            case .rollbackOnError, .dataplaneAtomic, .UNRECOGNIZED:
                throw P4ServerError(.unimplemented, "atomicity \(request.atomicity) is not supported; only CONTINUE_ON_ERROR")
            }
            let (results, failures) = state.withCurrentBackend { backend in
                var writer = UpdateApplier(validator: EntryValidator(index: pipeline.index), backend: backend)
                // Leave a cheap placeholder so the applier holds the only reference to the state:
                // otherwise its first mutation would copy every table (copy-on-write).
                backend = InMemoryBackend()
                var results: [P4_V1_Error] = []
                var failures = 0
                for update in request.updates {
                    do {
                        try writer.apply(update)
                        results.append(P4_V1_Error())
                    } catch {
                        failures += 1
                        results.append(P4ServerError.wrapping(error).p4Error)
                    }
                }
                do {
                    try writer.backend.finishWrite()
                } catch {
                    // The backend undid the whole batch, so the updates it had taken fail too.
                    let batchError = P4ServerError.wrapping(error).p4Error
                    for index in results.indices where results[index].canonicalCode == 0 { results[index] = batchError }
                    failures = results.count
                }
                backend = writer.backend
                return (results, failures)
            }
            if failures > 0 {
                throw P4ServerError(.unknown, "\(failures) of \(request.updates.count) updates failed", details: results)
            }
            return P4_V1_WriteResponse()
        }
    }
}
