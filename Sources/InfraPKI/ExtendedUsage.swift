import X509

/// The TLS roles a leaf certificate may play, written as its Extended Key Usage.
public struct ExtendedUsage: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let serverAuth = ExtendedUsage(rawValue: 1 << 0)
    public static let clientAuth = ExtendedUsage(rawValue: 1 << 1)
    public static let both: ExtendedUsage = [.serverAuth, .clientAuth]

    /// The usages found in a certificate's EKU extension; unknown purposes are ignored.
    public init(certificate: Certificate) {
        self = []
        guard let eku = try? certificate.extensions.extendedKeyUsage else { return }
        if eku.contains(.serverAuth) { insert(.serverAuth) }
        if eku.contains(.clientAuth) { insert(.clientAuth) }
    }

    var keyUsages: [ExtendedKeyUsage.Usage] {
        var usages: [ExtendedKeyUsage.Usage] = []
        if contains(.serverAuth) { usages.append(.serverAuth) }
        if contains(.clientAuth) { usages.append(.clientAuth) }
        return usages
    }

    /// The names used in profiles, status output and on the CLI.
    public var names: [String] {
        var names: [String] = []
        if contains(.serverAuth) { names.append("server-auth") }
        if contains(.clientAuth) { names.append("client-auth") }
        return names
    }

    public init(name: String, field: String) throws {
        switch name {
        case "server-auth": self = .serverAuth
        case "client-auth": self = .clientAuth
        default:
            throw PKIError(.invalidArgument, "\(field): unknown usage \"\(name)\" (accepted: server-auth, client-auth)")
        }
    }

    public var description: String { names.isEmpty ? "none" : names.joined(separator: ",") }
}
