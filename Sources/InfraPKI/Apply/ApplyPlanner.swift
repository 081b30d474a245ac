import Foundation
import X509

/// Decides, per identity, whether `apply` must create, renew or reissue its certificate.
public struct ApplyPlanner: Sendable {
    public var profile: PKIProfile
    public var layout: PKILayout
    public var now: Date
    /// Reissue every leaf (never the CA) and replace files this CA did not issue.
    public var force: Bool

    public init(profile: PKIProfile, layout: PKILayout, now: Date = Date(), force: Bool = false) {
        self.profile = profile
        self.layout = layout
        self.now = now
        self.force = force
    }

    public func plan() throws -> ApplyPlan {
        try profile.validate()
        var writes = FileBatch()
        var entries: [ApplyPlan.Entry] = []

        let (ca, caOutcome) = try planCA(&writes)
        entries.append(.init(name: "ca", outcome: caOutcome))
        let caPEM = try ca.certificate.pemString()
        for identity in profile.identities {
            do {
                let outcome = try planIdentity(identity, ca: ca, caPEM: caPEM, writes: &writes)
                entries.append(.init(name: identity.name, outcome: outcome))
            } catch let error as PKIError where error.code == .outsideNameConstraints {
                // The existing CA's constraints may differ from the profile's `ca` section.
                throw PKIError(error.code, "identity \"\(identity.name)\": \(error.message)")
            }
        }
        return ApplyPlan(entries: entries, files: writes)
    }

    private func planCA(_ writes: inout FileBatch) throws -> (CertificateAuthority, ApplyPlan.Outcome) {
        if let existing = try ExistingCA.load(layout) {
            try existing.checkUsable(at: now, path: layout.caCertificate.path)
            return (existing, .unchanged)
        }
        try SecureFile.requireDirectoryOrAbsent(layout.caDirectory)
        let ca = try profile.createCA(now: now)
        try writes.addKey(ca.key, to: layout.caKey)
        writes.addPublic(try ca.certificate.pemString(), to: layout.caCertificate)
        return (ca, .created)
    }

    private func planIdentity(
        _ identity: PKIProfile.Identity, ca: CertificateAuthority, caPEM: String, writes: inout FileBatch
    ) throws -> ApplyPlan.Outcome {
        let files = layout.files(for: identity.name, kind: identity.kind)
        try SecureFile.requireDirectoryOrAbsent(files.directory)
        let spec = try profile.leafSpec(for: identity, now: now)
        let decision = try decide(files: files, spec: spec, ca: ca)
        switch decision {
        case .unchanged:
            guard SecureFile.read(files.caCertificate) == caPEM else {
                writes.addPublic(caPEM, to: files.caCertificate)
                return .updated("ca.crt")
            }
            return .unchanged
        case .created, .renewed, .reissued, .updated:
            let issued = try ca.issue(spec)
            try writes.addKey(issued.key, to: files.key)
            writes.addPublic(try issued.certificatePEM(), to: files.certificate)
            writes.addPublic(caPEM, to: files.caCertificate)
            return decision
        }
    }

    /// Compares what is on disk with what the profile asks for.
    private func decide(files: IdentityFiles, spec: LeafSpec, ca: CertificateAuthority) throws -> ApplyPlan.Outcome {
        let certificateText = SecureFile.read(files.certificate)
        let keyText = SecureFile.read(files.key)
        guard let certificateText else {
            // A lone key is most likely waiting for an external CA to sign its CSR.
            if keyText != nil && !force {
                throw PKIError(.fileConflict, "\(files.key.path) exists without \(files.certificate.lastPathComponent); pass --force to replace it")
            }
            return keyText == nil ? .created : .reissued("forced")
        }
        guard let certificate = try? Certificate(pemEncoded: certificateText), ca.signed(certificate) else {
            guard force else {
                throw PKIError(.fileConflict, "\(files.certificate.path) was not issued by this CA; pass --force to replace it")
            }
            return .reissued("forced, replacing a certificate not issued by this CA")
        }
        if force { return .reissued("forced") }
        guard let keyText, let key = try? PrivateKeyMaterial(pemEncoded: keyText) else {
            return .reissued("key missing or unreadable")
        }
        guard key.matches(certificate) else { return .reissued("key does not match certificate") }
        if let change = CertificateComparison.difference(certificate, spec) { return .reissued(change) }
        if now > certificate.notValidAfter { return .renewed("expired") }
        if now < certificate.notValidBefore { return .reissued("not yet valid") }
        let window = ValidityWindow(notBefore: certificate.notValidBefore, notAfter: certificate.notValidAfter)
        if now >= window.renewalStart(fraction: profile.defaults.renewWindowFraction) { return .renewed("in renew window") }
        return .unchanged
    }
}
