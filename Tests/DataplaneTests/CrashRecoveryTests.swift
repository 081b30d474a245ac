import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraAPI
import InfraChannel
@testable import InfraManagerCore
import P4RuntimeAPI
import P4RuntimeClient
import XCTest

/// The real binaries: infra-manager killed with SIGKILL in the middle of programming a large
/// batch, then restarted, must leave the target exactly equal to its desired state (no half
/// intent, nothing stale); and a restarted infra-p4-emulator gets pipeline and entries back.
final class CrashRecoveryTests: XCTestCase {
    static let serviceCount = 3000
    static let backendsPerService = 4
    var serviceCount: Int { Self.serviceCount }
    var backendsPerService: Int { Self.backendsPerService }

    func testKillNineMidBatchThenRestartConverges() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("infra-crash-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let targetPort = try ChildProcess.freePort()
        let managerPort = try ChildProcess.freePort()
        let emulatorArguments = ["--insecure", "--listen", "127.0.0.1:\(targetPort)", "--device-id", "1", "--log-level", "error"]
        var emulator = try ChildProcess("infra-p4-emulator", emulatorArguments, logDirectory: directory)
        defer { emulator.stop() }
        let configPath = try Self.writeManagerConfig(in: directory, managerPort: managerPort, targetPort: targetPort, dataplaneSecurity: """
          insecure: true
          ports: {pod0: 2}
        """)
        var manager = try ChildProcess("infra-manager", ["run", "--config", configPath], logDirectory: directory)
        defer { manager.stop() }
        try await waitForReadyTarget(managerPort, manager)

        // A large batch; the manager is killed once part of it is on the target.
        let batch = Infra_V1_UpsertServicesRequest.with { $0.services = (0..<Self.serviceCount).map(Self.service) }
        let upsert = Self.startUpsert(batch, port: managerPort)
        let emulatorAddress = try ChannelAddress(parsing: "127.0.0.1:\(targetPort)")
        try await eventually(30, "part of the batch on the target") {
            let slots = try await Self.count(emulatorAddress).slots
            return slots > 0
        }
        manager.kill9()
        _ = try? await upsert.value
        let partial = try await Self.count(emulatorAddress)
        XCTAssertLessThan(partial.slots, serviceCount * backendsPerService, "the kill landed mid-batch (\(partial))")

        // Restart: the manager restores its last accepted state and reconciles the target to it.
        manager = try ChildProcess("infra-manager", ["run", "--config", configPath], logDirectory: directory)
        try await waitForReadyTarget(managerPort, manager)
        let restored = try await Self.count(emulatorAddress)
        XCTAssertEqual(restored, .init(entries: 0, slots: 0, groups: 0), "the batch was never accepted, so none of it may stay (\(restored))\n\(manager.log)")

        // The agent's resync after reconnecting brings the batch; the target then holds all of it.
        _ = try await Self.upsert(batch, port: managerPort)
        let full = try await Self.count(emulatorAddress)
        XCTAssertEqual(full, .init(entries: serviceCount, slots: serviceCount * backendsPerService, groups: serviceCount))

        // Acknowledged means recorded: killed right after the answer (long before any snapshot
        // could be written), the restarted manager still holds the batch from its journal and
        // leaves the target as it is instead of reconciling it back to an older state.
        manager.kill9()
        manager = try ChildProcess("infra-manager", ["run", "--config", configPath], logDirectory: directory)
        try await waitForReadyTarget(managerPort, manager)
        let afterKill = try await Self.count(emulatorAddress)
        XCTAssertEqual(afterKill, full, "the acknowledged batch survived kill -9\n\(manager.log)")

        // The target restarts empty: the manager pushes the pipeline and every entry again.
        emulator.kill9()
        emulator = try ChildProcess("infra-p4-emulator", emulatorArguments, logDirectory: directory)
        try await eventually(30, "the entries back on the restarted target") {
            (try? await Self.count(emulatorAddress)) == full
        }
    }

    static func service(_ index: Int) -> Infra_V1_Service {
        .with {
            $0.key = .with { $0.namespace = "bulk"; $0.name = "svc-\(index)" }
            $0.clusterIps = ["10.96.\(index / 250).\(index % 250 + 1)"]
            $0.ports = [.with {
                $0.name = "http"
                $0.protocol = .tcp
                $0.port = 80
                $0.backends = (0..<Self.backendsPerService).map { backend in
                    .with { $0.ipAddress = "10.244.\(index / 250).\(index % 250 + 1)"; $0.port = UInt32(8000 + backend) }
                }
            }]
        }
    }

