#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import InfraNet

/// Finds the pool's interfaces in sysfs, per mode.
///
/// `netClassRoot` is `/sys/class/net` in production; tests point it at a tree they build.
/// Everything is read from files and symlinks, nothing is changed.
public struct InterfaceDiscovery: Sendable {
    public var netClassRoot: String

    public init(netClassRoot: String = "/sys/class/net") {
        self.netClassRoot = netClassRoot
    }

    /// The interfaces `config` selects that are present in this namespace now, in pool order
    /// (list order, natural name order, VF index, or SF number), minus `exclude`.
    public func discover(_ config: InterfacePoolConfig) throws -> [PoolInterface] {
        var found: [PoolInterface]
        switch config.mode {
        case .tap, .veth:
            found = try selected(config.selector ?? .prefix(InterfacePoolConfig.defaultTapPrefix), requireTap: config.mode == .tap)
        case .sriov:
            found = try virtualFunctions(of: config.physicalFunction ?? "")
        case .cdq:
            found = try subfunctions(of: config.physicalFunction ?? "")
        }
        found.removeAll { config.exclude.contains($0.name) }
        return found.map { Self.withPort($0, config) }
    }

    /// The names of the candidates `config` selects, in pool order, without reading their
    /// sysfs files (one directory listing); nil in sriov and cdq mode, whose order needs each
    /// VF's or SF's files (use `discover(_:)` there).
    public func candidateNames(_ config: InterfacePoolConfig) throws -> [String]? {
        switch config.mode {
        case .tap, .veth:
            return try selectedNames(config.selector ?? .prefix(InterfacePoolConfig.defaultTapPrefix))
                .filter { !config.exclude.contains($0) }
        case .sriov, .cdq:
            return nil
        }
    }

    /// The first of `names` (from `candidateNames(_:)`) not in `taken` that `discover(_:)`
    /// would answer, reading only the sysfs files of the candidates up to it: an allocation
    /// with 200 free interfaces reads one interface's files, not 200.
    public func firstAvailable(_ config: InterfacePoolConfig, among names: [String], excluding taken: Set<String>) -> PoolInterface? {
        for name in names where !taken.contains(name) {
            if let interface = readSelected(name, requireTap: config.mode == .tap) { return Self.withPort(interface, config) }
        }
        return nil
    }

    private static func withPort(_ interface: PoolInterface, _ config: InterfacePoolConfig) -> PoolInterface {
        var interface = interface
        interface.ipuPort = config.ports[interface.name]
        return interface
    }

    // MARK: tap, veth

    private func selected(_ selector: InterfacePoolConfig.Selector, requireTap: Bool) throws -> [PoolInterface] {
        try selectedNames(selector).compactMap { readSelected($0, requireTap: requireTap) }
    }

    /// The names `selector` picks among this namespace's netdevs, in pool order.
    private func selectedNames(_ selector: InterfacePoolConfig.Selector) throws -> [String] {
        switch selector {
        case .names(let listed):
            let present = Set(try netdevNames())
            return listed.filter { present.contains($0) }
        case .prefix(let prefix):
            return try netdevNames().filter { $0.hasPrefix(prefix) }.sorted(by: Self.naturalOrder)
        case .pattern(let pattern):
            return try netdevNames().filter { fnmatch(pattern, $0, 0) == 0 }.sorted(by: Self.naturalOrder)
        }
    }

    /// The interface `name`, or nil when it vanished meanwhile, has no Ethernet address, or
    /// is not a TAP device while `requireTap` holds.
    private func readSelected(_ name: String, requireTap: Bool) -> PoolInterface? {
        let directory = netClassRoot + "/" + name
        // A TAP netdev (the DPDK TAP PMD's ports too) has tun_flags; anything else is skipped.
        if requireTap, !FileManager.default.fileExists(atPath: directory + "/tun_flags") { return nil }
        return Self.readInterface(name: name, directory: directory, function: nil)
    }

    // MARK: sriov

