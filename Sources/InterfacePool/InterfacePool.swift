import Foundation
import InfraNet
import Logging

/// One interface handed to one pod interface.
public struct Allocation: Codable, Hashable, Sendable {
    /// The CNI container id (`CNI_CONTAINERID`).
    public var containerID: String
    /// The interface name inside the pod (`CNI_IFNAME`, e.g. `eth0`).
    public var ifName: String
    /// The pod's network namespace path (`CNI_NETNS`); reconcile releases the allocation once
    /// it is gone.
    public var netns: String
    public var interface: PoolInterface

    public init(containerID: String, ifName: String, netns: String, interface: PoolInterface) {
        self.containerID = containerID
        self.ifName = ifName
        self.netns = netns
        self.interface = interface
    }
}

/// A network namespace that exists now, for ``InterfacePool/reconcile(liveNamespaces:)``.
public struct LiveNamespace: Hashable, Sendable {
    /// The namespace's path, as CNI passes it (`/var/run/netns/cni-…`, `/proc/<pid>/ns/net`).
    public var path: String
    /// The MAC addresses of the links inside it, when the caller looked (with netlink);
    /// nil when unknown, in which case an allocation in it is never treated as vanished.
    public var macAddresses: Set<MACAddress>?

    public init(path: String, macAddresses: Set<MACAddress>? = nil) {
        self.path = path
        self.macAddresses = macAddresses
    }

    /// The named namespaces in `directory` (`ip netns add`, containerd's `cni-…`), with
    /// unknown contents.
    public static func named(in directory: String = "/var/run/netns") -> [LiveNamespace] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().map { LiveNamespace(path: directory + "/" + $0) }
    }
}

/// What ``InterfacePool/reconcile(liveNamespaces:)`` changed and found.
public struct ReconcileReport: Sendable, Equatable {
    /// Allocations whose netns no longer exists; their interfaces are free again.
    public var released: [Allocation] = []
    /// Allocations whose interface is neither in the host namespace nor in the pod's.
    public var dropped: [Allocation] = []
    /// Pool interfaces seen inside a pod namespace with no allocation recording them there.
    /// They are not free (they are not in the host namespace), so they are never handed out;
    /// they are reported for an operator or a CNI DEL to clean up.
    public var unrecorded: [UnrecordedInterface] = []

    public init() {}
}

public struct UnrecordedInterface: Hashable, Sendable {
    public var interface: PoolInterface
    public var netns: String
}

