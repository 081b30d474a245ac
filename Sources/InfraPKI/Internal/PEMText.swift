import SwiftASN1

enum PEMText {
    /// PEM text of a DER object, turning the (practically impossible) serialisation failure
    /// into a PKIError so callers deal with one error type.
    static func encode(_ value: some PEMSerializable, code: PKIError.Code, what: String) throws -> String {
        do {
            return try value.serializeAsPEM().pemString
        } catch {
            throw PKIError(code, "\(what): cannot serialise: \(error)")
        }
    }
}
