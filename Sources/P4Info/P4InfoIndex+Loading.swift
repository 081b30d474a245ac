import Foundation
import P4RuntimeAPI
import SwiftProtobuf

extension P4InfoIndex {
    /// Loads the protobuf text format p4c writes (`--p4runtime-files prog.p4info.txtpb`).
    ///
    /// Unknown fields are skipped rather than refused: our p4types.proto leaves out parts of
    /// P4TypeInfo (enum and union maps) that p4c may emit and that lookups never need. A
    /// P4Info loaded from text therefore re-serializes without them; load the binary form
    /// when the exact P4Info must be pushed to a target.
    public init(textFormat text: String) throws {
        var options = TextFormatDecodingOptions()
        options.ignoreUnknownFields = true
        let p4info: P4_Config_V1_P4Info
        do {
            p4info = try P4_Config_V1_P4Info(textFormatString: text, options: options)
        } catch {
            throw P4InfoError(.invalidP4Info, "P4Info text format does not parse: \(error)")
        }
        try self.init(p4info)
    }

    /// Loads the binary protobuf encoding; unknown fields are kept and re-sent as they came.
    public init(binary: Data) throws {
        let p4info: P4_Config_V1_P4Info
        do {
            p4info = try P4_Config_V1_P4Info(serializedBytes: binary)
        } catch {
            throw P4InfoError(.invalidP4Info, "P4Info binary does not parse: \(error)")
        }
        try self.init(p4info)
    }

    /// Loads a file: binary when its name ends in `.bin` or `.pb`, text format otherwise.
    public init(contentsOfFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw P4InfoError(.unreadableFile, "cannot read P4Info file \(path)")
        }
        if path.hasSuffix(".bin") || path.hasSuffix(".pb") {
            try self.init(binary: data)
        } else {
            guard let text = String(data: data, encoding: .utf8) else {
                throw P4InfoError(.invalidP4Info, "P4Info file \(path) is not UTF-8 text; name binary files *.bin or *.pb")
            }
            try self.init(textFormat: text)
        }
    }
}
