import CalicoCNIAPI
import Foundation
import GRPCCore
import Glibc
import GRPCNIOTransportHTTP2Posix
import InfraAPI
import InfraAgentCore
import InfraChannel
import InfraDaemon
import InfraManagerCore
import InfraNet
import InterfacePool
import Logging
import Netlink
import ServiceLifecycle
import XCTest

/// Runs a command and returns its stdout; throws with stderr when it exits non-zero.
@discardableResult
func command(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let error = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CommandFailure(text: "\(arguments.joined(separator: " ")): exit \(process.terminationStatus): \(String(decoding: error, as: UTF8.self))")
    }
    return String(decoding: output, as: UTF8.self)
}

struct CommandFailure: Error, CustomStringConvertible { var text: String; var description: String { text } }

/// `ip [-n ns] -j <arguments>` parsed: iproute2's own view of what the kernel holds.
func ipJSON(_ namespace: String?, _ arguments: [String]) throws -> [[String: Any]] {
    let text = try command(["ip"] + (namespace.map { ["-n", $0] } ?? []) + ["-j"] + arguments)
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.isEmpty { return [] }
    guard let array = try JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [[String: Any]] else {
        throw CommandFailure(text: "ip \(arguments.joined(separator: " ")) printed no JSON array: \(text)")
    }
    return array
}

/// A real infra-manager (insecure, no dataplane) on a loopback port.
final class TestManager: Sendable {
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int

    init() async throws {
        let yaml = """
        nodeName: node-1
        listen: 127.0.0.1:0
        insecure: true
        metrics:
          enabled: false
        """
        let config = try ConfigLoader.load(ManagerConfig.self, fromYAML: yaml, source: "test")
        var logger = Logger(label: "test.manager")
        logger.logLevel = .critical
        let daemon = try ManagerDaemon(config: config, logger: logger)
        let group = ServiceGroup(services: daemon.services(metricsRegistry: nil), logger: logger)
        self.group = group
        task = Task { try await group.run() }
        port = try await daemon.listeningPort()
    }

    func shutdown() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    func status() async throws -> Infra_V1_StatusResponse {
        let transport = try ChannelClientTransport.make(
            address: ChannelAddress(.ip(IPAddress("127.0.0.1")!, port: port)), security: .insecure, logger: Logger(label: "test.status")
        )
        return try await withGRPCClient(transport: transport) { client in
            try await Infra_V1_InfraManager.Client(wrapping: client).status(.init(), options: .quick)
        }
    }
}

extension CallOptions {
    static var quick: CallOptions {
        var options = CallOptions.defaults
        options.timeout = .seconds(5)
        options.waitForReady = false
        return options
    }
}

/// Manager + the agent's CNI backend on a temporary unix socket + a veth pool of pairs the
/// test creates in the host namespace + pod namespaces the test creates; all removed after.
class AgentCNITestCase: XCTestCase {
    var directory = ""
    var manager: TestManager!
    var managerClient: GRPCClient<HTTP2ClientTransport.Posix>!
    var managerClientTask: Task<Void, any Error>?
    var pool: InterfacePool!
    var backend: CNIBackendService<HTTP2ClientTransport.Posix>!
    var serverGroup: ServiceGroup?
    var serverTask: Task<Void, any Error>?
    var poolNames: [String] = []
    var peerNames: [String] = []
    var namespaces: [String] = []
    let gatewayMAC = MACAddress("02:aa:bb:cc:dd:01")!
    var socketPath: String { directory + "/cni.sock" }
    var podStateFile: String { directory + "/pods.json" }
    var logger: Logger {
        var logger = Logger(label: "test.agent-cni")
        logger.logLevel = .critical
        return logger
    }

    /// Override to change the pool size.
    var poolSize: Int { 2 }

    override func setUp() async throws {
        try XCTSkipUnless(getuid() == 0, "these tests create network namespaces and veth pairs and need root")
        directory = "/tmp/acni-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let tag = String(UInt32.random(in: 0...0xFFFFF), radix: 16)
        for index in 0..<poolSize {
            let name = "ac\(tag)p\(index)", peer = "ac\(tag)q\(index)"
            try command(["ip", "link", "add", name, "type", "veth", "peer", "name", peer])
            try command(["ip", "link", "set", peer, "up"])
            poolNames.append(name)
            peerNames.append(peer)
        }
        manager = try await TestManager()
        try await startBackend(managerPort: manager.port)
    }

