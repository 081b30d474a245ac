import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraChannel
import Logging
import P4Info
import P4RuntimeClient

/// Counters straight from infra-p4-dpdk (its pipeline's statistics), read over P4Runtime with
/// the P4Runtime client identity. A Read needs no arbitration, so this never competes with the
/// manager for primary.
extension NodeHarness {
    /// Every cell of the indexed counter `name` (e.g. "service_drops"), as index → packets.
    func counterPackets(_ name: String) async throws -> [Int64: Int64] {
        var logger = Logger(label: "e2e-counters")
        logger.logLevel = .error
        let store = try TLSMaterialStore(files: TLSFiles(directory: pkiDirectory + "/p4rt-client"))
        let transport = try P4RuntimeTransport.make(address: try ChannelAddress(parsing: "127.0.0.1:\(p4Port)"), tls: store, logger: logger)
        let p4info = try P4InfoIndex(contentsOfFile: Self.repoRoot.path + "/k8s_dp/dpdk/k8s_dp.p4info.txtpb")
        let entities = try await withGRPCClient(transport: transport) { grpc in
            let client = P4RuntimeClient(client: grpc, configuration: .init(electionID: ElectionID(low: 1)), p4info: p4info, logger: logger)
            return try await client.read([try p4info.counterEntries(name)])
        }
        var cells: [Int64: Int64] = [:]
        for entity in entities where entity.counterEntry.hasIndex {
            cells[entity.counterEntry.index.index] = entity.counterEntry.data.packetCount
        }
        return cells
    }
}
