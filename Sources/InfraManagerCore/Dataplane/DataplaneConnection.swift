import Foundation
import GRPCCore
import InfraChannel
import Logging
import P4Info
import P4RuntimeAPI
import P4RuntimeClient
import ServiceLifecycle

/// Keeps the manager connected to its P4Runtime target as primary, and each time it becomes
/// primary (first start, after a drop, after the target restarted) makes sure the target
/// runs k8s_dp and then reconciles every entry the manager owns.
///
/// Why the cookie: it is a digest of the P4Info and device config, so a target that already
/// runs exactly this pipeline keeps its entries (a manager restart does not blank the
/// dataplane), and any other pipeline is replaced.
struct DataplaneConnection<Transport: ClientTransport>: Service {
    let transport: Transport
    let configuration: P4RuntimeClient<Transport>.Configuration
    let p4info: P4InfoIndex
    let deviceConfig: Data
    let store: DesiredStateStore
    let programmer: DataplaneProgrammer
    let retryDelay: Duration
    let logger: Logger

    var cookie: UInt64 {
        var hasher = FNV1a()
        hasher.add((try? p4info.p4info.serializedBytes()) ?? Data())
        hasher.add(deviceConfig)
        return hasher.value
    }

    func run() async throws {
        defer {
            // The state file is written in the background; make the last accepted state durable
            // before the process exits.
            let programmer = self.programmer
            Task { await programmer.flush() }
        }
        try await cancelWhenGracefulShutdown {
            try await P4RuntimeClient.run(transport: transport, configuration: configuration, p4info: p4info, logger: logger) { client in
                await follow(client)
            }
        }
        await programmer.flush()
    }

    /// Reacts to every arbitration change: programs as primary, stops programming otherwise.
    private func follow(_ client: P4RuntimeClient<Transport>) async {
        var session: Task<Void, Never>?
        for await state in client.arbitrationUpdates() {
            session?.cancel()
            session = nil
            if state.isPrimary {
                session = Task { await becomePrimary(client) }
            } else {
                await programmer.markTargetLost("P4Runtime \(state)")
            }
        }
        session?.cancel()
    }

    /// Pushes the pipeline if needed and reconciles, retrying until it works or primacy ends.
    private func becomePrimary(_ client: P4RuntimeClient<Transport>) async {
        while !Task.isCancelled {
            do {
                try await ensurePipeline(client)
                let target = P4RuntimeDataplaneTarget(client: client)
                let programmer = self.programmer
                let updates = try await store.exclusively { try await programmer.targetReady(target) }
                logger.info("P4Runtime target ready", metadata: ["device_id": "\(configuration.deviceID)", "repairs": "\(updates)"])
                return
            } catch {
                await programmer.markTargetLost("setting up the target failed: \(error)")
                logger.error("P4Runtime target setup failed; retrying", metadata: ["error": "\(error)", "retry_in": "\(retryDelay)"])
                try? await Task.sleep(for: retryDelay)
            }
        }
    }

    private func ensurePipeline(_ client: P4RuntimeClient<Transport>) async throws {
        let running = try await client.getForwardingPipelineConfig(responseType: .cookieOnly)
        if let running, running.hasCookie, running.cookie.cookie == cookie {
            client.setP4Info(p4info)
            return
        }
        logger.notice("pushing the k8s_dp pipeline", metadata: ["cookie": "\(cookie)", "had_pipeline": "\(running != nil)"])
        try await client.setForwardingPipelineConfig(p4info, deviceConfig: deviceConfig, cookie: cookie, action: .verifyAndCommit)
    }
}

/// 64-bit FNV-1a: a stable digest for the pipeline cookie (not for security).
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ data: Data) {
        for byte in data {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
    }
}
