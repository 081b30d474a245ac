import Crypto
import X509
import _CryptoExtras

/// The key types InfraPKI generates. Names are the ones used in profiles and on the CLI.
public enum KeyAlgorithm: String, Codable, CaseIterable, Sendable {
    case ecdsaP256 = "ecdsa-p256"
    case ecdsaP384 = "ecdsa-p384"
    case rsa3072 = "rsa-3072"
    case rsa4096 = "rsa-4096"

    public var isRSA: Bool { self == .rsa3072 || self == .rsa4096 }

    /// The algorithm a key of this type signs certificates with. Chosen to match the key's
    /// strength (SHA-384 for P-384) rather than relying on swift-certificates' internal default.
    public var signatureAlgorithm: Certificate.SignatureAlgorithm {
        switch self {
        case .ecdsaP256: .ecdsaWithSHA256
        case .ecdsaP384: .ecdsaWithSHA384
        case .rsa3072, .rsa4096: .sha256WithRSAEncryption
        }
    }

    /// The algorithm of an existing public key, or nil for key types and sizes we do not issue.
    public init?(publicKey: Certificate.PublicKey) {
        if P256.Signing.PublicKey(publicKey) != nil {
            self = .ecdsaP256
        } else if P384.Signing.PublicKey(publicKey) != nil {
            self = .ecdsaP384
        } else if let rsa = _RSA.Signing.PublicKey(publicKey) {
            switch rsa.keySizeInBits {
            case 3072: self = .rsa3072
            case 4096: self = .rsa4096
            default: return nil
            }
        } else {
            return nil
        }
    }

    /// Parses a CLI/profile spelling, naming the accepted ones on failure.
    public static func parse(_ text: String, field: String) throws -> KeyAlgorithm {
        guard let algorithm = KeyAlgorithm(rawValue: text) else {
            let accepted = allCases.map(\.rawValue).joined(separator: ", ")
            throw PKIError(.unsupportedAlgorithm, "\(field): unknown key algorithm \"\(text)\" (accepted: \(accepted))")
        }
        return algorithm
    }
}
