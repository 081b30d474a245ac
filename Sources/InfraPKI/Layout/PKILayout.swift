import Foundation

/// Where `infra-pki` keeps things under its output directory:
///
///     <out>/ca/ca.crt, ca.key                      the CA (directory 0700, key 0600)
///     <out>/<identity>/tls.crt, tls.key, ca.crt    every identity but infrap4d
///     <out>/<identity>/stratum.crt, stratum.key, ca.crt   infrap4d (stratum's default names)
public struct PKILayout: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root.standardizedFileURL }

    public var caDirectory: URL { root.appendingPathComponent("ca", isDirectory: true) }
    public var caCertificate: URL { caDirectory.appendingPathComponent("ca.crt") }
    public var caKey: URL { caDirectory.appendingPathComponent("ca.key") }

    public func files(for name: String, kind: IdentityKind) -> IdentityFiles {
        let directory = root.appendingPathComponent(name, isDirectory: true)
        let names = kind.fileNames
        return IdentityFiles(
            directory: directory,
            certificate: directory.appendingPathComponent(names.certificate),
            key: directory.appendingPathComponent(names.key),
            caCertificate: directory.appendingPathComponent("ca.crt")
        )
    }

    /// Finds identity directories already on disk, whatever profile made them: any directory
    /// other than ca/ holding tls.crt or stratum.crt (or their keys).
    public func discoverIdentities() -> [(name: String, files: IdentityFiles)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return entries.sorted().compactMap { name in
            guard name != "ca" else { return nil }
            let stratum = files(for: name, kind: .infrap4d), tls = files(for: name, kind: .managerServer)
            let exists = { (url: URL) in FileManager.default.fileExists(atPath: url.path) }
            if exists(stratum.certificate) || exists(stratum.key) { return (name, stratum) }
            if exists(tls.certificate) || exists(tls.key) { return (name, tls) }
            return nil
        }
    }
}

/// The three files of one identity.
public struct IdentityFiles: Sendable, Hashable {
    public let directory: URL
    public let certificate: URL
    public let key: URL
    public let caCertificate: URL
}
