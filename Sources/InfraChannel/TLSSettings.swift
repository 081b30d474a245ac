import InfraDaemon

/// The `tls` section of a daemon's configuration.
public struct TLSSettings: Decodable, Sendable, Equatable {
    public var files: TLSFiles
    /// How often the files are checked for a rotation.
    public var reloadIntervalSeconds: Int

    public init(files: TLSFiles, reloadIntervalSeconds: Int = 10) {
        self.files = files
        self.reloadIntervalSeconds = reloadIntervalSeconds
    }

    /// Defaults for an identity directory laid out by `infra-pki` (ca.crt, tls.crt, tls.key).
    public init(directory: String) {
        self.init(files: TLSFiles(directory: directory))
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case caFile, certificateFile, keyFile, reloadIntervalSeconds
    }

    /// Decodes the section over defaults, so a config may override only some paths.
    public static func decode<Key: CodingKey>(
        from container: KeyedDecodingContainer<Key>, forKey key: Key, defaults: TLSSettings
    ) throws -> TLSSettings {
        guard container.contains(key) else { return defaults }
        return try TLSSettings(from: try container.superDecoder(forKey: key), defaults: defaults)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder, defaults: TLSSettings(directory: "/etc/infra/pki"))
    }

    init(from decoder: any Decoder, defaults: TLSSettings) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        files = TLSFiles(
            caFile: try container.decode(String.self, forKey: .caFile, default: defaults.files.caFile),
            certificateFile: try container.decode(String.self, forKey: .certificateFile, default: defaults.files.certificateFile),
            keyFile: try container.decode(String.self, forKey: .keyFile, default: defaults.files.keyFile)
        )
        reloadIntervalSeconds = try container.decode(Int.self, forKey: .reloadIntervalSeconds, default: defaults.reloadIntervalSeconds)
        guard (1...3600).contains(reloadIntervalSeconds) else {
            throw container.invalidValue(reloadIntervalSeconds, forKey: .reloadIntervalSeconds, reason: "must be from 1 to 3600 seconds")
        }
    }
}
