import Logging

/// The `log` section every daemon's configuration shares.
public struct LogSettings: Decodable, Sendable, Equatable {
    /// trace, debug, info, notice, warning, error or critical.
    public var level: Logger.Level = .info
    /// Where entries go: the journal, stderr, or `auto` (the journal when systemd connected
    /// our stderr to it).
    public var target: LogTarget = .auto

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case level, target }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        level = try container.decode(Logger.Level.self, forKey: .level, default: .info)
        target = try container.decode(LogTarget.self, forKey: .target, default: .auto)
    }
}
