import Foundation

/// Files to write, collected before any is written.
///
/// Every command builds one of these after all validation has passed, so that bad input
/// leaves the output directory untouched. Private keys and anything containing them go out
/// with mode 0600, certificates with 0644, directories with 0700.
public struct FileBatch: Sendable {
    struct Write: Sendable {
        let url: URL
        let contents: String
        let mode: mode_t
    }

    private(set) var writes: [Write] = []

    public init() {}

    public var isEmpty: Bool { writes.isEmpty }

    /// The paths that will be written, in order.
    public var paths: [URL] { writes.map(\.url) }

    public mutating func addKey(_ key: PrivateKeyMaterial, to url: URL) throws {
        writes.append(Write(url: url, contents: try key.pkcs8PEM(), mode: 0o600))
    }

    /// For text that embeds a key (a Secret manifest): same protection as the key itself.
    public mutating func addSecret(_ text: String, to url: URL) {
        writes.append(Write(url: url, contents: text, mode: 0o600))
    }

    /// Certificates, CSRs and other public material.
    public mutating func addPublic(_ text: String, to url: URL) {
        writes.append(Write(url: url, contents: text, mode: 0o644))
    }

    /// Creates missing parent directories (0700) and writes each file atomically, in the order
    /// added: callers add a key before its certificate, so an interrupted run leaves at worst
    /// a mismatch that the next `apply` detects and repairs.
    public func execute() throws {
        for write in writes {
            try SecureFile.makeDirectory(write.url.deletingLastPathComponent(), mode: 0o700)
            try SecureFile.write(write.contents, to: write.url, mode: write.mode)
        }
    }

    /// Refuses to plan over existing files; used where replacing would lose a key.
    public static func requireAbsent(_ urls: [URL], hint: String) throws {
        for url in urls where SecureFile.exists(url) {
            throw PKIError(.fileConflict, "\(url.path) already exists; \(hint)")
        }
    }
}
