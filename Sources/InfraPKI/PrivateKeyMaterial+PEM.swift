import Crypto
import SwiftASN1
import X509
import _CryptoExtras

extension PrivateKeyMaterial {
    /// Loads a PEM key: PKCS#8 ("PRIVATE KEY") for EC or RSA, and also the legacy PKCS#1
    /// ("RSA PRIVATE KEY") and SEC1 ("EC PRIVATE KEY") forms other tools still write.
    public init(pemEncoded: String) throws {
        let document: PEMDocument
        do {
            document = try PEMDocument(pemString: pemEncoded)
        } catch {
            throw PKIError(.invalidKey, "private key: not a PEM document")
        }
        let accepted = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]
        guard accepted.contains(document.discriminator) else {
            throw PKIError(.invalidKey, "private key: unsupported PEM type \"\(document.discriminator)\" (encrypted keys are not supported)")
        }
        // swift-certificates identifies the algorithm; the concrete key is then re-read so
        // that it can be serialised as PKCS#8 later.
        let generic: Certificate.PrivateKey
        do {
            generic = try Certificate.PrivateKey(pemDocument: document)
        } catch {
            throw PKIError(.invalidKey, "private key: cannot parse \(document.discriminator): \(error)")
        }
        let publicKey = generic.publicKey
        do {
            if P256.Signing.PublicKey(publicKey) != nil {
                self.init(backing: .p256(try P256.Signing.PrivateKey(pemRepresentation: pemEncoded)))
            } else if P384.Signing.PublicKey(publicKey) != nil {
                self.init(backing: .p384(try P384.Signing.PrivateKey(pemRepresentation: pemEncoded)))
            } else if _RSA.Signing.PublicKey(publicKey) != nil {
                self.init(backing: .rsa(try _RSA.Signing.PrivateKey(pemRepresentation: pemEncoded)))
            } else {
                throw PKIError(.unsupportedAlgorithm, "private key: unsupported key type \(generic)")
            }
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError(.invalidKey, "private key: cannot parse \(document.discriminator): \(error)")
        }
    }

    /// The key as PKCS#8 PEM ("BEGIN PRIVATE KEY"), whatever form it was loaded from.
    public func pkcs8PEM() throws -> String {
        switch backing {
        case .p256(let inner): inner.pemRepresentation
        case .p384(let inner): inner.pemRepresentation
        case .rsa(let inner): inner.pkcs8PEMRepresentation
        }
    }
}
