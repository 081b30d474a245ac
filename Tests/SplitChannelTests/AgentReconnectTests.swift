import Foundation
import InfraAgentCore
import InfraAPI
import InfraChannel
import InfraDaemon
import Logging
import ServiceLifecycle
import XCTest

/// The real agent daemon against the real manager daemon: attach, Sync, lose the manager,
/// reconnect with backoff, Sync again into the new manager's empty state.
final class AgentReconnectTests: XCTestCase {
    func testAgentSyncsAfterEveryConnect() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let serverFiles = try pki.managerServer()
        var manager = try await ManagerHarness(yaml: ManagerHarness.yaml(pki: pki, serverFiles: serverFiles))
        let port = manager.port
        let (agent, group, running) = try Self.startAgent(port: port, files: try pki.agent("node-1"))

        let operatorFiles = try pki.operatorIdentity()
        try await waitUntil("the first manager holds the agent's host interface") {
            let status = try? await manager.status(as: operatorFiles)
            return status?.desired.hostInterface == true && status?.agents.count == 1
        }
        let firstStatus = try await manager.status(as: operatorFiles)
        XCTAssertEqual(firstStatus.agents.first?.identity, TestPKI.identity(.agent, "node-1"))

        // Replace the manager: the new one starts empty on the same port.
        await manager.shutdown()
        manager = try await ManagerHarness(yaml: ManagerHarness.yaml(pki: pki, serverFiles: serverFiles)
            .replacingOccurrences(of: "listen: 127.0.0.1:0", with: "listen: 127.0.0.1:\(port)"))
        let fresh = manager
        try await waitUntil("the agent re-attached and re-synced") {
            let status = try? await fresh.status(as: operatorFiles)
            return status?.desired.hostInterface == true && (status?.agents.first?.lastSyncGeneration ?? 0) >= 1
        }
        if case .connected = agent.link.state {} else { XCTFail("agent state is \(agent.link.state)") }

        await group.triggerGracefulShutdown()
        try await running.value
        await manager.shutdown()
    }

    /// The agent is the source of its pods and host interface only: its Sync (`scope`) leaves
    /// the Services another writer gave the manager, also when a restarted agent syncs again.
    func testAgentSyncLeavesServicesItIsNotTheSourceOf() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let manager = try await ManagerHarness(yaml: ManagerHarness.yaml(pki: pki, serverFiles: try pki.managerServer()))
        let agentFiles = try pki.agent("node-1")
        let operatorFiles = try pki.operatorIdentity()
        _ = try await manager.withClient(files: agentFiles) { client in
            try await Infra_V1_InfraManager.Client(wrapping: client).upsertServices(.with {
                $0.services = [.with {
                    $0.key = .with { $0.namespace = "default"; $0.name = "web" }
                    $0.clusterIps = ["10.96.0.10"]
                    $0.ports = [.with { $0.name = "http"; $0.protocol = .tcp; $0.port = 80 }]
                }]
            }, options: .quick)
        }
        for round in 1...2 {
            let (_, group, running) = try Self.startAgent(port: manager.port, files: agentFiles)
            try await waitUntil("agent \(round) synced") {
                let status = try? await manager.status(as: operatorFiles)
                return status?.desired.hostInterface == true && status?.agents.count == 1 && (status?.agents.first?.lastSyncGeneration ?? 0) >= 1
            }
            let status = try await manager.status(as: operatorFiles)
            XCTAssertEqual(status.desired.services, 1, "round \(round): the agent's Sync left the Service alone")
            await group.triggerGracefulShutdown()
            try await running.value
            try await waitUntil("agent \(round) gone") { try await manager.status(as: operatorFiles).agents.isEmpty }
        }
        await manager.shutdown()
    }

    /// Starts the real agent daemon against the manager on `port`.
    static func startAgent(port: Int, files: TLSFiles) throws -> (AgentDaemon, ServiceGroup, Task<Void, Error>) {
        let agentYAML = """
            nodeName: node-1
            manager:
              address: 127.0.0.1:\(port)
            tls:
              caFile: \(files.caFile)
              certificateFile: \(files.certificateFile)
              keyFile: \(files.keyFile)
            reconnect:
              initialMilliseconds: 50
              maximumSeconds: 1
            hostInterface:
              name: ens801f0d3
              macAddress: "02:00:0a:0a:00:03"
              addresses: [10.10.0.3/24]
            metrics:
              enabled: false
            """
        let config = try ConfigLoader.load(AgentConfig.self, fromYAML: agentYAML, source: "agent-test")
        var logger = Logger(label: "test.agent")
        logger.logLevel = .critical
        let agent = try AgentDaemon(config: config, logger: logger)
        let group = ServiceGroup(services: agent.services(metricsRegistry: nil), logger: logger)
        let running = Task { try await group.run() }
        return (agent, group, running)
    }

    func waitUntil(_ what: String, timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { return XCTFail("timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

final class AgentIdentityTests: XCTestCase {
    func testAgentRefusesToStartWithAnotherNodesCertificate() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let files = try pki.agent("node-2")
        let yaml = """
            nodeName: node-1
            tls:
              caFile: \(files.caFile)
              certificateFile: \(files.certificateFile)
              keyFile: \(files.keyFile)
            """
        let config = try ConfigLoader.load(AgentConfig.self, fromYAML: yaml, source: "test")
        XCTAssertThrowsError(try AgentDaemon(config: config, logger: Logger(label: "test"))) { error in
            XCTAssertTrue("\(error)".contains("agent/node-2"), "\(error)")
            XCTAssertTrue("\(error)".contains("node-1"), "\(error)")
        }
    }
}
