/// The agent's `interfacePool:` section.
///
/// Decoding is strict like every InfraOffload config: an unknown key, a key that does not
/// belong to the chosen mode, or an empty value is a `DecodingError.dataCorrupted` whose
/// coding path names the key, which the agent's config loader reports with the file and line.
/// (This module depends on InfraNet and swift-log only, so it carries its own strict check
/// rather than InfraDaemon's.)
public struct InterfacePoolConfig: Decodable, Sendable, Equatable {
    public enum Mode: String, Codable, Sendable, CaseIterable {
        /// P4-DPDK TAP ports (netdevs named by a prefix, glob pattern or list).
        case tap
        /// The VF netdevs of an SR-IOV physical function.
        case sriov
        /// Subfunction (CDQ) netdevs of a physical function.
        case cdq
        /// Host ends of pre-created veth pairs (lab node and tests).
        case veth
    }

    /// How `tap` and `veth` select netdevs in the host namespace.
    public enum Selector: Sendable, Equatable {
        /// Every netdev whose name starts with this text.
        case prefix(String)
        /// Every netdev whose name matches this shell glob (`fnmatch`, e.g. `P4TAP_*`).
        case pattern(String)
        /// Exactly these netdevs, in this order (those that exist).
        case names([String])
    }

    public static let defaultStateFile = "/var/lib/infra-agent/interface-pool.json"
    public static let defaultTapPrefix = "P4TAP_"

    public var mode: Mode
    /// The physical function's netdev name (`sriov`, `cdq`); nil for the other modes.
    public var physicalFunction: String?
    /// The selector (`tap`, `veth`); nil for `sriov` and `cdq`.
    public var selector: Selector?
    /// Netdevs never handed out in any mode (the host interface, the ARP proxy's port).
    public var exclude: Set<String>
    public var stateFile: String
    /// Pool interface name → IPU (P4) port id, reported with each allocation.
    public var ports: [String: UInt32]

    public init(
        mode: Mode, physicalFunction: String? = nil, selector: Selector? = nil, exclude: Set<String> = [],
        stateFile: String = InterfacePoolConfig.defaultStateFile, ports: [String: UInt32] = [:]
    ) {
        self.mode = mode
        self.physicalFunction = physicalFunction
        self.selector = selector
        self.exclude = exclude
        self.stateFile = stateFile
        self.ports = ports
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case mode, pf, prefix, pattern, interfaces, exclude, stateFile, ports
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: PoolCodingKey.self)
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = container.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw Self.invalid(decoder.codingPath + [unknown], "unknown key; known keys: \(CodingKeys.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let path = decoder.codingPath

        guard let modeText = try c.decodeIfPresent(String.self, forKey: .mode) else {
            throw Self.invalid(path + [CodingKeys.mode], "is required (one of: tap, sriov, cdq, veth)")
        }
        guard let mode = Mode(rawValue: modeText) else {
            throw Self.invalid(path + [CodingKeys.mode], "must be one of: tap, sriov, cdq, veth")
        }
        self.mode = mode

        let pf = try c.decodeIfPresent(String.self, forKey: .pf)
        let prefix = try c.decodeIfPresent(String.self, forKey: .prefix)
        let pattern = try c.decodeIfPresent(String.self, forKey: .pattern)
        let names = try c.decodeIfPresent([String].self, forKey: .interfaces)

        switch mode {
        case .sriov, .cdq:
            let stray: [(Bool, CodingKeys)] = [(prefix != nil, .prefix), (pattern != nil, .pattern), (names != nil, .interfaces)]
            if let (_, key) = stray.first(where: { $0.0 }) {
                throw Self.invalid(path + [key], "is not used in mode \(mode.rawValue) (its interfaces come from the PF)")
            }
            guard let pf, !pf.isEmpty else {
                throw Self.invalid(path + [CodingKeys.pf], "is required in mode \(mode.rawValue)")
            }
            try Self.checkName(pf, path + [CodingKeys.pf])
            physicalFunction = pf
            selector = nil
        case .tap, .veth:
            if pf != nil {
                throw Self.invalid(path + [CodingKeys.pf], "is only used in modes sriov and cdq")
            }
            physicalFunction = nil
            let given = [prefix != nil, pattern != nil, names != nil].filter { $0 }.count
            guard given <= 1 else {
                throw Self.invalid(path, "give one of prefix, pattern or interfaces, not several")
            }
            if let prefix {
                guard !prefix.isEmpty else { throw Self.invalid(path + [CodingKeys.prefix], "must not be empty") }
                selector = .prefix(prefix)
            } else if let pattern {
                guard !pattern.isEmpty else { throw Self.invalid(path + [CodingKeys.pattern], "must not be empty") }
                selector = .pattern(pattern)
            } else if let names {
                guard !names.isEmpty else { throw Self.invalid(path + [CodingKeys.interfaces], "must not be empty") }
                for (index, name) in names.enumerated() {
                    try Self.checkName(name, path + [CodingKeys.interfaces, PoolCodingKey(intValue: index)])
                }
                guard Set(names).count == names.count else {
                    throw Self.invalid(path + [CodingKeys.interfaces], "lists an interface twice")
                }
                selector = .names(names)
            } else if mode == .tap {
                selector = .prefix(Self.defaultTapPrefix)
            } else {
                throw Self.invalid(path, "mode veth needs one of prefix, pattern or interfaces")
            }
        }

        exclude = Set(try c.decodeIfPresent([String].self, forKey: .exclude) ?? [])
        let stateFile = try c.decodeIfPresent(String.self, forKey: .stateFile) ?? Self.defaultStateFile
        guard stateFile.hasPrefix("/") else {
            throw Self.invalid(path + [CodingKeys.stateFile], "must be an absolute path")
        }
        self.stateFile = stateFile
        ports = try c.decodeIfPresent([String: UInt32].self, forKey: .ports) ?? [:]
    }

    /// A Linux netdev name: 1 to 15 bytes, no `/`, whitespace or `:`, not `.` or `..`.
    static func isValidInterfaceName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...15).contains(bytes.count), name != ".", name != ".." else { return false }
        return !bytes.contains { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 <= 0x20 || $0 == 0x7f }
    }

    private static func checkName(_ name: String, _ path: [any CodingKey]) throws {
        guard isValidInterfaceName(name) else {
            throw invalid(path, "is not a valid interface name (1 to 15 bytes, no '/', ':' or whitespace)")
        }
    }

    private static func invalid(_ path: [any CodingKey], _ reason: String) -> DecodingError {
        DecodingError.dataCorrupted(DecodingError.Context(codingPath: path, debugDescription: reason))
    }
}

/// Any key, for listing what a mapping holds.
struct PoolCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}
