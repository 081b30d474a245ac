import P4RuntimeAPI
import SwiftProtobuf

/// One update of a Write (or entity of a Read) that the server refused.
public struct P4UpdateFailure: Sendable, Hashable, CustomStringConvertible {
    /// The position of the update in the request's `updates` (or the Read's `entities`).
    public var index: Int
    /// The canonical code (google.rpc.Code), e.g. `.alreadyExists`, `.notFound`.
    public var canonicalCode: Google_Rpc_Code
    public var message: String
    /// The target's error space (e.g. "<target>-<arch>-<vendor>"), empty if none.
    public var space: String
    /// The target-specific code inside `space`.
    public var code: Int32

    public init(index: Int, canonicalCode: Google_Rpc_Code, message: String, space: String = "", code: Int32 = 0) {
        self.index = index
        self.canonicalCode = canonicalCode
        self.message = message
        self.space = space
        self.code = code
    }

    public var description: String {
        let extra = space.isEmpty ? "" : " [\(space) \(code)]"
        return "#\(index) \(canonicalCode): \(message)\(extra)"
    }

    static let errorTypeURL = "type.googleapis.com/p4.v1.Error"

    /// The failed items of a google.rpc.Status whose details hold one `Any(p4.v1.Error)` per
    /// item in request order (§10). Items with canonical code OK succeeded and are skipped; a
    /// detail that is not a p4.v1.Error is reported at its index as `.unknown` so nothing is
    /// silently dropped.
    public static func failures(in status: Google_Rpc_Status) -> [P4UpdateFailure] {
        status.details.enumerated().compactMap { index, detail in
            // Any.value is empty for a successful update: an all-default Error encodes to nothing.
            guard detail.typeURL.hasSuffix("/p4.v1.Error"), let error = try? P4_V1_Error(unpackingAny: detail) else {
                return P4UpdateFailure(index: index, canonicalCode: .unknown, message: "detail of type \"\(detail.typeURL)\" is not a p4.v1.Error")
            }
            guard error.canonicalCode != 0 else { return nil }
            let code = Google_Rpc_Code(rawValue: Int(error.canonicalCode)) ?? .UNRECOGNIZED(Int(error.canonicalCode))
            return P4UpdateFailure(index: index, canonicalCode: code, message: error.message, space: error.space, code: error.code)
        }
    }
}
