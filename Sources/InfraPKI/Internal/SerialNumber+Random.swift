import Crypto
import X509

extension Certificate.SerialNumber {
    /// 20 random bytes with the top bit cleared: positive, as RFC 5280 requires, and exactly
    /// 20 bytes in DER (the maximum) because no leading zero byte is needed for the sign.
    /// A zero first byte would shrink the encoding, so it is forced non-zero.
    static func random20() -> Self {
        var bytes = (0..<20).map { _ in UInt8.random(in: .min ... .max) }
        bytes[0] = (bytes[0] & 0x7F) | 0x01
        return Self(bytes: bytes)
    }
}
