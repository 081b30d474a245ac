/// The `metrics` section: where the Prometheus text endpoint listens.
public struct MetricsSettings: Decodable, Sendable, Equatable {
    public static let defaultListen = "127.0.0.1:9102"

    public var enabled: Bool
    /// `host:port`; loopback by default so that metrics are not exposed off the node
    /// unless an operator chooses to. Daemons sharing a host need distinct ports.
    public var listen: String
    public private(set) var host: String
    public private(set) var port: Int

    public init(enabled: Bool = true, listen: String = MetricsSettings.defaultListen) throws {
        try self.init(enabled: enabled, listen: listen, keyPath: "metrics.listen")
    }

    /// Enabled, on loopback at `port`.
    public static func loopback(port: Int) -> MetricsSettings {
        MetricsSettings(enabled: true, listen: "127.0.0.1:\(port)", host: "127.0.0.1", port: port)
    }

    private init(enabled: Bool, listen: String, host: String, port: Int) {
        self.enabled = enabled
        self.listen = listen
        self.host = host
        self.port = port
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case enabled, listen }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        try self.init(
            enabled: try container.decode(Bool.self, forKey: .enabled, default: true),
            listen: try container.decode(String.self, forKey: .listen, default: Self.defaultListen),
            keyPath: container.keyPath(for: .listen)
        )
    }

    init(enabled: Bool, listen: String, keyPath: String) throws {
        guard let colon = listen.lastIndex(of: ":"),
              let port = Int(listen[listen.index(after: colon)...]), (0...65_535).contains(port) else {
            throw ConfigError.invalidValue(keyPath: keyPath, value: listen, reason: "must be host:port")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else {
            throw ConfigError.invalidValue(keyPath: keyPath, value: listen, reason: "must name a host")
        }
        self.enabled = enabled
        self.listen = listen
        self.host = host
        self.port = port
    }
}
