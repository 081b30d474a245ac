import Foundation
import Histogram

/// One concurrency level's figures, in the line format both benchmark clients print.
struct BenchResult: Sendable {
    let concurrency: Int
    let elapsed: Duration
    let tally: WorkerTally

    var calls: UInt64 { tally.histogram.totalCount }
    var errors: Int { tally.errors }

    var seconds: Double { Double(elapsed.nanoseconds) / 1e9 }
    var callsPerSecond: Double { seconds > 0 ? Double(calls) / seconds : 0 }

    func micros(atPercentile percentile: Double) -> Double {
        Double(tally.histogram.valueAtPercentile(percentile)) / 1_000
    }

    /// The fields, in a fixed order, as `"key":value` JSON members.
    var fields: [(String, String)] {
        [
            ("client", "\"swift\""),
            ("stack", "\"grpc-swift-2 2.4.3, grpc-swift-nio-transport 2.9.2\""),
            ("method", "\"infra.v1.InfraManager/CreatePodNetwork\""),
            ("concurrency", "\(concurrency)"),
            ("calls", "\(calls)"),
            ("errors", "\(errors)"),
            ("unexpected", "\(tally.unexpected)"),
            ("elapsed_s", Self.number(seconds, digits: 3)),
            ("calls_per_s", Self.number(callsPerSecond, digits: 1)),
            ("mean_us", Self.number(calls > 0 ? tally.histogram.mean / 1_000 : 0, digits: 1)),
            ("p50_us", Self.number(micros(atPercentile: 50), digits: 1)),
            ("p99_us", Self.number(micros(atPercentile: 99), digits: 1)),
            ("p999_us", Self.number(micros(atPercentile: 99.9), digits: 1)),
            ("max_us", Self.number(Double(tally.histogram.max) / 1_000, digits: 1)),
        ]
    }

    var jsonLine: String {
        "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    var summaryLine: String {
        "swift concurrency=\(concurrency): \(calls) calls in \(Self.number(seconds, digits: 2)) s = "
            + "\(Self.number(callsPerSecond, digits: 0)) calls/s; p50 \(Self.number(micros(atPercentile: 50), digits: 0)) µs, "
            + "p99 \(Self.number(micros(atPercentile: 99), digits: 0)) µs, p99.9 \(Self.number(micros(atPercentile: 99.9), digits: 0)) µs"
            + (errors > 0 ? "; \(errors) errors, first: \(tally.firstError ?? "?")" : "")
    }

    static func number(_ value: Double, digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }
}