    /// An infra-manager config (plaintext agent side) whose `dataplane` section points at the
    /// target on `targetPort`; `dataplaneSecurity` adds the section's TLS or insecure keys.
    static func writeManagerConfig(in directory: String, managerPort: Int, targetPort: Int, dataplaneSecurity: String) throws -> String {
        let path = directory + "/manager.yaml"
        try """
        nodeName: node-1
        listen: 127.0.0.1:\(managerPort)
        insecure: true
        metrics:
          enabled: false
        log:
          level: error
        dataplane:
          target: 127.0.0.1:\(targetPort)
          p4info: \(DataplaneFixture.p4infoPath)
          stateDirectory: \(directory)/state
          gatewayMAC: "02:00:00:00:00:01"
        \(dataplaneSecurity)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func startUpsert(_ batch: Infra_V1_UpsertServicesRequest, port: Int) -> Task<Void, any Error> {
        Task { _ = try await upsert(batch, port: port) }
    }

    static func upsert(_ batch: Infra_V1_UpsertServicesRequest, port: Int) async throws -> Infra_V1_ApplyResponse {
        try await withManager(port) { try await $0.upsertServices(batch) }
    }

    static func withManager<T: Sendable>(_ port: Int, _ body: @Sendable (Infra_V1_InfraManager.Client<HTTP2ClientTransport.Posix>) async throws -> T) async throws -> T {
        let transport = try ChannelClientTransport.make(address: try ChannelAddress(parsing: "127.0.0.1:\(port)"), security: .insecure, logger: DataplaneFixture.logger)
        return try await withGRPCClient(transport: transport) { try await body(Infra_V1_InfraManager.Client(wrapping: $0)) }
    }

    func waitForReadyTarget(_ port: Int, _ manager: ChildProcess) async throws {
        do {
            try await eventually(30, "the manager's target to be ready") {
                let status = try? await Self.withManager(port) { try await $0.status(.init()) }
                return status?.target.state == .ready
            }
        } catch {
            XCTFail("manager log:\n\(manager.log)")
            throw error
        }
    }

    struct Counts: Equatable, CustomStringConvertible {
        var entries: Int
        var slots: Int
        var groups: Int
        var description: String { "\(entries) service entries, \(slots) slot entries, \(groups) groups" }
    }

    /// What an independent reader finds on the target.
    static func count(_ address: ChannelAddress) async throws -> Counts {
        let transport = try P4RuntimeTransport.make(address: address, tls: nil, logger: DataplaneFixture.logger)
        let info = try DataplaneFixture.index()
        return try await P4RuntimeClient.run(transport: transport, configuration: .init(electionID: ElectionID(low: 1)), p4info: info, logger: DataplaneFixture.logger) { client in
            let profile = try info.actionProfile("service_backends").id
            let entries = try await client.read([try info.allEntries(ofTable: "service_lb")]).count
            let slots = try await client.read([try info.allEntries(ofTable: "service_slots")]).count
            let groups = try await client.read([P4_V1_Entity(P4_V1_ActionProfileGroup.with { $0.actionProfileID = profile })]).count
            return Counts(entries: entries, slots: slots, groups: groups)
        }
    }

    /// The production shape of the IPU link: the manager's P4Runtime client presents the
    /// p4rt-client identity and checks the target's infrap4d identity, both from `infra-pki
    /// apply` of the shipped profile.
    func testManagerProgramsATargetOverMutualTLS() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("infra-mtls-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pki = directory + "/pki"
        let apply = Process()
        apply.executableURL = URL(fileURLWithPath: try ChildProcess.executable("infra-pki"))
        apply.arguments = ["apply", DataplaneFixture.repoRoot.appendingPathComponent("pki/profile.yaml").path, "--out", pki]
        apply.standardOutput = FileHandle.nullDevice
        try apply.run()
        apply.waitUntilExit()
        XCTAssertEqual(apply.terminationStatus, 0)

        let targetPort = try ChildProcess.freePort()
        let managerPort = try ChildProcess.freePort()
        let emulator = try ChildProcess(
            "infra-p4-emulator", ["--tls-directory", pki + "/infrap4d", "--listen", "127.0.0.1:\(targetPort)", "--log-level", "error"],
            logDirectory: directory
        )
        defer { emulator.stop() }
        let configPath = try Self.writeManagerConfig(in: directory, managerPort: managerPort, targetPort: targetPort, dataplaneSecurity: """
          tls:
            caFile: \(pki)/p4rt-client/ca.crt
            certificateFile: \(pki)/p4rt-client/tls.crt
            keyFile: \(pki)/p4rt-client/tls.key
        """)
        let manager = try ChildProcess("infra-manager", ["run", "--config", configPath], logDirectory: directory)
        defer { manager.stop() }
        try await waitForReadyTarget(managerPort, manager)
        _ = try await Self.upsert(.with { $0.services = [Self.service(1)] }, port: managerPort)
        let status = try await Self.withManager(managerPort) { try await $0.status(.init()) }
        XCTAssertEqual(status.tables.first { $0.table == "service_lb" }?.entries, 1)
        XCTAssertEqual(status.target.state, .ready, status.target.detail)
    }
}
