import Foundation
import InfraChannel
import InfraNet
import InfraPKI
import X509

/// A throwaway cluster PKI on disk, built with InfraPKI, for channel tests.
struct TestPKI {
    static let trustDomain = "test.infra.local"
    let directory: URL
    let ca: CertificateAuthority

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("infra-channel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        ca = try CertificateAuthority.create(commonName: "Test Cluster CA")
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    static func identity(_ role: InfraIdentity.Role, _ name: String? = nil) -> String {
        InfraIdentity(trustDomain: trustDomain, role: role, name: name).uri
    }

    /// Writes ca.crt, tls.crt and tls.key for one identity into `<dir>/<name>/`.
    @discardableResult
    func write(
        _ name: String, usage: ExtendedUsage, uri: String, dns: [String] = [], ips: [String] = [],
        validity: ValidityWindow = .days(30), issuer: CertificateAuthority? = nil
    ) throws -> TLSFiles {
        let issuer = issuer ?? ca
        let spec = LeafSpec(
            commonName: name, usage: usage, dnsNames: dns, ipAddresses: ips.compactMap(IPAddress.init),
            uris: [uri], validity: validity
        )
        let issued = try issuer.issue(spec)
        let folder = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // The bundle holds our CA, plus the issuer when it is another one: a client must be able
        // to load its own chain and still trust our manager.
        var bundle = try ca.certificate.pemString()
        if issuer.certificate != ca.certificate { bundle += "\n" + (try issuer.certificate.pemString()) }
        try Self.write(bundle, to: folder.appendingPathComponent("ca.crt"))
        try Self.write(try issued.certificatePEM(), to: folder.appendingPathComponent("tls.crt"))
        try Self.write(try issued.keyPEM(), to: folder.appendingPathComponent("tls.key"))
        return TLSFiles(directory: folder.path)
    }

    func managerServer(_ name: String = "manager-server") throws -> TLSFiles {
        try write(name, usage: .serverAuth, uri: Self.identity(.manager), dns: ["localhost"], ips: ["127.0.0.1", "::1"])
    }

    func agent(_ node: String, name: String? = nil, validity: ValidityWindow = .days(30), issuer: CertificateAuthority? = nil) throws -> TLSFiles {
        try write(name ?? "agent-\(node)", usage: .clientAuth, uri: Self.identity(.agent, node), validity: validity, issuer: issuer)
    }

    func operatorIdentity(_ name: String = "admin") throws -> TLSFiles {
        try write("operator-\(name)", usage: .clientAuth, uri: Self.identity(.operator, name))
    }

    static func write(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url, options: .atomic)
    }
}

extension Certificate {
    func pemString() throws -> String { try serializeAsPEM().pemString }
}
