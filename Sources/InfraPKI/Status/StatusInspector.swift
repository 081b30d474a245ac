import Foundation
import InfraNet
import X509

/// Reads everything under an output directory and reports what is wrong with it.
public struct StatusInspector: Sendable {
    public var layout: PKILayout
    public var now: Date
    public var renewWindowFraction: Double
    /// When given, identities the profile names but the directory lacks are reported missing,
    /// and kinds come from the profile instead of the certificates' URI SANs.
    public var profile: PKIProfile?

    public init(layout: PKILayout, now: Date = Date(), renewWindowFraction: Double = 1.0 / 3.0, profile: PKIProfile? = nil) {
        self.layout = layout
        self.now = now
        self.renewWindowFraction = profile?.defaults.renewWindowFraction ?? renewWindowFraction
        self.profile = profile
    }

    public func inspect() -> [CertificateStatus] {
        var reports: [CertificateStatus] = []
        let caCertificate = SecureFile.read(layout.caCertificate).flatMap { try? Certificate(pemEncoded: $0) }
        reports.append(inspectCA(caCertificate))

        var targets: [(name: String, files: IdentityFiles, kind: IdentityKind?)] = layout.discoverIdentities().map {
            ($0.name, $0.files, nil)
        }
        for identity in profile?.identities ?? [] {
            let files = layout.files(for: identity.name, kind: identity.kind)
            if let index = targets.firstIndex(where: { $0.name == identity.name }) {
                targets[index] = (identity.name, files, identity.kind)
            } else {
                targets.append((identity.name, files, identity.kind))
            }
        }
        for target in targets {
            reports.append(inspectLeaf(name: target.name, files: target.files, kind: target.kind, ca: caCertificate))
        }
        return reports
    }

    private func inspectCA(_ certificate: Certificate?) -> CertificateStatus {
        var report = CertificateStatus(name: "ca", path: relative(layout.caCertificate))
        report.kind = "ca"
        guard let certificate else {
            markMissingOrUnreadable(layout.caCertificate, in: &report)
            return report
        }
        describe(certificate, into: &report)
        checkValidity(certificate, into: &report)
        checkKey(at: layout.caKey, for: certificate, into: &report)
        return report
    }

    private func inspectLeaf(name: String, files: IdentityFiles, kind: IdentityKind?, ca: Certificate?) -> CertificateStatus {
        var report = CertificateStatus(name: name, path: relative(files.certificate))
        guard let text = SecureFile.read(files.certificate), let certificate = try? Certificate(pemEncoded: text) else {
            report.kind = kind?.rawValue
            markMissingOrUnreadable(files.certificate, in: &report)
            checkKey(at: files.key, for: nil, into: &report)
            return report
        }
        describe(certificate, into: &report)
        let resolvedKind = kind ?? InfraIdentity.identities(in: certificate).first.map { IdentityKind(role: $0.role) }
        report.kind = resolvedKind?.rawValue
        checkValidity(certificate, into: &report)
        checkKey(at: files.key, for: certificate, into: &report)
        if let resolvedKind, !ExtendedUsage(certificate: certificate).contains(resolvedKind.requiredUsage) {
            report.problems.append(.wrongUsageForKind)
        }
        if let ca {
            let signed = certificate.issuer == ca.subject && ca.publicKey.isValidSignature(certificate.signature, for: certificate)
            if !signed { report.problems.append(.notSignedByCA) }
        }
        switch SecureFile.read(files.caCertificate).flatMap({ try? Certificate(pemEncoded: $0) }) {
        case nil:
            markMissingOrUnreadable(files.caCertificate, in: &report)
        case let copy?:
            if let ca, copy != ca { report.problems.append(.staleCAFile) }
        }
        return report
    }

    private func describe(_ certificate: Certificate, into report: inout CertificateStatus) {
        report.subject = certificate.subject.description
        report.issuer = certificate.issuer.description
        report.notAfter = certificate.notValidAfter
        report.residualSeconds = certificate.notValidAfter.timeIntervalSince(now).rounded(.down)
        report.usage = ExtendedUsage(certificate: certificate).names
        report.sans = Self.sanStrings(certificate)
    }

    private func checkValidity(_ certificate: Certificate, into report: inout CertificateStatus) {
        if now > certificate.notValidAfter {
            report.problems.append(.expired)
        } else if now < certificate.notValidBefore {
            report.problems.append(.notYetValid)
        } else {
            let window = ValidityWindow(notBefore: certificate.notValidBefore, notAfter: certificate.notValidAfter)
            if now >= window.renewalStart(fraction: renewWindowFraction) { report.problems.append(.inRenewWindow) }
        }
    }

    private func checkKey(at url: URL, for certificate: Certificate?, into report: inout CertificateStatus) {
        guard let text = SecureFile.read(url) else {
            markMissingOrUnreadable(url, in: &report)
            return
        }
        guard let certificate else { return }
        guard let key = try? PrivateKeyMaterial(pemEncoded: text), key.matches(certificate) else {
            report.problems.append(.keyMismatch)
            return
        }
    }

    private func markMissingOrUnreadable(_ url: URL, in report: inout CertificateStatus) {
        let problem: CertificateStatus.Problem = SecureFile.exists(url) ? .unreadable : .missingFile
        if !report.problems.contains(problem) { report.problems.append(problem) }
        if problem == .missingFile { report.missing.append(relative(url)) }
    }

    private func relative(_ url: URL) -> String {
        let root = layout.root.path.hasSuffix("/") ? layout.root.path : layout.root.path + "/"
        return url.path.hasPrefix(root) ? String(url.path.dropFirst(root.count)) : url.path
    }

    static func sanStrings(_ certificate: Certificate) -> [String] {
        guard let sans = try? certificate.extensions.subjectAlternativeNames else { return [] }
        return sans.map { name in
            switch name {
            case .dnsName(let dns): "DNS:\(dns)"
            case .ipAddress(let octets): "IP:\(IPAddress(bytes: Array(octets.bytes))?.description ?? "<invalid>")"
            case .uniformResourceIdentifier(let uri): "URI:\(uri)"
            default: "\(name)"
            }
        }
    }
}
