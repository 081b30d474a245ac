import Foundation
import Logging
import Metrics
import Prometheus
import XCTest
@testable import InfraDaemon

final class MetricsEndpointTests: XCTestCase {
    /// Runs an endpoint on 127.0.0.1 port 0 in a daemon ServiceGroup for the duration of `body`.
    private func withEndpoint(
        registry: PrometheusCollectorRegistry,
        _ body: (Int) async throws -> Void
    ) async throws {
        let endpoint = MetricsEndpoint(host: "127.0.0.1", port: 0, registry: registry, logger: Logger(label: "test"))
        let group = makeServiceGroup(services: [endpoint], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        do {
            let port = try await endpoint.boundPort()
            XCTAssertGreaterThan(port, 0)
            try await body(port)
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running.value
    }

    func testBootstrapIsIdempotentAndFeedsSwiftMetricsIntoTheRegistry() async throws {
        let registry = MetricsBootstrap.bootstrap()
        XCTAssertTrue(MetricsBootstrap.bootstrap() === registry)

        Counter(label: "infra_test_requests_total", dimensions: [("method", "get")]).increment(by: 3)
        let timer = Metrics.Timer(label: "infra_test_rpc_duration_seconds")
        timer.recordNanoseconds(300_000)  // 300 µs: lands in the 500 µs bucket, not the 250 µs one
        timer.recordNanoseconds(3_000_000_000)

        try await withEndpoint(registry: registry) { port in
            let response = try HTTPTestClient.get(port: port, path: "/metrics")
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
            let lines = Set(response.body.split(separator: "\n").map(String.init))
            XCTAssertTrue(lines.contains(#"infra_test_requests_total{method="get"} 3"#), response.body)
            XCTAssertTrue(lines.contains(#"infra_test_rpc_duration_seconds_bucket{le="0.00005"} 0"#), response.body)
            XCTAssertTrue(lines.contains(#"infra_test_rpc_duration_seconds_bucket{le="0.00025"} 0"#), response.body)
            XCTAssertTrue(lines.contains(#"infra_test_rpc_duration_seconds_bucket{le="0.0005"} 1"#), response.body)
            XCTAssertTrue(lines.contains(#"infra_test_rpc_duration_seconds_bucket{le="5.0"} 2"#), response.body)
            XCTAssertTrue(lines.contains(#"infra_test_rpc_duration_seconds_bucket{le="+Inf"} 2"#), response.body)
            XCTAssertTrue(lines.contains("infra_test_rpc_duration_seconds_count 2"), response.body)
        }
    }

    func testOtherPathsAre404AndOtherMethods405() async throws {
        let registry = PrometheusCollectorRegistry()
        try await withEndpoint(registry: registry) { port in
            let missing = try HTTPTestClient.get(port: port, path: "/")
            XCTAssertEqual(missing.status, 404)
            let nested = try HTTPTestClient.get(port: port, path: "/metrics/extra")
            XCTAssertEqual(nested.status, 404)
            let post = try HTTPTestClient.request(port: port, method: "POST", path: "/metrics")
            XCTAssertEqual(post.status, 405)
            XCTAssertEqual(post.headers["allow"], "GET")
            let withQuery = try HTTPTestClient.get(port: port, path: "/metrics?name[]=x")
            XCTAssertEqual(withQuery.status, 200)
        }
    }

    func testKeepAliveServesSeveralRequestsOnOneConnection() async throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "infra", subsystem: "test", metricName: "queue", unitName: "depth", helpText: "")).set(7.0)
        try await withEndpoint(registry: registry) { port in
            let keepAlive = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
            let last = "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            let responses = try HTTPTestClient.exchange(port: port, requests: [keepAlive, keepAlive, last])
            XCTAssertEqual(responses.map(\.status), [200, 200, 404])
            XCTAssertTrue(responses[1].body.contains("infra_test_queue_depth 7"), responses[1].body)
        }
    }

    func testBindFailureIsReportedByBoundPort() async throws {
        let registry = PrometheusCollectorRegistry()
        try await withEndpoint(registry: registry) { port in
            let clash = MetricsEndpoint(port: port, registry: registry, logger: Logger(label: "test"))
            do {
                try await clash.run()
                XCTFail("binding a used port succeeded")
            } catch {}
            do {
                _ = try await clash.boundPort()
                XCTFail("boundPort() returned after a failed bind")
            } catch {}
        }
    }

    func testStopsListeningOnGracefulShutdown() async throws {
        let registry = PrometheusCollectorRegistry()
        var usedPort = 0
        try await withEndpoint(registry: registry) { port in usedPort = port }
        XCTAssertThrowsError(try HTTPTestClient.get(port: usedPort, path: "/metrics"))
    }

    func testRPCBucketsSpan50MicrosecondsTo10Seconds() {
        let buckets = MetricsBootstrap.rpcDurationBuckets
        XCTAssertEqual(buckets.first, .microseconds(50))
        XCTAssertEqual(buckets.last, .seconds(10))
        XCTAssertEqual(buckets, buckets.sorted())
        XCTAssertEqual(MetricsBootstrap.makeFactory(registry: PrometheusCollectorRegistry()).defaultDurationHistogramBuckets, buckets)
    }
}
