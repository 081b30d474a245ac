import InfraDaemon

/// A config shaped like the daemons' real ones: nested sections, a list of mappings, an enum,
/// defaults everywhere except where a key is genuinely required.
struct TestConfig: Decodable, ConfigValidating, Equatable {
    var listenAddress: String
    var tls: TLSSection
    var authorization: AuthorizationSection
    var logTarget: LogTarget

    enum CodingKeys: String, CodingKey, CaseIterable {
        case listenAddress, tls, authorization, logTarget
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        listenAddress = try c.decode(String.self, forKey: .listenAddress, default: "127.0.0.1:7443")
        tls = try c.decode(TLSSection.self, forKey: .tls, default: TLSSection())
        authorization = try c.decode(AuthorizationSection.self, forKey: .authorization, default: AuthorizationSection())
        logTarget = try c.decode(LogTarget.self, forKey: .logTarget, default: .auto)
    }

    func validate() throws {
        guard tls.reloadIntervalSeconds > 0 else {
            throw ConfigError.invalidValue(
                keyPath: "tls.reloadIntervalSeconds", value: String(tls.reloadIntervalSeconds),
                reason: "must be a positive number")
        }
    }
}

struct TLSSection: Decodable, Equatable {
    var certFile = "/etc/infra/tls.crt"
    var reloadIntervalSeconds = 300

    init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case certFile, reloadIntervalSeconds }

    init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        certFile = try c.decode(String.self, forKey: .certFile, default: certFile)
        reloadIntervalSeconds = try c.decode(Int.self, forKey: .reloadIntervalSeconds, default: reloadIntervalSeconds)
    }
}

struct AuthorizationSection: Decodable, Equatable {
    var rules: [Rule] = []

    init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case rules }

    init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        rules = try c.decode([Rule].self, forKey: .rules, default: [])
    }
}

struct Rule: Decodable, Equatable {
    static let roles: Set = ["admin", "reader"]

    var subject: String
    var role: String

    init(subject: String, role: String) {
        self.subject = subject
        self.role = role
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case subject, role }

    init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        subject = try c.decode(String.self, forKey: .subject)
        role = try c.decode(String.self, forKey: .role, default: "reader")
        guard Self.roles.contains(role) else {
            throw c.invalidValue(role, forKey: .role, reason: "must be admin or reader")
        }
    }
}
