import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Histogram
import InfraAPI
import InfraChannel
import Logging

/// Measures unary-call latency and throughput of the split channel from the agent's side.
///
/// One `GRPCClient` (one HTTP/2 connection over mutual TLS 1.3, built exactly as the agent
/// builds it) sends the same `CreatePodNetwork` request again and again. The request is
/// idempotent, so after the first call the manager's state no longer grows and every call
/// takes the same path: authorize, validate, apply to a copy, find nothing changed.
///
/// For each requested concurrency the tool warms up, then runs the measured calls spread over
/// that many tasks sharing the client, and prints one JSON object per line:
/// `{"client":"swift",...,"calls_per_s":...,"p50_us":...,"p99_us":...,"p999_us":...}`.
/// `scripts/bench-channel` runs it next to the Python peer client (Tests/interop/bench_client.py),
/// which prints the same fields.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infra-channel-bench",
        abstract: "Unary-call latency and throughput of the agent-to-manager channel (CreatePodNetwork).",
        version: InfraVersion.release
    )

    @Option(help: "Manager address: host:port, [v6]:port or unix:/path.")
    var address = "127.0.0.1:50002"
    @Option(help: "Directory holding ca.crt, tls.crt and tls.key of the agent identity.")
    var pki = "/etc/infra/pki/agent"
    @Option(help: "DNS name to verify in the manager's certificate instead of the dialled host.")
    var serverName: String?
    @Flag(help: "Connect without TLS (only to a manager started with insecure: true).")
    var insecure = false
    @Option(help: "Comma-separated concurrency levels; each runs in turn on the same connection.")
    var concurrency = "1,16"
    @Option(help: "Unmeasured calls before each level.")
    var warmup = 500
    @Option(help: "Measured calls per level.")
    var calls = 5_000
    @Option(help: "Stop a level early after this many seconds (its call count is then smaller).")
    var maxSeconds: Double = 30
    @Option(help: "Deadline of each call, in seconds.")
    var timeout: Double = 10

    func validate() throws {
        guard !levels.isEmpty, levels.allSatisfy({ $0 >= 1 && $0 <= 1_024 }) else {
            throw ValidationError("--concurrency: \"\(concurrency)\" must be a comma-separated list of numbers from 1 to 1024")
        }
        guard calls >= 1 else { throw ValidationError("--calls: \(calls) must be at least 1") }
        guard warmup >= 0 else { throw ValidationError("--warmup: \(warmup) must not be negative") }
        guard maxSeconds > 0 else { throw ValidationError("--max-seconds: \(maxSeconds) must be positive") }
        guard timeout > 0 else { throw ValidationError("--timeout: \(timeout) must be positive") }
    }

    var levels: [Int] {
        concurrency.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) ?? 0 }
    }

    func run() async throws {
        var logger = Logger(label: "infra-channel-bench")
        logger.logLevel = .warning
        let security: ClientSecurity = insecure
            ? .insecure
            : .mutualTLS(try TLSMaterialStore(files: TLSFiles(directory: pki)), serverRoles: [.manager], serverName: serverName)
        let transport = try ChannelClientTransport.make(address: try ChannelAddress(parsing: address), security: security, logger: logger)
        let plan = BenchPlan(
            warmup: warmup, calls: calls, maxDuration: .milliseconds(Int64(maxSeconds * 1_000)),
            callTimeout: .milliseconds(Int64(timeout * 1_000))
        )
        let levels = self.levels
        let results = try await withGRPCClient(transport: transport) { client in
            let runner = BenchRunner(client: Infra_V1_InfraManager.Client(wrapping: client), plan: plan)
            var results: [BenchResult] = []
            for level in levels {
                let result = try await runner.run(concurrency: level)
                FileHandle.standardOutput.write(Data((result.jsonLine + "\n").utf8))
                FileHandle.standardError.write(Data((result.summaryLine + "\n").utf8))
                results.append(result)
            }
            return results
        }
        if results.contains(where: { $0.errors > 0 }) {
            throw ExitCode(2)
        }
    }
}
