import Foundation
import GRPCNIOTransportHTTP2Posix
import InfraChannel
import P4Info
import P4RuntimeAPI
import P4RuntimeClient
import XCTest

/// Our `P4RuntimeClient` against an independent server: finsy's P4Runtime test server
/// (PyPI finsy 0.30.0, Python grpcio, its own .proto files), run from the venv that
/// `scripts/setup --test` makes.
///
/// finsy's server is a permissive stub, so only what it really does is asserted: Capabilities
/// says "1.3.0", the arbitration update is echoed back (status unset, i.e. OK: we are primary)
/// and followed by a canned PacketIn, every Write and SetForwardingPipelineConfig succeeds,
/// nothing is stored (Read answers one empty response, Get an empty config), and a second
/// StreamChannel is refused with UNIMPLEMENTED.
final class FinsyPeerTests: XCTestCase {
    func testCapabilitiesArbitrationPipelineWriteAndRead() async throws {
        let server = try await FinsyServer.start()
        defer { server.stop() }
        let info = try TestP4Info.index()
        let transport = try P4RuntimeTransport.make(address: server.address, tls: nil, logger: logger)
        let configuration = TestClient.Configuration(deviceID: 1, electionID: ElectionID(high: 3, low: 12))
        try await P4RuntimeClient.run(transport: transport, configuration: configuration, logger: logger) { client in
            let version = try await client.capabilities()
            XCTAssertEqual(version, "1.3.0", "an older server's version is reported, not refused")

            try await waitFor(client) { $0.isPrimary }

            try await client.setForwardingPipelineConfig(info, cookie: 9)
            XCTAssertEqual(client.p4info?.p4info, info.p4info, "the committed P4Info is used for names")
            let config = try await client.getForwardingPipelineConfig()
            XCTAssertNil(config, "finsy answers Get with an empty config, which means no pipeline")

            // 100 updates: two Write requests (64 + 36); the stub accepts both.
            let routes = try (0..<100).map { i in
                try info.tableEntry(
                    "ipv4_lpm", match: [.lpm(dst, P4Value(bytes: [10, 1, UInt8(i), 0]), prefixLength: 24)],
                    action: "set_nhop", params: ["port": P4Value(UInt(i + 1)), "dmac": 0x0200_0000_0001])
            }
            try await client.write(routes.map { .insert(P4_V1_Entity($0)) })
            let acl = try info.tableEntry(
                "acl", match: [.exact("meta.vport", 3)], action: "drop", priority: 10)
            try await client.write([.insert(P4_V1_Entity(acl)), .modify(P4_V1_Entity(acl)), .delete(P4_V1_Entity(acl))])

            // The stub stores nothing: wildcard reads come back empty, without an error.
            let read = try await client.readTableEntries("ipv4_lpm")
            XCTAssertEqual(read, [])
            let all = try await client.read([try info.allEntries(ofTable: "acl"), try info.allEntries(ofTable: "service_lb")])
            XCTAssertEqual(all, [])
            XCTAssertTrue(client.arbitration.isPrimary)
        }
    }

    /// finsy's stub serves one StreamChannel at a time: a second client's stream is refused with
    /// UNIMPLEMENTED. Our client reports that as a disconnection with the server's reason (and
    /// keeps retrying), while the first client stays primary.
    func testSecondStreamIsRefusedAndReported() async throws {
        let server = try await FinsyServer.start()
        defer { server.stop() }
        let first = try P4RuntimeTransport.make(address: server.address, tls: nil, logger: logger)
        let second = try P4RuntimeTransport.make(address: server.address, tls: nil, logger: logger)
        try await P4RuntimeClient.run(transport: first, configuration: .init(electionID: ElectionID(low: 20)), logger: logger) { primary in
            try await waitFor(primary) { $0.isPrimary }
            try await P4RuntimeClient.run(transport: second, configuration: .init(electionID: ElectionID(low: 10)), logger: logger) { other in
                try await waitFor(other) { state in
                    if case .disconnected(let reason) = state { reason.contains("Multiple clients") } else { false }
                }
                XCTAssertFalse(other.arbitration.isPrimary)
            }
            XCTAssertTrue(primary.arbitration.isPrimary)
        }
    }
}

/// finsy's P4Runtime test server as a child process: Tests/interop/finsy/serve.py in the finsy
/// venv ($INFRA_FINSY_PYTHON, else <repo>/.venv-finsy/bin/python), on 127.0.0.1 and a port it
/// picks and prints.
struct FinsyServer {
    let process: Process
    let stdin: Pipe
    let address: ChannelAddress

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var python: String {
        if let path = ProcessInfo.processInfo.environment["INFRA_FINSY_PYTHON"], !path.isEmpty { return path }
        return repositoryRoot.appendingPathComponent(".venv-finsy/bin/python").path
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Throws (failing the test, never skipping it) when the venv is missing.
    static func start() async throws -> FinsyServer {
        let python = Self.python
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Failure(description: "finsy venv missing: \(python) does not exist (INFRA_FINSY_PYTHON unset or wrong); run `scripts/setup --test`")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [repositoryRoot.appendingPathComponent("Tests/interop/finsy/serve.py").path]
        let stdin = Pipe(), stdout = Pipe()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("finsy-server-\(UUID()).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let ready = await firstLine(of: stdout.fileHandleForReading)
        guard let ready, ready.hasPrefix("ready "), let port = Int(ready.dropFirst("ready ".count)) else {
            process.terminate()
            process.waitUntilExit()
            let stderr = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw Failure(description: "finsy server did not start (said \(ready ?? "nothing")):\n\(stderr)")
        }
        try? FileManager.default.removeItem(at: log)
        return FinsyServer(process: process, stdin: stdin, address: try ChannelAddress(parsing: "127.0.0.1:\(port)"))
    }

    func stop() {
        try? stdin.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// Reads up to the first newline (nil if the process closed stdout first).
    private static func firstLine(of handle: FileHandle) async -> String? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var bytes = Data()
                while let chunk = try? handle.read(upToCount: 1), let byte = chunk.first {
                    if byte == UInt8(ascii: "\n") { break }
                    bytes.append(byte)
                }
                continuation.resume(returning: bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self))
            }
        }
    }
}
