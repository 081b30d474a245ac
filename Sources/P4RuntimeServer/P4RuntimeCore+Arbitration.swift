import P4RuntimeAPI

/// One StreamChannel as the core sees it: what the client sent and what the server sends back.
///
/// The gRPC handler feeds requests to `receive` and drains `responses`; tests do the same by
/// hand. `close` must be called when the stream ends, so a departing primary is noticed.
public final class P4StreamSession: Sendable {
    let id: Int
    let core: P4RuntimeCore
    /// Arbitration notifications and StreamErrors for this stream, in order; finishes on `close`.
    public let responses: AsyncStream<P4_V1_StreamMessageResponse>

    init(id: Int, core: P4RuntimeCore, responses: AsyncStream<P4_V1_StreamMessageResponse>) {
        self.id = id
        self.core = core
        self.responses = responses
    }

    /// Handles one client message. A thrown error ends the stream with its code (§16.2:
    /// arbitration errors are never StreamErrors).
    ///
    /// There is no packet I/O, digest or stream extension in the emulator. The message is
    /// dropped, as the spec allows (§16.1), and the client is told why with an UNIMPLEMENTED
    /// StreamError carrying it back (§16.6), so a controller waiting on a PacketOut's effect
    /// does not wait in silence. No PacketIn is ever sent.
    public func receive(_ message: P4_V1_StreamMessageRequest) throws {
        var error = P4_V1_StreamError()
        error.canonicalCode = P4ServerError.Code.unimplemented.rawValue
        switch message.update {
        case .arbitration(let update)?:
            return try core.arbitrate(stream: id, update)
        case .packet(let packet)?:
            error.message = "packet I/O (PacketOut/PacketIn) is not supported by this target; the packet was dropped"
            error.packetOut.packetOut = packet
        case .digestAck(let ack)?:
            error.message = "digests are not supported by this target; there is no digest list to acknowledge"
            error.digestListAck.digestListAck = ack
        case .other(let other)?:
            error.message = "stream extensions (StreamMessageRequest.other) are not supported by this target"
            error.other.other = other
        case nil:
            return
        }
        core.send(error, toStream: id)
    }

    public func close() { core.closeStream(id) }
}

extension P4RuntimeCore {
    /// Registers a new StreamChannel.
    public func openStream() -> P4StreamSession {
        let (responses, continuation) = AsyncStream.makeStream(of: P4_V1_StreamMessageResponse.self)
        let id = state.withLock { state in
            let id = state.arbitration.nextStreamID
            state.arbitration.nextStreamID += 1
            state.arbitration.streams[id] = .init(key: nil, electionID: nil, role: nil, continuation: continuation)
            return id
        }
        return P4StreamSession(id: id, core: self, responses: responses)
    }

    func arbitrate(stream id: Int, _ update: P4_V1_MasterArbitrationUpdate) throws {
        try state.withLock { state in
            guard var stream = state.arbitration.streams[id] else { return }
            let key = ArbitrationTable.RoleKey(deviceID: update.deviceID, role: update.hasRole ? update.role.name : "")
            if let existing = stream.key {
                // A stream keeps its (device, role) for life; to change, open a new stream.
                guard existing.deviceID == key.deviceID else {
                    throw P4ServerError(.failedPrecondition, "stream is arbitrating for device \(existing.deviceID), not \(key.deviceID)")
                }
                guard existing.role == key.role else {
                    throw P4ServerError(.failedPrecondition, "stream is arbitrating for role \"\(existing.role)\", not \"\(key.role)\"")
                }
            } else {
                try checkDevice(update.deviceID)
            }
            if update.hasRole && update.role.hasConfig {
                // No role-config scheme is agreed for this target (§5.3); unset = full access.
                throw P4ServerError(.invalidArgument, "role config is not supported; leave Role.config unset for full access")
            }
            let electionID = update.hasElectionID ? ElectionID(update.electionID) : nil
            if let electionID {
                let clash = state.arbitration.streams.contains { other in
                    other.key != id && other.value.key == key && other.value.electionID == electionID
                }
                if clash {
                    throw P4ServerError(.invalidArgument, "election id \(electionID) is already used by another client of role \"\(key.role)\"")
                }
            }
            stream.key = key
            stream.electionID = electionID
            stream.role = update.hasRole ? update.role : nil
            state.arbitration.streams[id] = stream

            var role = state.arbitration.roles[key] ?? .init()
            let before = role.primary
            if let electionID, role.mark.map({ electionID >= $0 }) ?? true {
                role.mark = electionID
                role.primary = id
            } else if role.primary == id {
                role.primary = nil  // the primary demoted itself
            }
            state.arbitration.roles[key] = role
            if before != role.primary {
                state.arbitration.notify(key, state.arbitration.members(of: key))
                logger.info("primary for device \(key.deviceID) role \"\(key.role)\" is now stream \(role.primary.map(String.init) ?? "none")")
            } else if role.primary == id {
                // A repeated MAU from the primary counts as a new election (1.4): tell everyone.
                state.arbitration.notify(key, state.arbitration.members(of: key))
            } else {
                state.arbitration.notify(key, [id])
            }
        }
    }

    func send(_ error: P4_V1_StreamError, toStream id: Int) {
        var response = P4_V1_StreamMessageResponse()
        response.error = error
        state.withLock { state in _ = state.arbitration.streams[id]?.continuation.yield(response) }
    }

    func closeStream(_ id: Int) {
        state.withLock { state in
            guard let stream = state.arbitration.streams.removeValue(forKey: id) else { return }
            stream.continuation.finish()
            guard let key = stream.key, state.arbitration.roles[key]?.primary == id else { return }
            // The mark stays: no backup is promoted, everyone hears there is no primary.
            state.arbitration.roles[key]?.primary = nil
            state.arbitration.notify(key, state.arbitration.members(of: key))
        }
    }

    /// §12 / §14 checks shared by Write and SetForwardingPipelineConfig: device, then primary.
    func checkPrimary(_ state: CoreState, deviceID: UInt64, role: String, electionID: P4_V1_Uint128?) throws {
        try checkDevice(deviceID)
        let key = ArbitrationTable.RoleKey(deviceID: deviceID, role: role)
        guard let primary = state.arbitration.primaryElectionID(key) else {
            throw P4ServerError(.permissionDenied, "role \"\(role)\" of device \(deviceID) has no primary; arbitrate on StreamChannel first")
        }
        guard let electionID, ElectionID(electionID) == primary else {
            throw P4ServerError(.permissionDenied, "election id \(electionID.map { ElectionID($0).description } ?? "unset") is not the primary's (\(primary))")
        }
    }
}
