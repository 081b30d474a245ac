import CalicoCNIAPI
import Foundation
import GRPCCore
import InfraAPI
import InfraNet
import InterfacePool
import Logging
import Netlink

/// The agent's one CNI implementation, serving Calico's `cni.CniDataplane` API for both
/// Calico's CNI plugin and infra-cni.
///
/// Add: validate → allocate a pool interface → plumb it into the pod → tell the manager →
/// record the pod. A failure undoes the steps done so far in reverse. A manager failure is
/// also a gRPC error (UNAVAILABLE), as Calico's convention is; earlier failures are
/// `successful = false` replies. Del is idempotent.
public final class CNIBackendService<Transport: ClientTransport>: Cni_CniDataplane.SimpleServiceProtocol, Sendable {
    public static var gateway: IPAddress { IPAddress("169.254.1.1")! }

    let pool: InterfacePool
    let registry: PodRegistry
    let manager: Infra_V1_InfraManager.Client<Transport>
    let runner: NamespaceRunner
    let gatewayMAC: MACAddress
    let defaultMTU: Int
    let managerTimeout: Duration
    /// Set for the veth pool mode: each pod's end gets TX checksum offload off, because its
    /// peer is an af_packet port that forwards partial checksums unfinished.
    let disablesTXChecksumOffload: Bool
    let pendingResync: PendingResync?
    let logger: Logger

    public init(pool: InterfacePool, registry: PodRegistry, client: GRPCClient<Transport>, runner: NamespaceRunner = .shared,
                gatewayMAC: MACAddress, mtu: Int = 0, managerTimeout: Duration = .seconds(1), disablesTXChecksumOffload: Bool = false,
                pendingResync: PendingResync? = nil,
                logger: Logger) {
        self.pool = pool
        self.registry = registry
        self.manager = Infra_V1_InfraManager.Client(wrapping: client)
        self.runner = runner
        self.gatewayMAC = gatewayMAC
        self.defaultMTU = mtu
        self.managerTimeout = managerTimeout
        self.disablesTXChecksumOffload = disablesTXChecksumOffload
        self.pendingResync = pendingResync
        self.logger = logger
    }

    /// The pods to report in the agent's Sync.
    public func pods() async -> [Infra_V1_PodNetwork] {
        await registry.reported.map(\.podNetwork)
    }

    private var callOptions: CallOptions {
        var options = CallOptions.defaults
        options.timeout = managerTimeout
        options.waitForReady = false
        return options
    }

    static func containerID(options: [String: String], netns: String) -> String {
        if let id = options["container_id"], !id.isEmpty { return id }
        return netns
    }

    // MARK: Add

    struct ValidAdd {
        var interfaceName: String
        var netns: String
        var addresses: [CIDR]
        var routes: [CIDR]
        var mtu: Int?
    }

    static func validate(_ request: Cni_AddRequest, defaultMTU: Int) -> Result<ValidAdd, CNIBackendError> {
        let name = request.interfaceName
        guard !name.isEmpty, name.utf8.count <= 15, !name.contains("/"), !name.contains(where: \.isWhitespace) else {
            return .failure(CNIBackendError("interface_name \"\(name)\" is not a valid interface name (1 to 15 characters, no '/' or spaces)"))
        }
        guard request.netns.hasPrefix("/") else {
            return .failure(CNIBackendError("netns \"\(request.netns)\" is not an absolute path"))
        }
        guard FileManager.default.fileExists(atPath: request.netns) else {
            return .failure(CNIBackendError("netns \"\(request.netns)\" does not exist"))
        }
        guard !request.containerIps.isEmpty else {
            return .failure(CNIBackendError("container_ips is empty: at least one address is needed"))
        }
        var addresses: [CIDR] = []
        for (index, ip) in request.containerIps.enumerated() {
            guard let cidr = CIDR(ip.address) else {
                return .failure(CNIBackendError("container_ips[\(index)].address \"\(ip.address)\" is not a CIDR"))
            }
            // Every pod address is a host route behind the gateway, as Calico does.
            addresses.append(CIDR(address: cidr.address, prefixLength: cidr.address.family == .v4 ? 32 : 128)!)
        }
        var routes: [CIDR] = []
        for (index, text) in request.containerRoutes.enumerated() {
            guard let cidr = CIDR(text) else {
                return .failure(CNIBackendError("container_routes[\(index)] \"\(text)\" is not a CIDR"))
            }
            // The default route is always installed; the gateway is IPv4, so IPv6 routes
            // cannot go via it (Calico skips them too).
            if cidr.prefixLength == 0 || cidr.address.family != gateway.family { continue }
            routes.append(cidr)
        }
        let mtu = request.settings.mtu
        guard mtu == 0 || (68...65_535).contains(mtu) else {
            return .failure(CNIBackendError("settings.mtu \(mtu) is not 0 or from 68 to 65535"))
        }
        return .success(ValidAdd(
            interfaceName: name, netns: request.netns, addresses: addresses, routes: routes,
            mtu: mtu > 0 ? Int(mtu) : (defaultMTU > 0 ? defaultMTU : nil)
        ))
    }

