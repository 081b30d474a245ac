import CalicoCNIAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraAPI
import InfraAgentCore
import InfraDaemon
import Logging
import ServiceLifecycle
import XCTest

/// The whole agent (AgentDaemon from a config file's YAML) with the CNI backend: its Sync
/// reports the plumbed pods, also after the agent restarts against a manager that never saw them.
final class AgentDaemonCNITests: AgentCNITestCase {
    func agentYAML(managerPort: Int) -> String {
        """
        nodeName: node-1
        insecure: true
        manager: {address: "127.0.0.1:\(managerPort)"}
        reconnect: {initialMilliseconds: 50, maximumSeconds: 1}
        metrics: {enabled: false}
        cni:
          listen: unix:\(directory)/agent.sock
          gatewayMAC: "\(gatewayMAC)"
          podStateFile: \(directory)/agent-pods.json
        interfacePool:
          mode: veth
          interfaces: [\(poolNames.joined(separator: ", "))]
          stateFile: \(directory)/agent-pool.json
        """
    }

    func startAgent(managerPort: Int) async throws -> (AgentDaemon, ServiceGroup, Task<Void, any Error>) {
        let config = try ConfigLoader.load(AgentConfig.self, fromYAML: agentYAML(managerPort: managerPort), source: "test")
        let daemon = try AgentDaemon(config: config, logger: logger)
        let group = ServiceGroup(services: daemon.services(metricsRegistry: nil), logger: logger)
        let task = Task { try await group.run() }
        // Waits for the socket (gRPC's wait-for-ready), bounded by the call's deadline.
        var options = CallOptions.defaults
        options.timeout = .seconds(10)
        options.waitForReady = true
        let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: "\(directory)/agent.sock"), transportSecurity: .plaintext)
        let health = try await withGRPCClient(transport: transport) { client in
            try await Grpc_Health_V1_Health.Client(wrapping: client).check(.with { $0.service = "" }, options: options)
        }
        XCTAssertEqual(health.status, .serving)
        return (daemon, group, task)
    }

    /// Polls the manager (bounded) until its desired pod count is `count`; returns the last count.
    func waitForPods(_ manager: TestManager, _ count: UInt32) async throws -> UInt32 {
        var last: UInt32 = .max
        for _ in 0..<200 {
            last = try await manager.status().desired.pods
            if last == count { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return last
    }

    func testSyncReportsPlumbedPodsAlsoAfterAnAgentRestart() async throws {
        let ns = try makeNamespace()
        let netns = "/var/run/netns/\(ns)"
        var (daemon, group, task) = try await startAgent(managerPort: manager.port)
        let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: "\(directory)/agent.sock"), transportSecurity: .plaintext)
        let reply = try await withGRPCClient(transport: transport) { client in
            try await Cni_CniDataplane.Client(wrapping: client).add(addRequest(netns: netns), options: .quick)
        }
        XCTAssertTrue(reply.successful, reply.errorMessage)
        let first = try await manager.status().desired.pods
        XCTAssertEqual(first, 1)
        let pods = await daemon.cniBackend?.pods().count
        XCTAssertEqual(pods, 1)
        await group.triggerGracefulShutdown()
        try await task.value

        // A fresh manager knows nothing; the restarted agent's Sync brings the pod back.
        let fresh = try await TestManager()
        do {
            (daemon, group, task) = try await startAgent(managerPort: fresh.port)
            let synced = try await waitForPods(fresh, 1)
            XCTAssertEqual(synced, 1, "the restarted agent's Sync reports the pod it plumbed")
            let status = try await fresh.status()
            XCTAssertEqual(status.desired.pods, 1)

            let transport2 = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: "\(directory)/agent.sock"), transportSecurity: .plaintext)
            let deleted = try await withGRPCClient(transport: transport2) { client in
                try await Cni_CniDataplane.Client(wrapping: client).del(.with { $0.netns = netns; $0.interfaceName = "eth0" }, options: .quick)
            }
            XCTAssertTrue(deleted.successful, deleted.errorMessage)
            let after = try await fresh.status().desired.pods
            XCTAssertEqual(after, 0)
            XCTAssertEqual(try poolLinksInHost(), Set(poolNames))
        } catch {
            XCTFail("\(error)")
        }
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        await fresh.shutdown()
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(directory)/agent.sock"), "the socket is removed at shutdown")
    }
}
