import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraChannel
import Logging
import P4Info
import P4RuntimeAPI
import P4RuntimeClient
import XCTest

/// The client against `FakeP4RuntimeServer` over loopback HTTP/2 (plaintext: the mTLS path is
/// InfraChannel's and is tested there).
final class EndToEndTests: XCTestCase {
    func testPrimaryPipelineBatchedWriteWithPerUpdateErrorsAndRead() async throws {
        try await withPrimaryClient(.init(electionID: ElectionID(low: 10)), pipeline: false) { server, client, info in
            let arbitration = try XCTUnwrap(server.lastArbitration)
            XCTAssertEqual(arbitration.deviceID, 1)
            XCTAssertFalse(arbitration.hasRole, "the default role is sent as role unset (§5.3)")
            XCTAssertEqual(ElectionID(arbitration.electionID), ElectionID(low: 10))
            let version = try await client.capabilities()
            XCTAssertEqual(version, "1.5.0")
            let before = try await client.getForwardingPipelineConfig()
            XCTAssertNil(before)

            let routes = try (1...5).map { i in
                try info.tableEntry(
                    "ipv4_lpm", match: [.lpm(dst, P4Value(bytes: [10, UInt8(i), 0, 0]), prefixLength: 16)],
                    action: "set_nhop", params: ["port": P4Value(UInt(i)), "dmac": 0x0200_0000_0001])
            }
            await assertP4Error(.noPipeline) { try await client.write([.insert(P4_V1_Entity(routes[0]))]) }

            try await client.setForwardingPipelineConfig(info, cookie: 7)
            XCTAssertNotNil(client.p4info)
            let config = try await client.getForwardingPipelineConfig()
            XCTAssertEqual(config?.cookie.cookie, 7)
            XCTAssertEqual(config?.p4Info, info.p4info)
            await assertP4Error(.unsupported) { try await client.setForwardingPipelineConfig(info, action: .reconcileAndCommit) }

            try await client.write(routes.map { .insert(P4_V1_Entity($0)) })
            XCTAssertEqual(server.writeCount, 1, "five updates went in one request")

            let missing = try info.tableEntry(
                "ipv4_lpm", match: [.lpm(dst, P4Value(bytes: [192, 168, 0, 0]), prefixLength: 16)], action: "drop")
            do {
                try await client.write([.modify(P4_V1_Entity(routes[0])), .insert(P4_V1_Entity(routes[1])), .delete(P4_V1_Entity(missing))])
                XCTFail("expected per-update errors")
            } catch let error as P4RuntimeError {
                XCTAssertEqual(error.code, .updatesFailed)
                XCTAssertEqual(error.rpcCode, .unknown)
                XCTAssertEqual(error.failures.map(\.index), [1, 2])
                XCTAssertEqual(error.failures.map(\.canonicalCode), [.alreadyExists, .notFound])
                XCTAssertTrue(error.failures[0].message.contains("already exists"), error.failures[0].message)
                XCTAssertTrue(error.description.contains("#2 notFound"), error.description)
            }

            let read = try await client.readTableEntries("ipv4_lpm")
            XCTAssertEqual(Set(read.map { $0.action.action.params[0].value }), Set((1...5).map { Data([UInt8($0)]) }))
            XCTAssertEqual(Set(read), Set(routes), "read-write symmetry with canonical values")
            let batches = Counter()
            try await client.read([try info.allEntries(ofTable: "ipv4_lpm")]) { entities in
                await batches.add(entities.count)
            }
            let sizes = await batches.values
            XCTAssertEqual(sizes, [2, 2, 1], "the answer arrived over three stream messages")
            let none = try await client.readTableEntries("acl")
            XCTAssertTrue(none.isEmpty)

            // A Read that fails for one entity still streams what it could read first (§13.3).
            let delivered = Counter()
            do {
                try await client.read([try info.allEntries(ofTable: "ipv4_lpm"), try info.counterEntries("port_bytes")]) { entities in
                    await delivered.add(entities.count)
                }
                XCTFail("expected a per-entity failure")
            } catch let error as P4RuntimeError {
                XCTAssertEqual(error.code, .readFailed, "\(error)")
                XCTAssertEqual(error.failures, [P4UpdateFailure(index: 1, canonicalCode: .unimplemented, message: "only table entries")])
            }
            let deliveredSizes = await delivered.values
            XCTAssertEqual(deliveredSizes.reduce(0, +), 5)
        }
    }

