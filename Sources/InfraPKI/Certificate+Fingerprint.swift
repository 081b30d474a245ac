import Crypto
import SwiftASN1
import X509

extension Certificate {
    /// SHA-256 over the DER encoding, colon-separated upper-case hex, as `openssl x509
    /// -fingerprint -sha256` prints it, so operators can compare the two directly.
    public var sha256Fingerprint: String {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(self)) != nil else { return "<unserialisable>" }
        return SHA256.hash(data: serializer.serializedBytes).map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }
}
