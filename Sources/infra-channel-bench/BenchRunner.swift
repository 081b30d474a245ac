import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Histogram
import InfraAPI
import Synchronization

/// How much one concurrency level does.
struct BenchPlan: Sendable {
    var warmup: Int
    var calls: Int
    var maxDuration: Duration
    var callTimeout: Duration
}

/// The request every call sends, in the Swift and the Python client alike: one pod
/// interface with a fixed key, so the manager's state holds at most this one pod.
enum BenchRequest {
    static let containerID = "bench-0000000000000001"
    static let interfaceName = "eth0"

    static var message: Infra_V1_CreatePodNetworkRequest {
        .with {
            $0.pod = .with {
                $0.key = .with {
                    $0.containerID = containerID
                    $0.interfaceName = interfaceName
                }
                $0.namespace = "bench"
                $0.podName = "bench-pod"
                $0.hostInterface = "bench-vport0"
                $0.macAddress = "02:00:00:be:0c:01"
                $0.ipAddresses = ["10.244.250.1/32"]
            }
        }
    }
}

/// Hands out call slots to the tasks of one level until the count or the time is used up.
final class CallBudget: Sendable {
    private let remaining: Atomic<Int>
    private let deadline: ContinuousClock.Instant

    init(calls: Int, deadline: ContinuousClock.Instant) {
        remaining = Atomic(calls)
        self.deadline = deadline
    }

    /// True when the caller may make one more call.
    func take() -> Bool {
        guard ContinuousClock.now < deadline else { return false }
        return remaining.subtract(1, ordering: .relaxed).newValue >= 0
    }
}

/// What one task of a level saw.
struct WorkerTally: Sendable {
    var histogram = BenchRunner.makeHistogram()
    var errors = 0
    var unexpected = 0
    var firstError: String?
}

struct BenchRunner: Sendable {
    let client: Infra_V1_InfraManager.Client<HTTP2ClientTransport.Posix>
    let plan: BenchPlan

    static func makeHistogram() -> Histogram<UInt64> {
        // Nanoseconds, from 0.1 µs to 60 s, three significant digits.
        Histogram<UInt64>(lowestDiscernibleValue: 100, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    }

    func run(concurrency: Int) async throws -> BenchResult {
        var options = CallOptions.defaults
        options.timeout = plan.callTimeout
        let request = BenchRequest.message

        // Warm-up: the first call opens the connection and creates the pod; the rest let
        // both sides settle (allocations, HPACK tables, the server's thread pool).
        let warm = try await runWorkers(
            concurrency: concurrency, budget: CallBudget(calls: plan.warmup, deadline: .now + plan.maxDuration),
            request: request, options: options
        )
        if warm.errors > 0 {
            throw BenchFailure("warm-up at concurrency \(concurrency): \(warm.errors) calls failed, first: \(warm.firstError ?? "?")")
        }

        let start = ContinuousClock.now
        let tally = try await runWorkers(
            concurrency: concurrency, budget: CallBudget(calls: plan.calls, deadline: start + plan.maxDuration),
            request: request, options: options
        )
        let elapsed = ContinuousClock.now - start
        return BenchResult(concurrency: concurrency, elapsed: elapsed, tally: tally)
    }

    private func runWorkers(
        concurrency: Int, budget: CallBudget, request: Infra_V1_CreatePodNetworkRequest, options: CallOptions
    ) async throws -> WorkerTally {
        try await withThrowingTaskGroup(of: WorkerTally.self) { group in
            for _ in 0..<concurrency {
                group.addTask { await worker(budget: budget, request: request, options: options) }
            }
            var total = WorkerTally()
            for try await tally in group {
                total.histogram.add(tally.histogram)
                total.errors += tally.errors
                total.unexpected += tally.unexpected
                total.firstError = total.firstError ?? tally.firstError
            }
            return total
        }
    }

    private func worker(budget: CallBudget, request: Infra_V1_CreatePodNetworkRequest, options: CallOptions) async -> WorkerTally {
        var tally = WorkerTally()
        let clock = ContinuousClock()
        while budget.take() {
            let began = clock.now
            do {
                let response = try await client.createPodNetwork(request, options: options)
                let took = clock.now - began
                _ = tally.histogram.record(UInt64(max(1, took.nanoseconds)))
                // After the first call the pod is already in place: nothing may change.
                if response.changes.created + response.changes.updated + response.changes.deleted > 0 {
                    tally.unexpected += 1
                }
            } catch {
                tally.errors += 1
                if tally.firstError == nil { tally.firstError = "\(error)" }
            }
        }
        return tally
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
