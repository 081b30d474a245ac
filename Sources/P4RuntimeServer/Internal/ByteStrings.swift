import Foundation
import P4Info

/// The bytestring rules of §8.3 (facts §4.1).
///
/// Servers must accept any length as long as the value fits the bitwidth once leading zeros
/// are stripped, must refuse the empty string and overflow (OUT_OF_RANGE, as §8.3 says), and
/// must send back the shortest form.
enum ByteStrings {
    static func value(_ bytes: Data, bitwidth: Int, what: @autoclosure () -> String) throws -> P4Value {
        guard !bytes.isEmpty else {
            throw P4ServerError(.outOfRange, "\(what()) is an empty bytestring; zero is encoded as \\x00")
        }
        let value = P4Value(bytes: bytes)
        guard value.fits(bitwidth: bitwidth) else {
            throw P4ServerError(.outOfRange, "\(what()) = \(value) needs \(value.bitLength) bits but is bit<\(bitwidth)>")
        }
        return value
    }

    /// Shortest form: no leading zero bytes, zero as one byte.
    static func canonical(_ value: P4Value) -> Data {
        value.magnitude.isEmpty ? Data([0]) : Data(value.magnitude)
    }

    /// The shortest form of `bytes`, checked against `bitwidth` like `value`, straight from
    /// the raw bytes: the path of every exact match and action parameter, so no `P4Value`
    /// (a generic sequence walk and an array) is built per write. A string already in
    /// shortest form is returned as it came, without a copy.
    static func canonical(_ bytes: Data, bitwidth: Int, what: @autoclosure () -> String) throws -> Data {
        let fits: Bool? = bytes.withUnsafeBytes { raw in
            guard !raw.isEmpty else { return nil }
            guard let first = raw.firstIndex(where: { $0 != 0 }) else { return true }
            let bitLength = (raw.count - first - 1) * 8 + (8 - raw[first].leadingZeroBitCount)
            return bitLength <= bitwidth
        }
        guard fits == true else {
            // Refused: the general path words the error.
            return canonical(try value(bytes, bitwidth: bitwidth, what: what()))
        }
        guard let first = bytes.firstIndex(where: { $0 != 0 }) else {
            return bytes.count == 1 ? bytes : Data([0])
        }
        return first == bytes.startIndex ? bytes : Data(bytes[first...])
    }
}
