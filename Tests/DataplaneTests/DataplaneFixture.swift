import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraChannel
@testable import InfraManagerCore
import InfraNet
import Logging
import P4Info
import P4RuntimeAPI
import P4RuntimeClient
import P4RuntimeServer
import XCTest

/// Shared pieces: the committed k8s_dp P4Info, a node's port layout, intent builders and an
/// emulated target served over loopback.
enum DataplaneFixture {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The committed P4Info of k8s_dp: the manager is tested against exactly what p4c emitted.
    static let p4infoPath = repoRoot.appendingPathComponent("k8s_dp/dpdk/k8s_dp.p4info.txtpb").path

    static func index() throws -> P4InfoIndex { try P4InfoIndex(contentsOfFile: p4infoPath) }
    static func schema() throws -> K8sDpSchema { try K8sDpSchema(index()) }

    static let gatewayMAC = MACAddress("02:00:00:00:00:01")!
    static let settings = DataplaneSettings(
        ports: ["pod0": 2, "pod1": 3, "pod2": 4], hostPort: 0, arpProxyPort: 1, gatewayMAC: gatewayMAC
    )

    static var logger: Logger {
        var logger = Logger(label: "test.dataplane")
        logger.logLevel = .critical
        return logger
    }

    static func programmer(stateFile: String? = nil) throws -> DataplaneProgrammer {
        try DataplaneProgrammer(schema: schema(), settings: settings, stateFile: stateFile, saveDelay: .milliseconds(1), logger: logger)
    }

    /// A store whose programmer (state file at `stateFile`, if any) has `target` ready.
    static func store(_ target: FakeTarget, stateFile: String? = nil) async throws -> (DesiredStateStore, DataplaneProgrammer) {
        let programmer = try programmer(stateFile: stateFile)
        try await programmer.targetReady(target)
        return (DesiredStateStore(dataplane: programmer), programmer)
    }

    // MARK: Intents

    static func pod(_ id: String, port: String, ip: String, mac: String = "0a:58:0a:00:00:07") -> PodNetworkIntent {
        PodNetworkIntent(
            key: PodKey(containerID: id, interfaceName: "eth0"), namespace: "default", podName: id, hostInterface: port,
            mac: MACAddress(mac)!, addresses: [CIDR(ip + "/32")!]
        )
    }

    static func host(_ addresses: [String] = ["192.168.10.5/24"]) -> HostInterfaceIntent {
        HostInterfaceIntent(name: "host0", mac: MACAddress("52:54:00:12:34:56")!, addresses: addresses.map { CIDR($0)! })
    }

    static func service(
        _ name: String, clusterIP: String, port: UInt16 = 80, transport: TransportProtocol = .tcp, nodePort: UInt16? = nil,
        backends: [(String, UInt16)], externalIPs: [String] = [], loadBalancerIPs: [String] = [],
        affinity: SessionAffinityIntent = .none
    ) -> ServiceIntent {
        ServiceIntent(
            name: ServiceName(namespace: "default", name: name), clusterIPs: [IPAddress(clusterIP)!],
            externalIPs: externalIPs.map { IPAddress($0)! }, loadBalancerIPs: loadBalancerIPs.map { IPAddress($0)! },
            ports: [ServicePortIntent(
                name: "p", transport: transport, port: port, nodePort: nodePort,
                backends: backends.map { BackendIntent(address: IPAddress($0.0)!, port: $0.1) }
            )],
            affinity: affinity
        )
    }

    /// Applies `mutation` to `state` the way the store does and returns the new state.
    static func changed(_ state: DesiredState, _ mutation: (inout DesiredState) -> Void) -> DesiredState {
        var copy = state
        copy.clearTouched()
        mutation(&copy)
        return copy
    }
}

extension DesiredState {
    mutating func put(_ pod: PodNetworkIntent) { _ = pods.upsert(pod, for: pod.key) }
    mutating func put(_ service: ServiceIntent) { _ = services.upsert(service, for: service.name) }
    mutating func put(_ policy: PolicyIntent) { _ = policies.upsert(policy, for: policy.id) }
    mutating func put(_ endpoint: EndpointIntent) { _ = endpoints.upsert(endpoint, for: endpoint.id) }
}

/// An in-process emulated target (the product's P4RuntimeCore) on a loopback port, which can
/// be stopped and started again on the same port like a restarted target.
final class EmulatorServer: @unchecked Sendable {
    private var server: GRPCServer<HTTP2ServerTransport.Posix>?
    private var task: Task<Void, any Error>?
    private(set) var port: Int = 0

    func start(port: Int = 0) async throws {
        let core = P4RuntimeCore(deviceID: 1, logger: DataplaneFixture.logger)
        let transport = try ChannelServerTransport.make(address: try ChannelAddress(parsing: "127.0.0.1:\(port)"), security: .insecure, logger: DataplaneFixture.logger)
        let server = GRPCServer(transport: transport, services: [core])
        self.server = server
        task = Task { try await server.serve() }
        let listening = try await transport.listeningAddress
        self.port = try XCTUnwrap(listening.ipv4).port
    }

    func stop() async {
        server?.beginGracefulShutdown()
        task?.cancel()
        _ = try? await task?.value
        server = nil
    }

    var address: ChannelAddress { try! ChannelAddress(parsing: "127.0.0.1:\(port)") }

    /// Runs `body` with a second, independent P4Runtime client (a backup with a low election
    /// id: it may read but not write), as an operator's tool would.
    func withReader<T: Sendable>(_ body: @Sendable (P4RuntimeClient<HTTP2ClientTransport.Posix>) async throws -> T) async throws -> T {
        let transport = try P4RuntimeTransport.make(address: address, tls: nil, logger: DataplaneFixture.logger)
        return try await P4RuntimeClient.run(
            transport: transport, configuration: .init(electionID: ElectionID(low: 1)), p4info: try DataplaneFixture.index(), logger: DataplaneFixture.logger
        ) { client in try await body(client) }
    }
}

/// Waits up to `seconds` for `condition`, polling.
func eventually(_ seconds: Double = 10, _ what: String, _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    XCTFail("timed out waiting for \(what)")
    throw CancellationError()
}

/// Starts a second programmer from the state file at `path` (and its journal) and checks that
/// it comes back with `store`'s state and generation and finds `target` already right (the
/// same ids, so nothing to rewrite).
@discardableResult
func assertRestartRestores(
    _ store: DesiredStateStore, from path: String, on target: FakeTarget, file: StaticString = #filePath, line: UInt = #line
) async throws -> DataplaneProgrammer {
    let restarted = try DataplaneFixture.programmer(stateFile: path)
    let restored = try XCTUnwrap(restarted.restored, "nothing restored", file: file, line: line)
    let (state, generation) = (await store.state, await store.generation)
    XCTAssertEqual(restored.state, state, file: file, line: line)
    XCTAssertEqual(restored.generation, generation, file: file, line: line)
    let repairs = try await restarted.targetReady(target)
    XCTAssertEqual(repairs, 0, "same ids after the restart: the target already holds exactly this", file: file, line: line)
    return restarted
}


extension EntityBuilding {
    /// The canonical bytestring of `value` (§8.3) as a target reads it back: big-endian, no
    /// leading zero bytes, one zero byte for zero. Computed here independently of `EntityWire`,
    /// so the tests that compare with it check the manager's encoding.
    static func canonical(_ value: UInt64) -> Data {
        let trimmed = withUnsafeBytes(of: value.bigEndian) { Array($0) }.drop { $0 == 0 }
        return trimmed.isEmpty ? Data([0]) : Data(trimmed)
    }
}
