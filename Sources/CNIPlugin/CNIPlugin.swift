import CNISpec
import CalicoCNIAPI
import Foundation
import GRPCCore
import InfraNet

/// infra-cni's logic: one call of the plugin, from its environment and stdin to what it
/// prints and its exit status. The executable only wires this to the process.
public struct CNIPlugin: Sendable {
    /// What the plugin prints on stdout, and its exit status (0 on success, 1 with an error
    /// object).
    public struct Output: Sendable {
        public var stdout: Data
        public var exitStatus: Int32
    }

    /// Makes the agent client for a config (replaceable in tests).
    public var makeAgent: @Sendable (PluginConfig) -> any AgentClient

    public init(makeAgent: @escaping @Sendable (PluginConfig) -> any AgentClient = {
        GRPCAgentClient(socketPath: $0.agentSocket, timeout: $0.agentTimeout)
    }) {
        self.makeAgent = makeAgent
    }

    public func run(environment: [String: String], stdin: Data) async -> Output {
        // The version errors are reported in: the config's, when it can be read and is supported.
        let requested = (try? JSONValue.parse(stdin))?["cniVersion"]?.stringValue
        let errorVersion = requested.flatMap { CNIVersion.isSupported($0) ? $0 : nil } ?? CNIVersion.latest
        do {
            let env = try CNIEnvironment(environment)
            let result = try await dispatch(env, stdin: stdin)
            return Output(stdout: result.map { $0.serialized() + Data("\n".utf8) } ?? Data(), exitStatus: 0)
        } catch {
            return Output(stdout: error.json(cniVersion: errorVersion).serialized() + Data("\n".utf8), exitStatus: 1)
        }
    }

    func dispatch(_ env: CNIEnvironment, stdin: Data) async throws(CNIError) -> JSONValue? {
        if env.command == .version {
            // VERSION may come with a config of any version, or none; it never fails.
            let asked = (try? JSONValue.parse(stdin))?["cniVersion"]?.stringValue
            return CNIVersion.versionInfo(cniVersion: asked.flatMap { CNIVersion.isSupported($0) ? $0 : nil } ?? CNIVersion.latest)
        }
        let config = try NetworkConfig(data: stdin)
        let settings = try PluginConfig(config)
        switch env.command {
        case .add: return try await add(env, config, settings)
        case .del: try await del(env, config, settings); return nil
        case .check: try await check(env, config, settings); return nil
        case .status: try await status(env, config, settings); return nil
        case .gc: try gc(env, config, settings); return nil
        case .version: return nil
        }
    }