    /// `<pf>/device/virtfn<N>/net/<name>`: each VF's netdev, in VF order.
    private func virtualFunctions(of pf: String) throws -> [PoolInterface] {
        let device = try pciDevice(of: pf, mode: .sriov)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: device)) ?? []
        var result: [PoolInterface] = []
        for entry in entries where entry.hasPrefix("virtfn") {
            guard let vf = UInt32(entry.dropFirst("virtfn".count)) else { continue }
            let netDirectory = device + "/" + entry + "/net"
            // No net/ entry: the VF has no netdev in this namespace (bound to vfio, or moved).
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: netDirectory) else { continue }
            for name in names.sorted() {
                if let interface = Self.readInterface(name: name, directory: netDirectory + "/" + name, function: vf) {
                    result.append(interface)
                }
            }
        }
        return result.sorted { ($0.function ?? 0, $0.name) < ($1.function ?? 0, $1.name) }
    }

    // MARK: cdq

    /// Subfunction netdevs of `pf`.
    ///
    /// The rule (kernel auxiliary-bus SFs, as devlink `port add … flavour pcisf` creates them):
    /// a netdev is a subfunction of the PF when its `device` link resolves to a device that
    /// has an `sfnum` attribute and whose parent is the PF's PCI device. The SF number is that
    /// `sfnum`. The PF itself and its eswitch representors (`phys_port_name` `pf0sf88`, whose
    /// `device` is the PF's PCI device itself) are not subfunctions and are never taken.
    private func subfunctions(of pf: String) throws -> [PoolInterface] {
        let pfDevice = try pciDevice(of: pf, mode: .cdq)
        guard let pfReal = Self.realPath(pfDevice) else {
            throw InterfacePoolError(.physicalFunctionNotFound, "mode cdq: cannot resolve \(pfDevice)")
        }
        var result: [PoolInterface] = []
        for name in try netdevNames() where name != pf {
            let directory = netClassRoot + "/" + name
            guard let device = Self.realPath(directory + "/device"),
                  (device as NSString).deletingLastPathComponent == pfReal,
                  let sfText = Self.readLine(device + "/sfnum"), let sfnum = UInt32(sfText)
            else { continue }
            if let interface = Self.readInterface(name: name, directory: directory, function: sfnum) {
                result.append(interface)
            }
        }
        return result.sorted { ($0.function ?? 0, $0.name) < ($1.function ?? 0, $1.name) }
    }

    // MARK: sysfs helpers

    private func pciDevice(of pf: String, mode: InterfacePoolConfig.Mode) throws -> String {
        let directory = netClassRoot + "/" + pf
        guard FileManager.default.fileExists(atPath: directory + "/ifindex") else {
            throw InterfacePoolError(.physicalFunctionNotFound, "mode \(mode.rawValue): physical function \(pf) not found in \(netClassRoot)")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory + "/device", isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InterfacePoolError(.physicalFunctionNotFound, "mode \(mode.rawValue): \(pf) has no device in sysfs (not a PCI physical function)")
        }
        return directory + "/device"
    }

    private func netdevNames() throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: netClassRoot)
        } catch {
            throw InterfacePoolError(.discoveryFailed, "cannot list \(netClassRoot): \(error)")
        }
    }

    /// The interface whose sysfs directory is `directory`, or nil when it vanished meanwhile
    /// or has no Ethernet address.
    static func readInterface(name: String, directory: String, function: UInt32?) -> PoolInterface? {
        guard let indexText = readLine(directory + "/ifindex"), let index = Int32(indexText),
              let macText = readLine(directory + "/address"), let mac = MACAddress(macText)
        else { return nil }
        return PoolInterface(name: name, index: index, macAddress: mac, function: function)
    }

    static func readLine(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            return nil
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `P4TAP_2` before `P4TAP_10`: the text before the trailing digits, then their value.
    static func naturalOrder(_ a: String, _ b: String) -> Bool {
        func split(_ name: String) -> (String, Int) {
            let digits = name.reversed().prefix { $0.isASCII && $0.isNumber }
            let stem = String(name.dropLast(digits.count))
            return (stem, Int(String(digits.reversed())) ?? -1)
        }
        let (stemA, numberA) = split(a), (stemB, numberB) = split(b)
        return (stemA, numberA, a) < (stemB, numberB, b)
    }
}