    func testBackupIsRefusedAndClientsReArbitrateAfterTheStreamDrops() async throws {
        try await withFakeServer { server, address in
            let info = try TestP4Info.index()
            let fast = Backoff(initial: .milliseconds(50), maximum: .milliseconds(200))
            let high = P4RuntimeClient<HTTP2ClientTransport.Posix>.Configuration(electionID: ElectionID(high: 1, low: 0), backoff: fast)
            let low = P4RuntimeClient<HTTP2ClientTransport.Posix>.Configuration(electionID: ElectionID(high: 0, low: 99), backoff: fast)
            let transportA = try P4RuntimeTransport.make(address: address, tls: nil, logger: logger)
            let transportB = try P4RuntimeTransport.make(address: address, tls: nil, logger: logger)
            try await P4RuntimeClient.run(transport: transportA, configuration: high, p4info: info, logger: logger) { primary in
                try await waitFor(primary) { $0.isPrimary }
                try await primary.setForwardingPipelineConfig(info)
                try await P4RuntimeClient.run(transport: transportB, configuration: low, logger: logger) { backup in
                    try await waitFor(backup) { $0 == .backup(highest: ElectionID(high: 1, low: 0), primaryPresent: true) }
                    await assertP4Error(.notPrimary) { try await backup.setForwardingPipelineConfig(info) }
                    let entry = try info.tableEntry("ipv4_lpm", match: [.lpm(dst, 0, prefixLength: 0)], action: "drop")
                    await assertP4Error(.notPrimary) { try await backup.write([.insert(P4_V1_Entity(entry))]) }
                    // Reads need no primacy.
                    let read = try await backup.read([try info.allEntries(ofTable: "ipv4_lpm")])
                    XCTAssertTrue(read.isEmpty)

                    // The server drops every stream: both clients re-arbitrate on their own, and
                    // the higher election id wins again (the backup is not promoted).
                    let updates = primary.arbitrationUpdates()
                    server.dropAllStreams()
                    var sawDisconnect = false
                    for await state in updates {
                        if case .disconnected = state { sawDisconnect = true }
                        if sawDisconnect && state.isPrimary { break }
                    }
                    XCTAssertTrue(sawDisconnect)
                    try await waitFor(backup) { if case .backup = $0 { true } else { false } }
                    try await primary.write([.insert(P4_V1_Entity(entry))])
                }
            }
        }
    }

    func testElectionIDOutranksThePreviousInstanceEvenIfTheClockStepsBack() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("election-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let now = Date(timeIntervalSince1970: 1_800_000_000.25)
        let first = try ElectionID.forStartup(stateFile: path, now: now)
        XCTAssertEqual(first.high, 1_800_000_000)
        let restartedEarlier = try ElectionID.forStartup(stateFile: path, now: now.addingTimeInterval(-3600))
        XCTAssertGreaterThan(restartedEarlier, first)
        let later = try ElectionID.forStartup(stateFile: path, now: now.addingTimeInterval(60))
        XCTAssertGreaterThan(later, restartedEarlier)
        XCTAssertEqual(ElectionID(high: 0, low: .max).successor, ElectionID(high: 1, low: 0))
        XCTAssertLessThan(ElectionID(high: 0, low: .max), ElectionID(high: 1, low: 0))
        XCTAssertThrowsError(try ElectionID.forStartup(stateFile: "/nonexistent-dir/election-id")) {
            XCTAssertEqual(($0 as? P4RuntimeError)?.code, .electionIDNotPersisted)
        }
    }
}

