import Foundation
import X509

/// Loading the CA that `apply` must reuse and never replace.
enum ExistingCA {
    /// The CA on disk, nil when neither file exists; an error when only one does or they
    /// do not belong together.
    static func load(_ layout: PKILayout) throws -> CertificateAuthority? {
        let certificateText = SecureFile.read(layout.caCertificate)
        let keyText = SecureFile.read(layout.caKey)
        switch (certificateText, keyText) {
        case (nil, nil):
            if SecureFile.exists(layout.caCertificate) || SecureFile.exists(layout.caKey) {
                throw PKIError(.fileSystem, "\(layout.caDirectory.path): CA files exist but cannot be read")
            }
            return nil
        case (.some, nil):
            throw PKIError(.fileConflict, "\(layout.caKey.path) is missing or unreadable but \(layout.caCertificate.lastPathComponent) exists; refusing to replace the CA")
        case (nil, .some):
            throw PKIError(.fileConflict, "\(layout.caCertificate.path) is missing but \(layout.caKey.lastPathComponent) exists; refusing to replace the CA")
        case (.some(let certificatePEM), .some(let keyPEM)):
            do {
                return try CertificateAuthority(certificatePEM: certificatePEM, keyPEM: keyPEM)
            } catch let error as PKIError {
                throw PKIError(error.code, "\(layout.caDirectory.path): \(error.message)")
            }
        }
    }
}

extension CertificateAuthority {
    /// A CA outside its validity cannot issue anything verifiers would accept.
    func checkUsable(at now: Date, path: String) throws {
        if now > certificate.notValidAfter {
            throw PKIError(.invalidCertificate, "\(path): CA expired at \(certificate.notValidAfter); create a new CA deliberately (infra-pki init) and redistribute it")
        }
        if now < certificate.notValidBefore {
            throw PKIError(.invalidCertificate, "\(path): CA is not valid until \(certificate.notValidBefore)")
        }
    }
}
