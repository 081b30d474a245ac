import X509

/// A freshly issued leaf and the key generated for it.
public struct IssuedCertificate: Sendable {
    public let certificate: Certificate
    public let key: PrivateKeyMaterial

    public init(certificate: Certificate, key: PrivateKeyMaterial) {
        self.certificate = certificate
        self.key = key
    }

    public func certificatePEM() throws -> String { try certificate.pemString() }

    /// PKCS#8 PEM. Callers must write it with mode 0600 and never log it.
    public func keyPEM() throws -> String { try key.pkcs8PEM() }
}

extension Certificate {
    /// PEM text, wrapping serialisation failures (which only a broken certificate causes).
    public func pemString() throws -> String {
        try PEMText.encode(self, code: .invalidCertificate, what: "certificate \(subject)")
    }
}