/// Runs a `FakeP4RuntimeServer` on a loopback port for `body`, built by InfraChannel like a real
/// listener (plaintext unless `security` says otherwise).
func withFakeServer(
    security: ServerSecurity = .insecure, _ body: @Sendable (FakeP4RuntimeServer, ChannelAddress) async throws -> Void
) async throws {
    let fake = FakeP4RuntimeServer()
    let transport = try ChannelServerTransport.make(address: try ChannelAddress(parsing: "127.0.0.1:0"), security: security, logger: logger)
    let server = GRPCServer(transport: transport, services: [fake])
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.serve() }
        defer {
            server.beginGracefulShutdown()
            group.cancelAll()
        }
        let listening = try await transport.listeningAddress
        let port = try XCTUnwrap(listening.ipv4).port
        try await body(fake, try ChannelAddress(parsing: "127.0.0.1:\(port)"))
    }
}

typealias TestClient = P4RuntimeClient<HTTP2ClientTransport.Posix>

/// A fake server and a client that is already primary and, when `pipeline`, has pushed
/// `TestP4Info` with VERIFY_AND_COMMIT.
func withPrimaryClient(
    _ configuration: TestClient.Configuration = .init(electionID: ElectionID(low: 1)), pipeline: Bool = true,
    _ body: @Sendable (FakeP4RuntimeServer, TestClient, P4InfoIndex) async throws -> Void
) async throws {
    try await withFakeServer { server, address in
        let info = try TestP4Info.index()
        let transport = try P4RuntimeTransport.make(address: address, tls: nil, logger: logger)
        try await P4RuntimeClient.run(transport: transport, configuration: configuration, logger: logger) { client in
            try await waitFor(client) { $0.isPrimary }
            if pipeline { try await client.setForwardingPipelineConfig(info) }
            try await body(server, client, info)
        }
    }
}

actor Counter {
    private(set) var values: [Int] = []
    func add(_ value: Int) { values.append(value) }
}

let logger = Logger(label: "p4runtime-tests")
let dst = "hdr.ipv4.dst_addr"

/// Waits (at most `seconds`) until the client's arbitration state satisfies `predicate`.
func waitFor<T>(
    _ client: P4RuntimeClient<T>, seconds: Double = 10, file: StaticString = #filePath, line: UInt = #line,
    _ predicate: @escaping @Sendable (ArbitrationState) -> Bool
) async throws {
    let reached = try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask {
            for await state in client.arbitrationUpdates() where predicate(state) { return true }
            return false
        }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return false
        }
        let first = try await group.next() ?? false
        group.cancelAll()
        return first
    }
    XCTAssertTrue(reached, "arbitration state is \(client.arbitration)", file: file, line: line)
    if !reached { throw CancellationError() }
}

func assertP4Error(
    _ code: P4RuntimeError.Code, file: StaticString = #filePath, line: UInt = #line, _ body: () async throws -> Void
) async {
    do {
        try await body()
        XCTFail("expected P4RuntimeError \(code)", file: file, line: line)
    } catch let error as P4RuntimeError {
        XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
    } catch {
        XCTFail("expected P4RuntimeError \(code), got \(error)", file: file, line: line)
    }
}

final class LargeBatchTests: XCTestCase {
    /// 1,000 updates with two failures: split into requests small enough that the per-update
    /// error trailer fits the 16 KiB header limit, and the failures keep their global indices.
    func testLongWritesAreSplitAndFailuresKeepTheirIndex() async throws {
        try await withPrimaryClient { server, client, info in
            let entries = try (0..<1000).map { i in
                try info.tableEntry(
                    "ipv4_lpm", match: [.lpm(dst, P4Value(bytes: [10, UInt8(i >> 8), UInt8(i & 0xff), 0]), prefixLength: 24)],
                    action: "drop")
            }
            var updates = entries.map { P4_V1_Update.insert(P4_V1_Entity($0)) }
            updates[250] = .insert(P4_V1_Entity(entries[0]))  // duplicate key
            updates[999] = .delete(P4_V1_Entity(entries[999]))  // never inserted
            do {
                try await client.write(updates)
                XCTFail("expected two failures")
            } catch let error as P4RuntimeError {
                XCTAssertEqual(error.code, .updatesFailed, "\(error)")
                XCTAssertEqual(error.failures.map(\.index), [250, 999])
                XCTAssertEqual(error.failures.map(\.canonicalCode), [.alreadyExists, .notFound])
            }
            XCTAssertEqual(server.writeCount, 16, "1,000 updates in 16 requests of at most 64")
            let read = try await client.readTableEntries("ipv4_lpm")
            XCTAssertEqual(read.count, 998)

            // A whole request of failures still fits the header limit.
            let duplicates = Array(repeating: P4_V1_Update.insert(P4_V1_Entity(entries[0])), count: 64)
            do {
                try await client.write(duplicates)
                XCTFail("expected 64 failures")
            } catch let error as P4RuntimeError {
                XCTAssertEqual(error.code, .updatesFailed, "\(error)")
                XCTAssertEqual(error.failures.map(\.index), Array(0..<64))
            }
        }
    }

