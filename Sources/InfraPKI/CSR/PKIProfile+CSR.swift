import Foundation
import X509

extension PKIProfile {
    /// A new key and a CSR for `identity`, for deployments whose leaves are signed by an
    /// external CA. The CSR requests the same SANs and usage `apply` would put in the leaf.
    public func certificateSigningRequest(for identity: Identity) throws -> (request: CertificateSigningRequest, key: PrivateKeyMaterial) {
        let spec = try leafSpec(for: identity, now: Date())
        try spec.validate()
        let key = try PrivateKeyMaterial.generate(spec.algorithm)
        let sans = CertificateAuthority.subjectAlternativeNames(spec)
        do {
            let extensions = try Certificate.Extensions {
                try ExtendedKeyUsage(spec.usage.keyUsages)
                if !sans.isEmpty { SubjectAlternativeNames(sans) }
            }
            let attributes = CertificateSigningRequest.Attributes([
                try .init(ExtensionRequest(extensions: extensions)),
            ])
            let request = try CertificateSigningRequest(
                version: .v1,
                subject: try CertificateAuthority.distinguishedName(commonName: spec.commonName, organization: spec.organization),
                privateKey: key.key, attributes: attributes, signatureAlgorithm: key.signatureAlgorithm
            )
            return (request, key)
        } catch {
            throw PKIError(.invalidCSR, "identity \"\(identity.name)\": cannot build CSR: \(error)")
        }
    }
}

extension CertificateSigningRequest {
    public func pemString() throws -> String {
        try PEMText.encode(self, code: .invalidCSR, what: "CSR \(subject)")
    }
}