    func startBackend(managerPort: Int) async throws {
        let transport = try ChannelClientTransport.make(
            address: ChannelAddress(.ip(IPAddress("127.0.0.1")!, port: managerPort)), security: .insecure, logger: logger
        )
        let client = GRPCClient(transport: transport)
        managerClient = client
        managerClientTask = Task { try await client.runConnections() }
        pool = try InterfacePool(
            config: InterfacePoolConfig(mode: .veth, selector: .names(poolNames), stateFile: directory + "/pool.json"), logger: logger
        )
        backend = CNIBackendService(
            pool: pool, registry: try PodRegistry(path: podStateFile), client: client, gatewayMAC: gatewayMAC,
            managerTimeout: .seconds(2), logger: logger
        )
        let server = try CNIServer(
            address: ChannelAddress(.unix(path: socketPath)), backend: backend, stop: GracefulStop(), logger: logger
        )
        let group = ServiceGroup(services: [server], logger: logger)
        serverGroup = group
        serverTask = Task { try await group.run() }
        _ = try await server.listeningAddress()
    }

    override func tearDown() async throws {
        await serverGroup?.triggerGracefulShutdown()
        _ = try? await serverTask?.value
        managerClient?.beginGracefulShutdown()
        _ = try? await managerClientTask?.value
        await manager?.shutdown()
        for name in namespaces { _ = try? command(["ip", "netns", "del", name]) }
        // Deleting one end of a veth removes both; a pool end left in a pod went with it.
        for name in poolNames { _ = try? command(["ip", "link", "del", name]) }
        if !directory.isEmpty { try? FileManager.default.removeItem(atPath: directory) }
        namespaces = []
        poolNames = []
        peerNames = []
    }

    func makeNamespace() throws -> String {
        let name = "acni-\(UInt32.random(in: 0...UInt32.max))"
        try command(["ip", "netns", "add", name])
        namespaces.append(name)
        return name
    }

    /// Calls the backend over its socket with the generated client, as Calico's plugin does.
    func withCNIClient<R: Sendable>(_ body: @Sendable (Cni_CniDataplane.Client<HTTP2ClientTransport.Posix>) async throws -> R) async throws -> R {
        let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { client in
            try await body(Cni_CniDataplane.Client(wrapping: client))
        }
    }

    func add(_ request: Cni_AddRequest) async throws -> Cni_AddReply {
        try await withCNIClient { try await $0.add(request, options: .quick) }
    }

    func del(netns: String, ifName: String = "eth0") async throws -> Cni_DelReply {
        try await withCNIClient { client in
            try await client.del(.with { $0.netns = netns; $0.interfaceName = ifName }, options: .quick)
        }
    }

    /// An Add like Calico's plugin sends after IPAM.
    func addRequest(netns: String, address: String = "10.250.0.5/24", pod: String = "web-0") -> Cni_AddRequest {
        .with {
            $0.interfaceName = "eth0"
            $0.netns = netns
            $0.desiredHostInterfaceName = "cali0123456789a"
            $0.settings = .with { $0.mtu = 1400 }
            $0.containerIps = [.with { $0.address = address; $0.gateway = "10.250.0.1" }]
            $0.containerRoutes = ["0.0.0.0/0", "10.96.0.0/12"]
            $0.workload = .with {
                $0.name = pod
                $0.pod = pod
                $0.namespace = "shop"
                $0.orchestrator = "k8s"
                $0.endpoint = "eth0"
            }
        }
    }

    /// The pool ends present in the host namespace.
    func poolLinksInHost() throws -> Set<String> {
        Set(try ipJSON(nil, ["link", "show"]).compactMap { $0["ifname"] as? String }).intersection(poolNames)
    }
}

/// A TCP listener on 127.0.0.1 that accepts connections into its backlog and never answers:
/// a manager that is reachable but stuck, for calls that must stay in flight until their timeout.
final class SilentListener: Sendable {
    let descriptor: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CommandFailure(text: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            _ = Glibc.close(fd)
            throw CommandFailure(text: "bind/listen: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(descriptor) }
}
