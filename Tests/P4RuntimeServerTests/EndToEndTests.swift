import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraChannel
import Logging
import P4Info
import P4RuntimeAPI
import P4RuntimeClient
import P4RuntimeServer
import XCTest

/// The team's P4RuntimeClient against the core served over loopback HTTP/2 (plaintext; mTLS
/// is InfraChannel's and is tested there): arbitrate, push the pipeline, batched Write with a
/// per-update error carried in the trailer, and a Read back with canonical bytestrings.
final class EndToEndTests: XCTestCase {
    func testClientArbitratesSetsPipelineWritesAndReadsBack() async throws {
        try await Self.withPrimaryClient { client in
            let info = try TestPipeline.index()
            let version = try await client.capabilities()
            XCTAssertEqual(version, "1.5.0")
            try await client.setForwardingPipelineConfig(info, cookie: 7)
            let config = try await client.getForwardingPipelineConfig()
            XCTAssertEqual(config?.cookie.cookie, 7)

            let routes = try (1...4).map { i in
                try info.tableEntry("route", match: [.lpm("dst", P4Value(bytes: [10, UInt8(i), 0, 0]), prefixLength: 16)],
                                    action: "set_port", params: ["port": P4Value(UInt(i))])
            }
            try await client.write(routes.map { .insert(P4_V1_Entity($0)) })

            // Padded (full-width) spelling of an existing key: ALREADY_EXISTS for that update only.
            let padded = try info.tableEntry("route", match: [.lpm("dst", P4Value(bytes: [10, 1, 0, 0]), prefixLength: 16)],
                                             action: "drop", style: .fullWidth)
            let fresh = try info.tableEntry("route", match: [.lpm("dst", P4Value(bytes: [10, 9, 0, 0]), prefixLength: 16)], action: "drop")
            do {
                try await client.write([.insert(P4_V1_Entity(fresh)), .insert(P4_V1_Entity(padded))])
                XCTFail("expected a per-update failure")
            } catch let error as P4RuntimeError {
                XCTAssertEqual(error.code, .updatesFailed, "\(error)")
                XCTAssertEqual(error.rpcCode, .unknown)
                XCTAssertEqual(error.failures.map(\.index), [1])
                XCTAssertTrue(error.failures.first?.message.contains("already exists") ?? false, "\(error)")
            }

            let read = try await client.readTableEntries("route")
            XCTAssertEqual(read.count, 5)
            XCTAssertEqual(Set(read.filter { $0.action.action.actionID == TestPipeline.setPort }), Set(routes), "read-write symmetry")

            // A Read with an unsupported entity streams what it read, then UNKNOWN with one
            // p4.v1.Error per entity (§13.3).
            var register = P4_V1_Entity()
            register.registerEntry.registerID = 0x1600_0001
            do {
                _ = try await client.read([try info.allEntries(ofTable: "route"), register])
                XCTFail("expected a per-entity failure")
            } catch let error as P4RuntimeError {
                XCTAssertEqual(error.code, .readFailed, "\(error)")
                XCTAssertEqual(error.failures.map(\.index), [1])
                XCTAssertEqual(error.failures.map(\.canonicalCode), [.unimplemented])
            }
        }
    }

    /// A backup hears who is primary, may read, and its Write is refused (PERMISSION_DENIED).
    func testBackupIsNotifiedMayReadAndCannotWrite() async throws {
        try await Self.withEmulator { address in
            let info = try TestPipeline.index()
            let primaryTransport = try P4RuntimeTransport.make(address: address, tls: nil, logger: Self.logger)
            try await P4RuntimeClient.run(transport: primaryTransport, configuration: .init(electionID: ElectionID(low: 10)), logger: Self.logger) { primary in
                try await Self.waitUntil(primary) { $0.isPrimary }
                try await primary.setForwardingPipelineConfig(info)
                let backupTransport = try P4RuntimeTransport.make(address: address, tls: nil, logger: Self.logger)
                try await P4RuntimeClient.run(transport: backupTransport, configuration: .init(electionID: ElectionID(low: 5)), p4info: info, logger: Self.logger) { backup in
                    try await Self.waitUntil(backup) { $0 == .backup(highest: ElectionID(low: 10), primaryPresent: true) }
                    let route = try info.tableEntry("route", match: [.lpm("dst", P4Value(bytes: [10, 1, 0, 0]), prefixLength: 16)], action: "drop")
                    do {
                        try await backup.write([.insert(P4_V1_Entity(route))])
                        XCTFail("a backup must not write")
                    } catch let error as P4RuntimeError {
                        XCTAssertEqual(error.code, .notPrimary, "\(error)")
                    }
                    try await primary.write([.insert(P4_V1_Entity(route))])
                    let read = try await backup.readTableEntries("route")
                    XCTAssertEqual(read, [route])
                }
            }
        }
    }