    private func ipam(_ env: CNIEnvironment, _ config: NetworkConfig, _ settings: PluginConfig) throws(CNIError) -> IPAMDelegate {
        guard let type = config.ipamType, !type.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "network configuration has no ipam.type (infra-cni delegates IPAM, e.g. to host-local)")
        }
        return IPAMDelegate(type: type, environment: env, timeout: settings.ipamTimeout)
    }

    // MARK: ADD

    func add(_ env: CNIEnvironment, _ config: NetworkConfig, _ settings: PluginConfig) async throws(CNIError) -> JSONValue {
        let ipam = try ipam(env, config, settings)
        // Checked before IPAM so a bad path costs nothing and leaks nothing.
        if let netns = env.netns, !FileManager.default.fileExists(atPath: netns) {
            throw CNIError(.invalidEnvironment, "invalid environment variable CNI_NETNS: \(netns) does not exist")
        }
        let ipamAnswer: JSONValue?
        do {
            ipamAnswer = try ipam.run(.add, config: config)
        } catch where error.code == .tryAgainLater {
            // Killed at its deadline: it may have allocated before it was stopped.
            throw Self.releasing(ipam, config, after: error)
        }
        guard let ipamOutput = ipamAnswer else {
            throw Self.releasing(ipam, config, after: CNIError(.ipamFailed, "IPAM plugin \(ipam.type) printed no result"))
        }
        let ipamResult: CNIResult
        do {
            ipamResult = try CNIResult(json: ipamOutput)
            guard !ipamResult.ips.isEmpty else {
                throw CNIError(.ipamNoAddress, "IPAM plugin \(ipam.type) returned no address")
            }
        } catch let error as CNIError {
            throw Self.releasing(ipam, config, after: error)
        } catch {
            throw Self.releasing(ipam, config, after: CNIError(.decodeFailure, "\(error)"))
        }

        let ifname = env.ifname ?? ""
        let netns = env.netns ?? ""
        var request = Cni_AddRequest()
        request.interfaceName = ifname
        request.netns = netns
        request.settings = .with {
            $0.mtu = Int32(settings.mtu)
            $0.allowIpForwarding = settings.allowIPForwarding
        }
        request.containerIps = ipamResult.ips.map { ip in
            .with {
                $0.address = ip.address.description
                $0.gateway = ip.gateway?.description ?? ""
            }
        }
        request.containerRoutes = Self.containerRoutes(ipamResult)
        request.workload = Self.workload(env, ifname: ifname, node: settings.nodename)
        request.dataplaneOptions = settings.dataplaneOptions
        let addRequest = request

        let reply: Cni_AddReply
        do {
            reply = try await callAgent(settings, "Add") { agent in try await agent.add(addRequest) }
        } catch {
            throw Self.releasing(ipam, config, after: error)
        }
        guard reply.successful else {
            throw Self.releasing(ipam, config, after: CNIError(
                .agentRefused, "infra-agent refused Add for \(ifname) in \(netns)",
                details: reply.errorMessage.isEmpty ? nil : reply.errorMessage
            ))
        }

        var result = Self.podResult(ipamResult, routes: addRequest.containerRoutes)
        result.interfaces = [CNIResult.Interface(
            name: ifname, mac: reply.containerMac.isEmpty ? nil : reply.containerMac,
            mtu: settings.mtu > 0 ? settings.mtu : nil, sandbox: netns
        )]
        if result.dns.isEmpty, let dns = config.dns { result.dns = dns }
        return result.json(cniVersion: config.cniVersion)
    }

    /// The pod's gateway: the agent routes every pod through it (the ARP proxy answers for it).
    static let podGateway = IPAddress("169.254.1.1")!

    /// What the agent plumbs from IPAM's answer, so the result (and CHECK against it) states
    /// what the pod really holds: each address as a host route (/32, /128) on interface 0,
    /// IPv4 via 169.254.1.1 on-link, and the IPv4 routes via that gateway.
    static func podResult(_ ipam: CNIResult, routes: [String]) -> CNIResult {
        var result = ipam
        result.ips = ipam.ips.map { ip in
            let family = ip.address.address.family
            return CNIResult.IPConfig(
                address: CIDR(address: ip.address.address, prefixLength: family == .v4 ? 32 : 128)!,
                gateway: family == .v4 ? podGateway : nil, interface: 0
            )
        }
        // The agent always installs the IPv4 default route, then the other IPv4 routes.
        var destinations = routes.compactMap { CIDR($0) }.filter { $0.address.family == .v4 && $0.prefixLength > 0 }
        if result.ips.contains(where: { $0.address.address.family == .v4 }) { destinations.insert(CIDR("0.0.0.0/0")!, at: 0) }
        result.routes = destinations.map { CNIResult.Route(dst: $0, gw: podGateway) }
        return result
    }

    /// IPAM DEL after a failed ADD, so no address leaks. The original error is kept; a
    /// failed release is added to its details.
    static func releasing(_ ipam: IPAMDelegate, _ config: NetworkConfig, after error: CNIError) -> CNIError {
        do {
            try ipam.run(.del, config: config)
            return error
        } catch let releaseError {
            var combined = error
            combined.details = [error.details, "releasing the IPAM address also failed: \(releaseError.msg)"]
                .compactMap { $0 }.joined(separator: "; ")
            return combined
        }
    }

    /// The routes the agent installs in the pod via its gateway: IPAM's, or a default route
    /// per address family when IPAM gave none.
    static func containerRoutes(_ result: CNIResult) -> [String] {
        if !result.routes.isEmpty { return result.routes.map(\.dst.description) }
        var routes: [String] = []
        if result.ips.contains(where: { $0.address.address.family == .v4 }) { routes.append("0.0.0.0/0") }
        if result.ips.contains(where: { $0.address.address.family == .v6 }) { routes.append("::/0") }
        return routes
    }

    static func workload(_ env: CNIEnvironment, ifname: String, node: String) -> Cni_WorkloadIDs {
        var workload = Cni_WorkloadIDs()
        let pod = env.arg("K8S_POD_NAME") ?? ""
        workload.name = pod.isEmpty ? (env.containerID ?? "") : pod
        workload.pod = pod
        workload.namespace = env.arg("K8S_POD_NAMESPACE") ?? ""
        workload.endpoint = ifname
        workload.node = node
        workload.orchestrator = pod.isEmpty ? "cni" : "k8s"
        return workload
    }

    // MARK: DEL

    func del(_ env: CNIEnvironment, _ config: NetworkConfig, _ settings: PluginConfig) async throws(CNIError) {
        var request = Cni_DelRequest()
        request.interfaceName = env.ifname ?? ""
        request.netns = env.netns ?? ""
        request.dataplaneOptions = settings.dataplaneOptions
        let delRequest = request
        // The agent first: the address is freed only once nothing in the dataplane uses it.
        // The agent treats a missing netns or interface as done.
        let reply = try await callAgent(settings, "Del") { agent in try await agent.del(delRequest) }
        guard reply.successful else {
            throw CNIError(
                .agentRefused, "infra-agent refused Del for \(request.interfaceName) in \(request.netns)",
                details: reply.errorMessage.isEmpty ? nil : reply.errorMessage
            )
        }
        if let type = config.ipamType, !type.isEmpty {
            try IPAMDelegate(type: type, environment: env, timeout: settings.ipamTimeout).run(.del, config: config)
        }
    }

    // MARK: CHECK

    func check(_ env: CNIEnvironment, _ config: NetworkConfig, _ settings: PluginConfig) async throws(CNIError) {
        guard let prev = config.prevResult else {
            throw CNIError(.invalidNetworkConfig, "CHECK needs prevResult in the network configuration")
        }
        let ipam = try ipam(env, config, settings)
        try ipam.run(.check, config: config)
        let ifname = env.ifname ?? "", netns = env.netns ?? ""
        guard let index = prev.interfaces.firstIndex(where: { $0.name == ifname && $0.sandbox == netns }) else {
            throw CNIError(.checkMismatch, "prevResult has no interface \(ifname) in sandbox \(netns)")
        }
        let expected = prev.interfaces[index]
        let found: NetnsInterface
        do {
            found = try NetnsInterface.read(netns: netns, ifname: ifname)
        } catch {
            throw CNIError(.checkMismatch, "cannot inspect \(ifname) in \(netns)", details: "\(error)")
        }
        if let mac = expected.mac, MACAddress(mac) != found.mac {
            throw CNIError(.checkMismatch, "\(ifname) in \(netns) has MAC \(found.mac.map(\.description) ?? "none"), prevResult says \(mac)")
        }
        let expectedAddresses = Set(prev.ips.filter { $0.interface == nil || $0.interface == index }.map(\.address))
        let missing = expectedAddresses.subtracting(found.addresses)
        if !missing.isEmpty {
            throw CNIError(
                .checkMismatch, "\(ifname) in \(netns) lacks address\(missing.count == 1 ? "" : "es") \(missing.map(\.description).sorted().joined(separator: ", "))",
                details: "found \(found.addresses.map(\.description).sorted().joined(separator: ", "))"
            )
        }
    }

    // MARK: STATUS, GC

    func status(_ env: CNIEnvironment, _ config: NetworkConfig, _ settings: PluginConfig) async throws(CNIError) {
        let serving: Bool
        var reason = ""
        do {
            serving = try await makeAgent(settings).isServing()
            if !serving { reason = "health is not SERVING" }
        } catch {
            serving = false
            reason = Self.describe(error)
        }
        guard serving else {
            throw CNIError(.pluginNotAvailable, "infra-agent at \(settings.agentSocket) is not ready", details: reason)
        }
        if let type = config.ipamType, !type.isEmpty {
            let ipam = IPAMDelegate(type: type, environment: env, timeout: settings.ipamTimeout)
            if ipam.supportsSpec11(asking: config.cniVersion) { try ipam.run(.status, config: config) }
        }
    }

    func gc(_ env: CNIEnvironment, _ config: NetworkConfig, _ settings: PluginConfig) throws(CNIError) {
        // The agent's CniDataplane API has no GC; its own reconcile frees interfaces of
        // vanished namespaces. IPAM gets GC when it knows the command (spec 1.1).
        guard let type = config.ipamType, !type.isEmpty else { return }
        let ipam = IPAMDelegate(type: type, environment: env, timeout: settings.ipamTimeout)
        if ipam.supportsSpec11(asking: config.cniVersion) { try ipam.run(.gc, config: config) }
    }

    // MARK: agent calls

    /// Calls the agent; an unreachable or slow agent is code 11 (try again later), any other
    /// gRPC error code 100.
    func callAgent<R: Sendable>(_ settings: PluginConfig, _ name: String, _ body: @Sendable @escaping (any AgentClient) async throws -> R) async throws(CNIError) -> R {
        let agent = makeAgent(settings)
        do {
            return try await body(agent)
        } catch let error as RPCError where ![.unavailable, .deadlineExceeded, .cancelled].contains(error.code) {
            throw CNIError(.agentRefused, "infra-agent \(name) failed", details: Self.describe(error))
        } catch {
            // Either the agent did not answer, or it answered UNAVAILABLE because the manager
            // behind it did not: the details say which.
            throw CNIError(.tryAgainLater, "\(name) through infra-agent at \(settings.agentSocket) did not complete", details: Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let rpc = error as? RPCError { return "\(rpc.code): \(rpc.message)" }
        return "\(error)"
    }
}