    public func add(request: Cni_AddRequest, context: ServerContext) async throws -> Cni_AddReply {
        let valid: ValidAdd
        switch Self.validate(request, defaultMTU: defaultMTU) {
        case .success(let value): valid = value
        case .failure(let error): return Self.failed(error.message)
        }
        let containerID = Self.containerID(options: request.dataplaneOptions, netns: valid.netns)
        var metadata: Logger.Metadata = ["container": "\(containerID)", "ifname": "\(valid.interfaceName)", "netns": "\(valid.netns)"]

        // A repeated Add of a pod already done answers as before.
        if let done = await registry.record(containerID: containerID, interfaceName: valid.interfaceName), done.netns == valid.netns {
            return .with {
                $0.successful = true
                $0.hostInterfaceName = done.hostInterface
                $0.containerMac = done.macAddress
            }
        }

        let allocation: Allocation
        do {
            allocation = try await pool.allocate(containerID: containerID, ifName: valid.interfaceName, netns: valid.netns)
        } catch let error as InterfacePoolError {
            logger.warning("CNI Add: no pool interface", metadata: metadata.merging(["error": "\(error.message)"]) { $1 })
            return Self.failed(error.code == .poolExhausted ? error.message : "interface pool: \(error.message)")
        }
        let interface = allocation.interface
        metadata["pool_interface"] = "\(interface.name)"

        let spec = PodInterfaceSpec(
            hostLinkName: interface.name, podNamespace: NetworkNamespace(path: valid.netns), podLinkName: valid.interfaceName,
            macAddress: interface.macAddress, mtu: valid.mtu, addresses: valid.addresses, gateway: Self.gateway,
            gatewayMAC: gatewayMAC, routes: valid.routes, txChecksumOffload: disablesTXChecksumOffload ? false : nil
        )
        do {
            _ = try await runner.plumbPod(spec)
        } catch {
            // plumbPod rolled itself back; the slot goes back to the pool.
            let undo = await releaseSlot(containerID: containerID, ifName: valid.interfaceName)
            logger.warning("CNI Add: plumbing failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return Self.failed("plumbing \(interface.name) into \(valid.netns) as \(valid.interfaceName) failed: \(error)" + undo)
        }

        let record = PodRecord(
            containerID: containerID, interfaceName: valid.interfaceName, netns: valid.netns,
            namespace: request.workload.namespace, podName: request.workload.pod.isEmpty ? request.workload.name : request.workload.pod,
            hostInterface: interface.name, macAddress: interface.macAddress.description,
            ipAddresses: valid.addresses.map(\.description)
        )
        // A Sync from now on reports the pod (see PodRegistry.announce); every way out below
        // settles before anything that could trigger one.
        await registry.announce(record)
        do {
            _ = try await manager.createPodNetwork(.with { $0.pod = record.podNetwork }, options: callOptions)
        } catch {
            await registry.settle(containerID: containerID, interfaceName: valid.interfaceName)
            pendingResync?.request("CreatePodNetwork \(containerID)/\(valid.interfaceName) failed: \(Self.describe(error))")
            let undo = await undoPlumbing(spec, containerID: containerID, ifName: valid.interfaceName, managerTold: false)
            let message = "Failed to configure interface via infra-manager: \(managerFailure(error))" + undo
            logger.warning("CNI Add: manager failed", metadata: metadata.merging(["error": "\(message)"]) { $1 })
            throw RPCError(code: .unavailable, message: message)
        }

        do {
            try await registry.insert(record)
        } catch {
            await registry.settle(containerID: containerID, interfaceName: valid.interfaceName)
            let undo = await undoPlumbing(spec, containerID: containerID, ifName: valid.interfaceName, managerTold: true)
            return Self.failed("recording the pod failed: \(error)" + undo)
        }
        await registry.settle(containerID: containerID, interfaceName: valid.interfaceName)
        logger.info("CNI Add done", metadata: metadata)
        return .with {
            $0.successful = true
            $0.hostInterfaceName = interface.name
            $0.containerMac = interface.macAddress.description
        }
    }

    /// Undo after a successful plumb, in reverse: manager (if told), unplumb, pool release.
    /// Returns text to append to the error message when an undo step failed too.
    private func undoPlumbing(_ spec: PodInterfaceSpec, containerID: String, ifName: String, managerTold: Bool) async -> String {
        var problems: [String] = []
        if managerTold {
            do {
                _ = try await manager.deletePodNetwork(.with {
                    $0.key = .with { $0.containerID = containerID; $0.interfaceName = ifName }
                }, options: callOptions)
            } catch {
                pendingResync?.request("DeletePodNetwork \(containerID)/\(ifName) failed: \(Self.describe(error))")
                problems.append("telling the manager to delete it also failed: \(managerFailure(error))")
            }
        }
        do {
            try await runner.unplumbPod(spec)
        } catch {
            problems.append("moving \(spec.hostLinkName) back also failed: \(error)")
            // The interface may still be in the pod: keep the slot so it is not handed out twice.
            return "; " + problems.joined(separator: "; ")
        }
        let release = await releaseSlot(containerID: containerID, ifName: ifName)
        return (problems.isEmpty ? "" : "; " + problems.joined(separator: "; ")) + release
    }

    private func releaseSlot(containerID: String, ifName: String) async -> String {
        do {
            _ = try await pool.release(containerID: containerID, ifName: ifName)
            return ""
        } catch {
            return "; releasing the pool interface also failed: \(error)"
        }
    }

    static func failed(_ message: String) -> Cni_AddReply {
        .with {
            $0.successful = false
            $0.errorMessage = message
        }
    }

    static func describe(_ error: any Error) -> String {
        if let rpc = error as? RPCError { return "\(rpc.code): \(rpc.message)" }
        return String(describing: error)
    }

    /// A failed manager call in words an operator acts on: a call that got no answer in time
    /// (a partition, a hung manager) says the manager is unreachable and how long it was
    /// waited for. UNAVAILABLE keeps its own message: it is either a refused connection or
    /// the manager's own answer (its P4Runtime target is not ready), and the text says which.
    func managerFailure(_ error: any Error) -> String {
        if let rpc = error as? RPCError, rpc.code == .deadlineExceeded {
            let waited = managerTimeout.components.seconds * 1000 + managerTimeout.components.attoseconds / 1_000_000_000_000_000
            return "infra-manager unreachable: no answer within \(waited) ms (\(Self.describe(error)))"
        }
        return Self.describe(error)
    }

    // MARK: Del

    public func del(request: Cni_DelRequest, context: ServerContext) async throws -> Cni_DelReply {
        let ifName = request.interfaceName
        let netns = request.netns
        let explicitID = request.dataplaneOptions["container_id"].flatMap { $0.isEmpty ? nil : $0 }
        let allocations = await pool.allocations
        let allocation = allocations.first { a in
            a.ifName == ifName && (explicitID.map { a.containerID == $0 } ?? (a.netns == netns))
        }
        let containerID = allocation?.containerID ?? explicitID ?? netns
        let record = await registry.record(containerID: containerID, interfaceName: ifName)
        guard allocation != nil || record != nil else {
            return .with { $0.successful = true }   // nothing of ours: already deleted
        }
        let metadata: Logger.Metadata = ["container": "\(containerID)", "ifname": "\(ifName)", "netns": "\(netns)"]

        // The manager first: the pipeline stops forwarding before the interface leaves. A Sync
        // from now on leaves the pod out (see PodRegistry.withdraw).
        await registry.withdraw(containerID: containerID, interfaceName: ifName)
        do {
            _ = try await manager.deletePodNetwork(.with {
                $0.key = .with { $0.containerID = containerID; $0.interfaceName = ifName }
            }, options: callOptions)
        } catch {
            await registry.settle(containerID: containerID, interfaceName: ifName)
            pendingResync?.request("DeletePodNetwork \(containerID)/\(ifName) failed: \(Self.describe(error))")
            let message = "Failed to delete the pod network via infra-manager: \(managerFailure(error))"
            logger.warning("CNI Del: manager failed", metadata: metadata.merging(["error": "\(message)"]) { $1 })
            throw RPCError(code: .unavailable, message: message)
        }
        do {
            try await registry.remove(containerID: containerID, interfaceName: ifName)
        } catch {
            await registry.settle(containerID: containerID, interfaceName: ifName)
            return .with { $0.successful = false; $0.errorMessage = "removing the pod record failed: \(error)" }
        }
        await registry.settle(containerID: containerID, interfaceName: ifName)
        if let allocation {
            let spec = PodInterfaceSpec(
                hostLinkName: allocation.interface.name, podNamespace: NetworkNamespace(path: allocation.netns),
                podLinkName: ifName, addresses: [], gatewayMAC: gatewayMAC
            )
            do {
                try await runner.unplumbPod(spec)
            } catch {
                return .with {
                    $0.successful = false
                    $0.errorMessage = "moving \(allocation.interface.name) out of \(allocation.netns) failed: \(error)"
                }
            }
            do {
                _ = try await pool.release(containerID: allocation.containerID, ifName: ifName)
            } catch {
                return .with { $0.successful = false; $0.errorMessage = "releasing pool interface \(allocation.interface.name) failed: \(error)" }
            }
        }
        logger.info("CNI Del done", metadata: metadata)
        return .with { $0.successful = true }
    }
}

extension CNIBackendService {
    /// At start: releases pool allocations whose netns is gone (named namespaces plus the
    /// netns paths of recorded pods that still exist), and forgets records without a slot.
    public func reconcilePool() async throws {
        var live = LiveNamespace.named()
        let known = Set(live.map(\.path))
        for record in await registry.all where !known.contains(record.netns) && FileManager.default.fileExists(atPath: record.netns) {
            live.append(LiveNamespace(path: record.netns))
        }
        for allocation in await pool.allocations where !Set(live.map(\.path)).contains(allocation.netns)
            && FileManager.default.fileExists(atPath: allocation.netns) {
            live.append(LiveNamespace(path: allocation.netns))
        }
        let report = try await pool.reconcile(liveNamespaces: live)
        let held = Set(await pool.allocations.map { PodRegistry.key($0.containerID, $0.ifName) })
        for record in await registry.all where !held.contains(PodRegistry.key(record.containerID, record.interfaceName)) {
            try await registry.remove(containerID: record.containerID, interfaceName: record.interfaceName)
        }
        if !report.released.isEmpty || !report.dropped.isEmpty {
            logger.info("interface pool reconciled", metadata: [
                "released": "\(report.released.count)", "dropped": "\(report.dropped.count)",
            ])
        }
    }
}