/// The interface pool: discovery per mode, allocation persisted before use, release, and
/// reconciliation at start. See Sources/InterfacePool/README.md.
///
/// An actor: allocations are serialised, and no method suspends between choosing an
/// interface and recording it, so two pods never get the same interface.
public actor InterfacePool {
    public nonisolated let config: InterfacePoolConfig
    private let discovery: InterfaceDiscovery
    private let logger: Logger
    private var state: PoolState

    /// Loads the state file (a missing file is an empty pool; an unreadable or corrupt one is
    /// an error, because starting empty could hand out an interface a pod still holds).
    public init(
        config: InterfacePoolConfig,
        discovery: InterfaceDiscovery = InterfaceDiscovery(),
        logger: Logger = Logger(label: "infra.interface-pool")
    ) throws {
        self.config = config
        self.discovery = discovery
        self.logger = logger
        self.state = try PoolState.load(from: config.stateFile, mode: config.mode)
    }

    /// Every allocation, in allocation order.
    public var allocations: [Allocation] { state.allocations }

    public func allocation(containerID: String, ifName: String) -> Allocation? {
        state.allocations.first { $0.containerID == containerID && $0.ifName == ifName }
    }

    /// The interfaces that could be allocated now.
    public func available() throws -> [PoolInterface] {
        let taken = Set(state.allocations.map(\.interface.name))
        return try discovery.discover(config).filter { !taken.contains($0.name) }
    }

    /// Gives `containerID`/`ifName` an interface and records it in the state file before
    /// returning it. A second call for the same pair returns the same allocation (a retried
    /// CNI ADD). Throws `.poolExhausted` when every discovered interface is allocated, and
    /// `.stateWriteFailed` (with nothing allocated) when the state cannot be saved.
    public func allocate(containerID: String, ifName: String, netns: String) throws -> Allocation {
        if let existing = allocation(containerID: containerID, ifName: ifName) {
            return existing
        }
        let taken = Set(state.allocations.map(\.interface.name))
        let (found, seen) = try firstFree(excluding: taken)
        guard let chosen = found else {
            let size = taken.union(try discovery.discover(config).map(\.name)).count
            throw InterfacePoolError(
                .poolExhausted,
                "interface pool exhausted: mode \(config.mode.rawValue) has \(size) interface\(size == 1 ? "" : "s"), all allocated")
        }
        let allocation = Allocation(containerID: containerID, ifName: ifName, netns: netns, interface: chosen)
        var next = state
        next.allocations.append(allocation)
        next.remember(seen)
        try next.save(to: config.stateFile)
        state = next
        logger.debug("allocated", metadata: [
            "interface": "\(chosen.name)", "container": "\(containerID)", "ifname": "\(ifName)",
        ])
        return allocation
    }

    /// The first free interface in pool order, and the interfaces read to find it (to
    /// remember in the inventory). When the inventory already knows every candidate by name
    /// (reconcile at start saw them), only the candidates up to the first free one are read;
    /// otherwise (a new interface, or sriov/cdq) every one is, so the inventory learns it.
    private func firstFree(excluding taken: Set<String>) throws -> (PoolInterface?, [PoolInterface]) {
        let known = Set(state.inventory.map(\.name))
        if let names = try discovery.candidateNames(config), names.allSatisfy(known.contains) {
            let chosen = discovery.firstAvailable(config, among: names, excluding: taken)
            return (chosen, chosen.map { [$0] } ?? [])
        }
        let discovered = try discovery.discover(config)
        return (discovered.first { !taken.contains($0.name) }, discovered)
    }

    /// Frees the interface of `containerID`/`ifName`; returns what was released, or nil when
    /// nothing was allocated (a repeated CNI DEL is not an error). The state file is written
    /// before the interface counts as free.
    @discardableResult
    public func release(containerID: String, ifName: String) throws -> Allocation? {
        guard let position = state.allocations.firstIndex(where: { $0.containerID == containerID && $0.ifName == ifName }) else {
            return nil
        }
        var next = state
        let released = next.allocations.remove(at: position)
        try next.save(to: config.stateFile)
        state = next
        logger.debug("released", metadata: ["interface": "\(released.interface.name)", "container": "\(containerID)"])
        return released
    }

    /// Brings the records in line with the namespaces that exist, at start. `liveNamespaces`
    /// must hold every live pod namespace: one missing from it counts as gone.
    /// - an allocation whose netns is not among `liveNamespaces` is released;
    /// - an allocation whose interface is neither in the host namespace (by MAC) nor, when
    ///   its namespace's links are known, in that namespace is dropped;
    /// - a known pool interface (by MAC) inside a live namespace with no allocation for it
    ///   there is reported, and stays out of the pool since it is not in the host namespace.
    public func reconcile(liveNamespaces: [LiveNamespace]) throws -> ReconcileReport {
        var report = ReconcileReport()
        let live = Dictionary(liveNamespaces.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        let hostMACs = discovery.hostMACAddresses()
        var next = state
        next.remember(try discovery.discover(config))
        next.allocations = state.allocations.filter { allocation in
            guard let namespace = live[allocation.netns] else {
                report.released.append(allocation)
                return false
            }
            if hostMACs.contains(allocation.interface.macAddress) { return true }
            if let inside = namespace.macAddresses, !inside.contains(allocation.interface.macAddress) {
                report.dropped.append(allocation)
                return false
            }
            return true
        }
        let known = Dictionary(next.inventory.map { ($0.macAddress, $0) }, uniquingKeysWith: { first, _ in first })
        let recorded = Set(next.allocations.map { RecordedPlace(mac: $0.interface.macAddress, netns: $0.netns) })
        for namespace in liveNamespaces {
            for mac in (namespace.macAddresses ?? []).sorted(by: { $0.description < $1.description }) {
                guard let interface = known[mac], !recorded.contains(RecordedPlace(mac: mac, netns: namespace.path)) else { continue }
                report.unrecorded.append(UnrecordedInterface(interface: interface, netns: namespace.path))
            }
        }
        if next != state {
            try next.save(to: config.stateFile)
            state = next
        }
        for allocation in report.released {
            logger.notice("released: netns gone", metadata: ["interface": "\(allocation.interface.name)", "netns": "\(allocation.netns)"])
        }
        for allocation in report.dropped {
            logger.warning("dropped: interface vanished", metadata: ["interface": "\(allocation.interface.name)", "netns": "\(allocation.netns)"])
        }
        for item in report.unrecorded {
            logger.warning("pool interface in a pod netns without an allocation", metadata: [
                "interface": "\(item.interface.name)", "mac": "\(item.interface.macAddress)", "netns": "\(item.netns)",
            ])
        }
        return report
    }
}

private struct RecordedPlace: Hashable {
    var mac: MACAddress
    var netns: String
}

extension InterfaceDiscovery {
    /// The MAC address of every netdev in this namespace.
    func hostMACAddresses() -> Set<MACAddress> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: netClassRoot)) ?? []
        return Set(names.compactMap { name in
            Self.readLine(netClassRoot + "/" + name + "/address").flatMap(MACAddress.init)
        })
    }
}
