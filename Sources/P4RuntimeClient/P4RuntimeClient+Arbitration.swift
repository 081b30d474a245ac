import Foundation
import GRPCCore
import InfraChannel
import P4RuntimeAPI

extension P4RuntimeClient {
    /// The arbitration state as the server last reported it.
    public var arbitration: ArbitrationState { shared.withLock { $0.arbitration } }

    /// Every change of the arbitration state, starting with the current one.
    public func arbitrationUpdates() -> AsyncStream<ArbitrationState> {
        let (stream, continuation) = AsyncStream.makeStream(of: ArbitrationState.self, bufferingPolicy: .bufferingNewest(16))
        let id = UUID()
        shared.withLock {
            continuation.yield($0.arbitration)
            if $0.stopped { continuation.finish() } else { $0.observers[id] = continuation }
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.shared.withLock { $0.observers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Waits until the server makes this client primary (callers bound it with their own
    /// timeout). Throws `CancellationError` if the task is cancelled first, and
    /// `.arbitrationRefused` with the last state if `maintainArbitration` stops first.
    public func waitUntilPrimary() async throws {
        for await state in arbitrationUpdates() where state.isPrimary { return }
        try Task.checkCancellation()
        throw P4RuntimeError(.arbitrationRefused, "arbitration stopped before this client became primary; last state: \(arbitration)")
    }

    /// Keeps a StreamChannel arbitrated until the task is cancelled: sends the
    /// MasterArbitrationUpdate, follows the server's answers, and after a drop or refusal
    /// retries with capped, jittered backoff (reset once a stream stayed up `healthyAfter`).
    public func maintainArbitration() async {
        var backoff = configuration.backoff
        shared.withLock { $0.stopped = false }
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let reason: String
            do {
                try await streamSession()
                reason = "server closed the stream"
            } catch let error as RPCError {
                reason = "\(error.code): \(error.message)"
            } catch {
                reason = String(describing: error)
            }
            publish(.disconnected(reason: reason))
            if Task.isCancelled { break }
            if ContinuousClock.now - started >= configuration.healthyAfter { backoff.reset() }
            let delay = backoff.next()
            logger.warning("P4Runtime stream ended; re-arbitrating", metadata: [
                "reason": "\(reason)", "device_id": "\(configuration.deviceID)", "retry_in": "\(delay)",
            ])
            do { try await Task.sleep(for: delay) } catch { break }
        }
        publish(.disconnected(reason: "stopped"))
        // Nothing will change any more: end the observers' streams so no waiter hangs.
        let observers = shared.withLock { shared in
            shared.stopped = true
            defer { shared.observers = [:] }
            return Array(shared.observers.values)
        }
        for observer in observers { observer.finish() }
    }

    var arbitrationRequest: P4_V1_StreamMessageRequest {
        .with {
            $0.arbitration = .with {
                $0.deviceID = configuration.deviceID
                // The default role must be left unset (§5.3), not sent as an empty Role.
                if !configuration.role.isEmpty { $0.role = .with { $0.name = configuration.role } }
                $0.electionID = configuration.electionID.proto
            }
        }
    }

    /// One StreamChannel from open to close. The request side stays open (the server ends a
    /// half-closed stream) until the response side ends.
    private func streamSession() async throws {
        let (outbound, continuation) = AsyncStream.makeStream(of: P4_V1_StreamMessageRequest.self)
        continuation.yield(arbitrationRequest)
        defer { continuation.finish() }
        try await stub.streamChannel(requestProducer: { writer in
            for await message in outbound { try await writer.write(message) }
        }, onResponse: { response in
            defer { continuation.finish() }
            for try await message in response.messages {
                self.handle(message)
            }
        })
    }

    private func handle(_ message: P4_V1_StreamMessageResponse) {
        switch message.update {
        case .arbitration(let update)?:
            let highest = update.hasElectionID ? ElectionID(update.electionID) : nil
            let state: ArbitrationState
            switch Int(update.status.code) {
            case Google_Rpc_Code.ok.rawValue: state = .primary
            case Google_Rpc_Code.alreadyExists.rawValue: state = .backup(highest: highest, primaryPresent: true)
            default: state = .backup(highest: highest, primaryPresent: false)
            }
            logger.info("P4Runtime arbitration", metadata: [
                "state": "\(state)", "election_id": "\(configuration.electionID)", "status": "\(update.status.message)",
            ])
            publish(state)
        case .error(let error)?:
            logger.warning("P4Runtime stream error", metadata: ["code": "\(error.canonicalCode)", "message": "\(error.message)"])
        case .packet?, .digest?, .idleTimeoutNotification?, .other?, nil:
            // Packet I/O, digests and idle timeouts are not consumed yet (see README).
            break
        }
    }

    func publish(_ state: ArbitrationState) {
        shared.withLock { shared in
            guard shared.arbitration != state else { return }
            shared.arbitration = state
            for observer in shared.observers.values { observer.yield(state) }
        }
    }
}
