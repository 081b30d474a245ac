import Foundation
import X509

/// A self-signed root that issues every InfraOffload leaf.
///
/// It is deliberately a root with pathlen 0: there are no intermediates, so a stolen leaf key
/// can never mint certificates, and the whole trust chain is one file to install.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    public let key: PrivateKeyMaterial

    /// Ten years, backdated five minutes.
    public static func defaultValidity(from start: Date = Date()) -> ValidityWindow { .days(3650, from: start) }

    public static func create(
        commonName: String,
        organization: String? = nil,
        algorithm: KeyAlgorithm = .ecdsaP256,
        validity: ValidityWindow = CertificateAuthority.defaultValidity(),
        nameConstraints: NameConstraintsSpec? = nil
    ) throws -> CertificateAuthority {
        try NameRules.validateCommonName(commonName, field: "ca.commonName")
        if let organization { try NameRules.validateCommonName(organization, field: "ca.organization") }
        try validity.validate(field: "ca.validity")
        try nameConstraints?.validate(field: "ca.nameConstraints")

        let key = try PrivateKeyMaterial.generate(algorithm)
        let name = try Self.distinguishedName(commonName: commonName, organization: organization)
        let constraints = try nameConstraints.flatMap { $0.isEmpty ? nil : try $0.makeExtension() }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: key.publicKey)
            if let constraints { Critical(constraints) }
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .random20(), publicKey: key.publicKey,
            notValidBefore: validity.notBefore, notValidAfter: validity.notAfter,
            issuer: name, subject: name, signatureAlgorithm: key.signatureAlgorithm,
            extensions: extensions, issuerPrivateKey: key.key
        )
        return CertificateAuthority(checkedCertificate: certificate, key: key)
    }

    private init(checkedCertificate: Certificate, key: PrivateKeyMaterial) {
        self.certificate = checkedCertificate
        self.key = key
    }

    /// Loads an existing CA, refusing a certificate that is not a CA or a key that is not its own.
    public init(certificatePEM: String, keyPEM: String) throws {
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw PKIError(.invalidCertificate, "CA certificate: cannot parse PEM: \(error)")
        }
        let key = try PrivateKeyMaterial(pemEncoded: keyPEM)
        try self.init(certificate: certificate, key: key)
    }

    public init(certificate: Certificate, key: PrivateKeyMaterial) throws {
        guard case .isCertificateAuthority = try? certificate.extensions.basicConstraints else {
            throw PKIError(.notCertificateAuthority, "CA certificate \(certificate.subject): basicConstraints is not CA:TRUE")
        }
        if let usage = try? certificate.extensions.keyUsage, !usage.keyCertSign {
            throw PKIError(.notCertificateAuthority, "CA certificate \(certificate.subject): keyUsage lacks keyCertSign")
        }
        guard key.matches(certificate) else {
            throw PKIError(.keyMismatch, "CA key does not match CA certificate \(certificate.subject)")
        }
        self.certificate = certificate
        self.key = key
    }

    /// The CA's permitted names, or nil when it is unconstrained.
    public var nameConstraints: NameConstraintsSpec? { NameConstraintsSpec(certificate: certificate) }

    /// True when `leaf` names this CA as issuer and carries a valid signature from its key.
    public func signed(_ leaf: Certificate) -> Bool {
        leaf.issuer == certificate.subject && certificate.publicKey.isValidSignature(leaf.signature, for: leaf)
    }

    static func distinguishedName(commonName: String, organization: String?) throws -> DistinguishedName {
        try DistinguishedName {
            if let organization { OrganizationName(organization) }
            CommonName(commonName)
        }
    }
}
