import InfraDaemon
import InfraNet

/// The arp-proxy's optional YAML configuration; command-line flags override it.
///
/// ```yaml
/// interface: pool3               # required here or as --interface
/// gatewayAddresses: [169.254.1.1]
/// log: {level: info, target: auto}
/// logRateLimit: {linesPerInterval: 10, intervalSeconds: 60}
/// ```
public struct ARPProxyConfig: Decodable, Sendable, Equatable {
    public static let defaultGateway = IPAddress("169.254.1.1")!

    /// The interface to answer on; nil when only the command line names it.
    public var interface: String?
    public var gatewayAddresses: [IPAddress]
    public var log: LogSettings
    public var logRateLimit: LogRateLimitSettings

    public init(
        interface: String? = nil,
        gatewayAddresses: [IPAddress] = [ARPProxyConfig.defaultGateway],
        log: LogSettings = LogSettings(),
        logRateLimit: LogRateLimitSettings = LogRateLimitSettings()
    ) {
        self.interface = interface
        self.gatewayAddresses = gatewayAddresses
        self.log = log
        self.logRateLimit = logRateLimit
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case interface, gatewayAddresses, log, logRateLimit }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        interface = try c.decodeIfPresent(String.self, forKey: .interface)
        if let name = interface, let reason = Self.interfaceNameProblem(name) {
            throw c.invalidValue(name, forKey: .interface, reason: reason)
        }
        if let texts = try c.decodeIfPresent([String].self, forKey: .gatewayAddresses) {
            gatewayAddresses = try Self.parseGateways(texts) { index in "\(c.keyPath(for: .gatewayAddresses))[\(index)]" }
        } else {
            gatewayAddresses = [Self.defaultGateway]
        }
        log = try c.decode(LogSettings.self, forKey: .log, default: LogSettings())
        logRateLimit = try c.decode(LogRateLimitSettings.self, forKey: .logRateLimit, default: LogRateLimitSettings())
    }

    /// Parses gateway addresses, naming the offending entry with `field(index)` on error
    /// (a ``ConfigError`` so the loader adds the file and line).
    static func parseGateways(_ texts: [String], field: (Int) -> String) throws -> [IPAddress] {
        guard !texts.isEmpty else {
            throw ConfigError.invalidValue(keyPath: field(0), value: nil, reason: "at least one gateway address is required")
        }
        var seen: [IPAddress] = []
        for (index, text) in texts.enumerated() {
            switch gatewayAddress(text) {
            case .success(let address):
                guard !seen.contains(address) else {
                    throw ConfigError.invalidValue(keyPath: field(index), value: text, reason: "listed twice")
                }
                seen.append(address)
            case .failure(let problem):
                throw ConfigError.invalidValue(keyPath: field(index), value: text, reason: problem.reason)
            }
        }
        return seen
    }

    /// Parses repeated command-line values; errors name `flag` and the value.
    public static func gatewayAddresses(fromFlags texts: [String], flag: String) throws -> [IPAddress] {
        var parsed: [IPAddress] = []
        for text in texts {
            switch gatewayAddress(text) {
            case .success(let address):
                guard !parsed.contains(address) else {
                    throw ARPProxyError(field: flag, value: text, reason: "listed twice")
                }
                parsed.append(address)
            case .failure(let problem):
                throw ARPProxyError(field: flag, value: text, reason: problem.reason)
            }
        }
        return parsed
    }

    /// A gateway must be a unicast IPv4 address: ARP exists only for IPv4, and the kernel
    /// never ARPs for an unspecified, broadcast, multicast or loopback address.
    public static func gatewayAddress(_ text: String) -> Result<IPAddress, ARPProxyError> {
        func bad(_ reason: String) -> Result<IPAddress, ARPProxyError> {
            .failure(ARPProxyError(field: "gateway", value: text, reason: reason))
        }
        guard let address = IPAddress(text) else { return bad("not an IP address") }
        guard address.family == .v4, let value = address.ipv4Value else {
            return bad("not an IPv4 address (ARP is IPv4 only)")
        }
        if value == 0 { return bad("the unspecified address cannot be a gateway") }
        if value == 0xffff_ffff { return bad("the broadcast address cannot be a gateway") }
        if value >> 28 == 0xe { return bad("a multicast address cannot be a gateway") }
        if value >> 24 == 127 { return bad("a loopback address cannot be a gateway") }
        return .success(address)
    }

    /// Why `name` cannot be a Linux interface name, or nil when it can.
    public static func interfaceNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > 15 { return "is longer than 15 bytes" }
        if name == "." || name == ".." || name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) {
            return "is not a valid interface name"
        }
        return nil
    }
}

/// The `logRateLimit` section: how many lines about ignored or malformed frames may be written
/// per interval; the rest are counted and summarised when the interval ends.
public struct LogRateLimitSettings: Decodable, Sendable, Equatable {
    public var linesPerInterval: Int
    public var intervalSeconds: Int

    public init(linesPerInterval: Int = 10, intervalSeconds: Int = 60) {
        self.linesPerInterval = linesPerInterval
        self.intervalSeconds = intervalSeconds
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case linesPerInterval, intervalSeconds }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        linesPerInterval = try c.decode(Int.self, forKey: .linesPerInterval, default: 10)
        intervalSeconds = try c.decode(Int.self, forKey: .intervalSeconds, default: 60)
        if let reason = Self.linesProblem(linesPerInterval) {
            throw c.invalidValue(linesPerInterval, forKey: .linesPerInterval, reason: reason)
        }
        if let reason = Self.intervalProblem(intervalSeconds) {
            throw c.invalidValue(intervalSeconds, forKey: .intervalSeconds, reason: reason)
        }
    }

    static func linesProblem(_ value: Int) -> String? {
        (0...10_000).contains(value) ? nil : "must be from 0 to 10000"
    }

    static func intervalProblem(_ value: Int) -> String? {
        (1...86_400).contains(value) ? nil : "must be from 1 to 86400"
    }
}
