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
}
