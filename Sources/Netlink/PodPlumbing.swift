import Glibc
import InfraNet

/// What a pod's interface should look like: a pool interface moved from the host namespace
/// into the pod's, renamed, addressed, routed via the on-link gateway, with a permanent
/// neighbour entry for the gateway.
public struct PodInterfaceSpec: Sendable, Hashable {
    /// The interface's name in the host namespace (a pool port or a veth end).
    public var hostLinkName: String
    /// Where the interface starts and returns to; nil for the runner's own namespace.
    public var hostNamespace: NetworkNamespace?
    public var podNamespace: NetworkNamespace
    public var podLinkName: String
    /// Set on the interface when given; the original is restored if ADD fails or on DEL.
    public var macAddress: MACAddress?
    public var mtu: Int?
    public var addresses: [CIDR]
    /// The default route goes via this address, on-link (Calico's 169.254.1.1).
    public var gateway: IPAddress
    /// The MAC the gateway answers with (the ARP proxy's): a PERMANENT neighbour entry.
    public var gatewayMAC: MACAddress
    /// Extra destinations routed via the gateway, on-link (CNI container routes).
    public var routes: [CIDR]
    /// When false, TX checksum offload is turned off on the pod's interface (a veth whose peer
    /// is an af_packet port: see ChecksumOffload.swift); nil leaves it as the driver set it.
    public var txChecksumOffload: Bool?

    public init(hostLinkName: String, hostNamespace: NetworkNamespace? = nil, podNamespace: NetworkNamespace,
                podLinkName: String = "eth0", macAddress: MACAddress? = nil, mtu: Int? = nil, addresses: [CIDR],
                gateway: IPAddress = IPAddress("169.254.1.1")!, gatewayMAC: MACAddress, routes: [CIDR] = [], txChecksumOffload: Bool? = nil) {
        self.hostLinkName = hostLinkName
        self.hostNamespace = hostNamespace
        self.podNamespace = podNamespace
        self.podLinkName = podLinkName
        self.macAddress = macAddress
        self.mtu = mtu
        self.addresses = addresses
        self.gateway = gateway
        self.gatewayMAC = gatewayMAC
        self.routes = routes
        self.txChecksumOffload = txChecksumOffload
    }
}

/// CNI ADD and DEL for one pod interface, all on the runner's thread.
extension NamespaceRunner {
    /// Moves the interface into the pod and configures it. Atomic: if any step fails the
    /// interface goes back to the host namespace under its host name with its original MAC and
    /// MTU, down, and the first error is thrown. Returns the link as the pod sees it.
    public func plumbPod(_ spec: PodInterfaceSpec) async throws -> Link {
        let original = try await runHost(spec) { socket in try socket.link(named: spec.hostLinkName) }
        try await runHost(spec) { socket in try socket.moveLink(original, to: spec.podNamespace) }
        return try await run(in: spec.podNamespace) { socket in
            // Found by its host name right after the move; from here on `link` tracks its
            // current name, so the rollback never touches another interface of the pod.
            var link = try socket.link(named: spec.hostLinkName)
            do {
                return try Self.configure(socket, &link, spec)
            } catch {
                try? Self.leave(socket, link, spec, mac: original.macAddress, mtu: original.mtu)
                throw error
            }
        }
    }

    /// Undoes `plumbPod`: the interface goes back to the host namespace under its host name,
    /// with its original MAC and MTU when given, down (addresses, routes and neighbours go
    /// with the move). Idempotent: a missing pod namespace or interface is success (when a
    /// pod namespace is destroyed the kernel returns physical devices to the initial namespace
    /// and destroys veths by itself).
    public func unplumbPod(_ spec: PodInterfaceSpec, originalMAC: MACAddress? = nil, originalMTU: Int? = nil) async throws {
        let outcome: Result<Void, NetlinkError>
        do {
            // Only a missing namespace or interface is success; a failure to send the
            // interface home is returned as a value so the catch below cannot swallow it.
            outcome = try await run(in: spec.podNamespace) { socket in
                let link = try socket.link(named: spec.podLinkName)
                do {
                    try Self.leave(socket, link, spec, mac: originalMAC, mtu: originalMTU)
                    return .success(())
                } catch let error as NetlinkError {
                    return .failure(error)
                }
            }
        } catch let error as NetlinkError where error.code == .notFound {
            return
        }
        try outcome.get()
    }

    private static func configure(_ socket: NetlinkSocket, _ link: inout Link, _ spec: PodInterfaceSpec) throws -> Link {
        if spec.podLinkName != link.name { link = try socket.renameLink(link, to: spec.podLinkName) }
        if let mac = spec.macAddress { try socket.setMACAddress(mac, of: link) }
        if let mtu = spec.mtu { try socket.setMTU(mtu, of: link) }
        if let offload = spec.txChecksumOffload { try socket.setTXChecksumOffload(offload, of: link) }
        try socket.setLink(link, up: true)
        let noDAD = true   // the pod's addresses are assigned by IPAM, not probed
        for address in spec.addresses { try socket.addAddress(address, to: link, noDAD: noDAD) }
        try socket.addNeighbour(spec.gateway, macAddress: spec.gatewayMAC, on: link, replace: true)
        try socket.addRoute(.defaultRoute(via: spec.gateway, link: link))
        for destination in spec.routes {
            try socket.addRoute(Route(destination: destination, gateway: spec.gateway, linkIndex: link.index, onLink: true))
        }
        return try socket.link(index: link.index)
    }

    /// In the pod namespace: down, host name, optional MAC/MTU, back to the host namespace.
    private static func leave(_ socket: NetlinkSocket, _ link: Link, _ spec: PodInterfaceSpec, mac: MACAddress?, mtu: Int?) throws {
        try socket.setLink(link, up: false)
        var link = link
        if link.name != spec.hostLinkName { link = try socket.renameLink(link, to: spec.hostLinkName) }
        if let mac { try socket.setMACAddress(mac, of: link) }
        if let mtu { try socket.setMTU(mtu, of: link) }
        try socket.moveLink(link, to: spec.hostNamespace ?? .process(getpid()))
    }

    private func runHost<T: Sendable>(_ spec: PodInterfaceSpec, _ body: @escaping @Sendable (NetlinkSocket) throws -> T) async throws -> T {
        if let host = spec.hostNamespace { return try await run(in: host, body) }
        return try await run(body)
    }
}