    /// With several requests in flight the failures still come back by their index in the
    /// call, in order, and every other update is committed.
    func testRequestsInFlightReportFailuresByIndex() async throws {
        try await withPrimaryClient(.init(electionID: ElectionID(low: 1), maxWritesInFlight: 4)) { server, client, info in
            let entries = try (0..<1000).map { i in
                try info.tableEntry(
                    "ipv4_lpm", match: [.lpm(dst, P4Value(bytes: [10, UInt8(i >> 8), UInt8(i & 0xff), 0]), prefixLength: 24)],
                    action: "drop")
            }
            var updates = entries.map { P4_V1_Update.insert(P4_V1_Entity($0)) }
            // Failures that hold in any order of the requests: deletes of keys never inserted.
            updates[999] = .delete(P4_V1_Entity(entries[999]))
            updates[3] = .delete(P4_V1_Entity(entries[3]))
            updates[250] = .delete(P4_V1_Entity(entries[250]))
            do {
                try await client.write(updates)
                XCTFail("expected three failures")
            } catch let error as P4RuntimeError {
                XCTAssertEqual(error.code, .updatesFailed, "\(error)")
                XCTAssertEqual(error.failures.map(\.index), [3, 250, 999])
                XCTAssertEqual(Set(error.failures.map(\.canonicalCode)), [.notFound])
            }
            XCTAssertEqual(server.writeCount, 16, "1,000 updates in 16 requests of at most 64")
            let read = try await client.readTableEntries("ipv4_lpm")
            XCTAssertEqual(read.count, 997)
        }
    }

    /// Without splitting, the same failure in one 1,000-update request loses its details: this is
    /// what `maxUpdatesPerWrite` prevents (App. "gRPC Metadata Maximum Size").
    func testOneHugeRequestLosesTheDetails() async throws {
        try await withPrimaryClient(.init(electionID: ElectionID(low: 1), maxUpdatesPerWrite: 1000)) { _, client, info in
            let entry = try info.tableEntry("ipv4_lpm", match: [.lpm(dst, 0, prefixLength: 0)], action: "drop")
            let updates = Array(repeating: P4_V1_Update.insert(P4_V1_Entity(entry)), count: 1000)
            do {
                try await client.write(updates)
                XCTFail("expected a failure")
            } catch let error as P4RuntimeError {
                XCTAssertNotEqual(error.code, .updatesFailed, "the trailer should not have fit: \(error)")
                XCTAssertTrue(error.message.contains("send smaller batches"), error.message)
            }
        }
    }
}

final class ArbitrationTests: XCTestCase {
    /// An unknown device id ends the stream (NOT_FOUND); the client keeps retrying and reports
    /// why, and a waiter learns it when arbitration is stopped.
    func testUnknownDeviceIsReportedAndWaitersAreReleased() async throws {
        try await withFakeServer { _, address in
            let transport = try P4RuntimeTransport.make(address: address, tls: nil, logger: logger)
            let configuration = TestClient.Configuration(deviceID: 7, electionID: ElectionID(low: 1))
            try await withGRPCClient(transport: transport) { grpc in
                let client = TestClient(client: grpc, configuration: configuration, logger: logger)
                let arbitration = Task { await client.maintainArbitration() }
                try await waitFor(client) { state in
                    if case .disconnected(let reason) = state { reason.contains("unknown device 7") } else { false }
                }
                let waiter = Task { try await client.waitUntilPrimary() }
                arbitration.cancel()
                await arbitration.value
                do {
                    try await waiter.value
                    XCTFail("never primary")
                } catch let error as P4RuntimeError {
                    XCTAssertEqual(error.code, .arbitrationRefused)
                }
            }
        }
    }
}
