import Foundation
import P4RuntimeServer

/// The parts of p4c-dpdk's context JSON the target uses: which spec object realizes each
/// P4Runtime table, action, action profile and counter, and the order of key fields and
/// action parameters in the spec.
struct DPDKContext: Decodable, Sendable {
    struct KeyField: Decodable, Sendable {
        var name: String
        var matchType: String
        var bitWidth: Int
        var position: Int
    }

    struct Parameter: Decodable, Sendable {
        var name: String
        var bitWidth: Int
        var position: Int
    }

    struct Action: Decodable, Sendable {
        var name: String
        var targetName: String
        var handle: UInt32
        var p4Parameters: [Parameter]
    }

    struct Table: Decodable, Sendable {
        var name: String
        var targetName: String
        var handle: UInt32
        var tableType: String
        var addOnMiss: Bool?
        var matchKeyFields: [KeyField]?
        var actions: [Action]?
        var boundToActionDataTableHandle: UInt32?
    }

    struct Extern: Decodable, Sendable {
        var name: String
        var targetName: String
        var type: String
    }

    var tables: [Table]
    var externs: [Extern]?

    init(_ data: Data) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            self = try decoder.decode(DPDKContext.self, from: data)
        } catch {
            throw P4ServerError(.invalidArgument, "p4_device_config field \"context\" is not a p4c-dpdk context JSON: \(error)")
        }
    }
}
