import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraAPI
import InfraChannel
import InfraDaemon
@testable import InfraManagerCore
import Logging
import P4RuntimeAPI
import P4RuntimeClient
import ServiceLifecycle
import XCTest

/// The whole manager (ManagerDaemon, as the binary runs it) with a `dataplane` section,
/// against the emulated target: it pushes the pipeline, programs what agents send, and after
/// the target restarts (losing everything, like a real one) pushes pipeline and entries again.
final class ManagerTargetLifecycleTests: XCTestCase {
    func testManagerProgramsTheTargetAndRestoresItAfterATargetRestart() async throws {
        let emulator = EmulatorServer()
        try await emulator.start()
        let stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("infra-manager-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
        let yaml = """
        nodeName: node-1
        listen: 127.0.0.1:0
        insecure: true
        metrics:
          enabled: false
        dataplane:
          target: 127.0.0.1:\(emulator.port)
          insecure: true
          p4info: \(DataplaneFixture.p4infoPath)
          stateDirectory: \(stateDirectory)
          ports: {pod0: 2, pod1: 3}
          hostPort: 0
          arpProxyPort: 1
          gatewayMAC: "02:00:00:00:00:01"
        """
        let config = try ConfigLoader.load(ManagerConfig.self, fromYAML: yaml, source: "test")
        let daemon = try ManagerDaemon(config: config, logger: DataplaneFixture.logger)
        let group = ServiceGroup(services: daemon.services(metricsRegistry: nil), logger: DataplaneFixture.logger)
        let running = Task { try await group.run() }
        defer { running.cancel() }
        let programmer = try XCTUnwrap(daemon.dataplane)
        try await eventually(10, "the target to be ready") { await programmer.targetStatus.ready }

        let port = try await daemon.listeningPort()
        let transport = try ChannelClientTransport.make(address: try ChannelAddress(parsing: "127.0.0.1:\(port)"), security: .insecure, logger: DataplaneFixture.logger)
        let status = try await withGRPCClient(transport: transport) { client in
            let manager = Infra_V1_InfraManager.Client(wrapping: client)
            _ = try await manager.sync(.with {
                $0.nodeName = "node-1"
                $0.pods = [.with {
                    $0.key = .with { $0.containerID = "c1"; $0.interfaceName = "eth0" }
                    $0.hostInterface = "pod0"
                    $0.macAddress = "0a:58:0a:f4:01:07"
                    $0.ipAddresses = ["10.244.1.7/32"]
                }]
                $0.services = [.with {
                    $0.key = .with { $0.namespace = "default"; $0.name = "web" }
                    $0.clusterIps = ["10.96.0.10"]
                    $0.ports = [.with {
                        $0.name = "http"
                        $0.protocol = .tcp
                        $0.port = 80
                        $0.backends = [.with { $0.ipAddress = "10.244.1.7"; $0.port = 8080 }]
                    }]
                }]
            })
            return try await manager.status(.init())
        }
        XCTAssertEqual(status.target.state, .ready)
        XCTAssertEqual(status.tables.first { $0.table == "service_lb" }?.entries, 1)
        XCTAssertEqual(status.tables.first { $0.table == "ipv4_to_port" }?.entries, 1)
        // A selector holds its fixed slot members, and that is all it can ever hold here.
        let members = status.tables.first { $0.table == "service_backends (members)" }
        XCTAssertEqual(members?.entries, UInt64(K8sDpSchema.maxSlots))
        XCTAssertEqual(members?.capacity, UInt64(K8sDpSchema.maxSlots))

        let before = try await emulator.withReader { try await Self.everything($0) }
        let slotMembers = 2 * K8sDpSchema.maxSlots
        XCTAssertEqual(before.count, slotMembers + 7, "the slot members of both selectors, 2 ARP entries (gateway, pod), 1 forwarding entry, 1 service_lb, 1 service_select and 1 service_slots entry, 1 group (the defaults stay at port 0 here): \(before)")

        // The target restarts empty on the same port: the manager re-arbitrates, pushes the
        // pipeline and writes every entry again.
        await emulator.stop()
        try await eventually(10, "the manager to notice") { await !programmer.targetStatus.ready }
        try await emulator.start(port: emulator.port)
        try await eventually(15, "the target to be reconciled") { await programmer.targetStatus.ready }
        let after = try await emulator.withReader { try await Self.everything($0) }
        XCTAssertEqual(after, before)

        await group.triggerGracefulShutdown()
        _ = try? await running.value
        await emulator.stop()
        let saved = try XCTUnwrap(FileManager.default.contents(atPath: stateDirectory + "/state.json"))
        XCTAssertTrue(String(decoding: saved, as: UTF8.self).contains("10.96.0.10"), "the state file holds the accepted state after shutdown")
    }

    /// Every entry, default entry, member and group of the tables the manager writes.
    static func everything(_ client: P4RuntimeClient<HTTP2ClientTransport.Posix>) async throws -> Set<P4_V1_Entity> {
        let schema = try DataplaneFixture.schema()
        let target = P4RuntimeDataplaneTarget(client: client)
        let objects = try await target.read(tables: schema.managedTables.map(\.id), profiles: schema.managedProfiles.map(\.id))
        // Default entries still at the program's default are not the manager's doing.
        return Set(objects.filter { key, value in
            if case .defaultEntry = key { return value.entity.tableEntry.action.action.params.contains { $0.value != Data([0]) } }
            return true
        }.values.map(\.entity))
    }

    /// Write request size: 256 by default, set per target, and a value outside 1–4096 is
    /// refused naming the key and the value.
    func testMaxUpdatesPerWriteIsConfigurableAndChecked() throws {
        func dataplane(_ extra: String) throws -> DataplaneConfig {
            let yaml = """
            nodeName: node-1
            dataplane:
              gatewayMAC: "02:00:00:00:00:01"
            \(extra)
            """
            let config = try ConfigLoader.load(ManagerConfig.self, fromYAML: yaml, source: "test.yaml")
            return try XCTUnwrap(config.dataplane)
        }
        XCTAssertEqual(try dataplane("").maxUpdatesPerWrite, 256)
        XCTAssertEqual(try dataplane("  maxUpdatesPerWrite: 64").maxUpdatesPerWrite, 64)
        for bad in ["0", "5000", "-1"] {
            XCTAssertThrowsError(try dataplane("  maxUpdatesPerWrite: \(bad)")) { error in
                guard let error = error as? ConfigError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.code, .invalidValue)
                XCTAssertEqual(error.keyPath, "dataplane.maxUpdatesPerWrite")
                XCTAssertEqual(error.value, bad)
            }
        }
    }
}
