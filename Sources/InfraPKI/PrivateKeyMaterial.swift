import Crypto
import X509
import _CryptoExtras

/// A private key together with the concrete swift-crypto key behind it.
///
/// `Certificate.PrivateKey` hides its backing key, but RSA keys must be written with
/// `pkcs8PEMRepresentation` (its own PEM is PKCS#1), so the concrete key is kept alongside.
public struct PrivateKeyMaterial: Sendable {
    public let key: Certificate.PrivateKey
    let backing: Backing

    enum Backing: Sendable {
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }

    init(backing: Backing) {
        self.backing = backing
        switch backing {
        case .p256(let inner): self.key = Certificate.PrivateKey(inner)
        case .p384(let inner): self.key = Certificate.PrivateKey(inner)
        case .rsa(let inner): self.key = Certificate.PrivateKey(inner)
        }
    }

    /// Generates a fresh key. RSA-4096 takes seconds on a small machine.
    public static func generate(_ algorithm: KeyAlgorithm) throws -> Self {
        switch algorithm {
        case .ecdsaP256: return Self(backing: .p256(P256.Signing.PrivateKey()))
        case .ecdsaP384: return Self(backing: .p384(P384.Signing.PrivateKey()))
        case .rsa3072: return Self(backing: .rsa(try rsaKey(.bits3072)))
        case .rsa4096: return Self(backing: .rsa(try rsaKey(.bits4096)))
        }
    }

    private static func rsaKey(_ size: _RSA.Signing.KeySize) throws -> _RSA.Signing.PrivateKey {
        do {
            return try _RSA.Signing.PrivateKey(keySize: size)
        } catch {
            throw PKIError(.invalidKey, "RSA key generation failed: \(error)")
        }
    }

    public var publicKey: Certificate.PublicKey { key.publicKey }

    /// The issued-key algorithm, or nil for a loaded key of another size (e.g. RSA-2048).
    public var algorithm: KeyAlgorithm? { KeyAlgorithm(publicKey: publicKey) }

    /// The signature algorithm this key signs with: SHA-256 for P-256 and RSA, SHA-384 for P-384.
    public var signatureAlgorithm: Certificate.SignatureAlgorithm {
        switch backing {
        case .p256: .ecdsaWithSHA256
        case .p384: .ecdsaWithSHA384
        case .rsa: .sha256WithRSAEncryption
        }
    }

    /// True when `certificate` carries this key's public half.
    public func matches(_ certificate: Certificate) -> Bool {
        certificate.publicKey == publicKey
    }
}