    /// Counters as the team's client builds and decodes them: cells preset by MODIFY, a
    /// direct counter read per entry, an out-of-range index reported for that entity only.
    func testCountersOverTheWire() async throws {
        try await Self.withPrimaryClient { client in
            let info = try TestPipeline.index()
            try await client.setForwardingPipelineConfig(info)
            var cell = try info.counterEntries("port_stats", index: 3)
            cell.counterEntry.data = counts(packets: 11, bytes: 704)
            let hit = try info.tableEntry("exact_t", match: [.exact("dst", P4Value(UInt(7)))], action: "drop")
            try await client.write([.modify(cell), .insert(P4_V1_Entity(hit))])
            try await client.write([.modify(directCounterEntity(TestPipeline.exact, hit.match, data: counts(packets: 2)))])

            let cells = try await client.read([try info.counterEntries("port_stats")])
            XCTAssertEqual(cells.count, 8)
            XCTAssertEqual(cells.filter { $0.counterEntry.data != P4_V1_CounterData() }, [cell])
            let direct = try await client.read([try info.directCounterEntries(ofTable: "exact_t")])
            XCTAssertEqual(direct.map(\.directCounterEntry.data.packetCount), [2])
            do {
                _ = try await client.read([try info.counterEntries("port_stats", index: 8)])
                XCTFail("index 8 of an 8-cell counter was read")
            } catch let error as P4RuntimeError {
                XCTAssertEqual(error.failures.map(\.canonicalCode), [.outOfRange], "\(error)")
            }
        }
    }

    /// A batch of 256 updates that all fail still reports each update's code: the core
    /// shortens the messages until the trailer fits the 16 KiB header limit. The manager
    /// writes batches of this size. 1,000 failures cannot fit and lose their details.
    func testAFailedBatchOf256KeepsEveryUpdatesCode() async throws {
        try await Self.withPrimaryClient(.init(electionID: ElectionID(low: 10), maxUpdatesPerWrite: 1000)) { client in
            let info = try TestPipeline.index()
            try await client.setForwardingPipelineConfig(info)
            let route = try info.tableEntry("route", match: [.lpm("dst", P4Value(bytes: [10, 1, 0, 0]), prefixLength: 16)], action: "drop")
            try await client.write([.insert(P4_V1_Entity(route))])
            do {
                try await client.write(Array(repeating: .insert(P4_V1_Entity(route)), count: 256))
                XCTFail("expected 256 failures")
            } catch let error as P4RuntimeError {
                XCTAssertEqual(error.code, .updatesFailed, "\(error)")
                XCTAssertEqual(error.failures.map(\.index), Array(0..<256))
                XCTAssertEqual(Set(error.failures.map(\.canonicalCode)), [.alreadyExists])
            }
            // A short batch keeps the whole message.
            do {
                try await client.write(Array(repeating: .insert(P4_V1_Entity(route)), count: 4))
                XCTFail("expected 4 failures")
            } catch let error as P4RuntimeError {
                XCTAssertEqual(error.failures.count, 4)
                XCTAssertTrue(error.failures.allSatisfy { $0.message.contains("already exists in \"") }, "\(error)")
            }
            do {
                try await client.write(Array(repeating: .insert(P4_V1_Entity(route)), count: 1000))
                XCTFail("expected a failure")
            } catch let error as P4RuntimeError {
                XCTAssertNotEqual(error.code, .updatesFailed, "1,000 codes cannot fit: \(error)")
            }
        }
    }

    static let logger = Logger(label: "p4runtime-server-tests")

    /// A plaintext client (election id 10) that has become primary of a fresh emulator.
    static func withPrimaryClient(
        _ configuration: P4RuntimeClient<HTTP2ClientTransport.Posix>.Configuration = .init(electionID: ElectionID(low: 10)),
        _ body: @escaping @Sendable (P4RuntimeClient<HTTP2ClientTransport.Posix>) async throws -> Void
    ) async throws {
        try await withEmulator { address in
            let transport = try P4RuntimeTransport.make(address: address, tls: nil, logger: logger)
            try await P4RuntimeClient.run(transport: transport, configuration: configuration, logger: logger) { client in
                try await waitUntil(client) { $0.isPrimary }
                try await body(client)
            }
        }
    }

    /// The core served on an ephemeral loopback port for the duration of `body`.
    static func withEmulator(_ body: @Sendable (ChannelAddress) async throws -> Void) async throws {
        let core = P4RuntimeCore(deviceID: 1, logger: logger)
        let serverTransport = try ChannelServerTransport.make(address: try ChannelAddress(parsing: "127.0.0.1:0"), security: .insecure, logger: logger)
        let server = GRPCServer(transport: serverTransport, services: [core])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            defer {
                server.beginGracefulShutdown()
                group.cancelAll()
            }
            let listening = try await serverTransport.listeningAddress
            let port = try XCTUnwrap(listening.ipv4).port
            try await body(try ChannelAddress(parsing: "127.0.0.1:\(port)"))
        }
    }

    /// Waits (at most 10 s) until the client's arbitration state satisfies `predicate`.
    static func waitUntil(
        _ client: P4RuntimeClient<HTTP2ClientTransport.Posix>, _ predicate: @escaping @Sendable (ArbitrationState) -> Bool
    ) async throws {
        let reached = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await state in client.arbitrationUpdates() where predicate(state) { return true }
                return false
            }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        XCTAssertTrue(reached, "arbitration state is \(client.arbitration)")
        if !reached { throw CancellationError() }
    }
}
