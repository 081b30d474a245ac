import InfraNet
import SwiftASN1
import X509

extension CertificateAuthority {
    /// Issues a leaf for `spec` with a newly generated key of `spec.algorithm`.
    public func issue(_ spec: LeafSpec) throws -> IssuedCertificate {
        try spec.validate()
        try checkInsideConstraints(spec)
        let key = try PrivateKeyMaterial.generate(spec.algorithm)
        return IssuedCertificate(certificate: try sign(spec, publicKey: key.publicKey), key: key)
    }

    /// Issues a leaf for a key held elsewhere (the `sign` path for a CSR). `spec.algorithm`
    /// is ignored: the key is what it is.
    public func issue(_ spec: LeafSpec, publicKey: Certificate.PublicKey) throws -> Certificate {
        try spec.validate()
        try checkInsideConstraints(spec)
        guard KeyAlgorithm(publicKey: publicKey) != nil else {
            throw PKIError(.unsupportedAlgorithm, "publicKey: \(publicKey) is not one of \(KeyAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return try sign(spec, publicKey: publicKey)
    }

    private func sign(_ spec: LeafSpec, publicKey: Certificate.PublicKey) throws -> Certificate {
        let isRSA = KeyAlgorithm(publicKey: publicKey)?.isRSA ?? false
        let authorityKeyID = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
            ?? SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
        let sans = Self.subjectAlternativeNames(spec)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            // RSA key exchange (TLS 1.2 non-ECDHE) encrypts to the key; ECDSA keys only sign.
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: isRSA))
            try ExtendedKeyUsage(spec.usage.keyUsages)
            if !sans.isEmpty { SubjectAlternativeNames(sans) }
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: authorityKeyID)
        }
        // A leaf must not outlive its issuer: verifiers reject the chain once the CA expires anyway.
        let notAfter = min(spec.validity.notAfter, certificate.notValidAfter)
        do {
            return try Certificate(
                version: .v3, serialNumber: .random20(), publicKey: publicKey,
                notValidBefore: spec.validity.notBefore, notValidAfter: notAfter,
                issuer: certificate.subject,
                subject: try Self.distinguishedName(commonName: spec.commonName, organization: spec.organization),
                signatureAlgorithm: key.signatureAlgorithm, extensions: extensions, issuerPrivateKey: key.key
            )
        } catch {
            throw PKIError(.invalidCertificate, "issuing \"\(spec.commonName)\": \(error)")
        }
    }

    static func subjectAlternativeNames(_ spec: LeafSpec) -> [GeneralName] {
        spec.dnsNames.map { GeneralName.dnsName($0) }
            + spec.ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: ArraySlice($0.bytes))) }
            + spec.uris.map { .uniformResourceIdentifier($0) }
    }

    /// Refuses names the CA's own NameConstraints would make verifiers reject, so a bad
    /// certificate is never written in the first place.
    func checkInsideConstraints(_ spec: LeafSpec) throws {
        guard let constraints = nameConstraints else { return }
        try constraints.check(dnsNames: spec.dnsNames, ipAddresses: spec.ipAddresses, uris: spec.uris)
    }
}
