import Metrics
import Prometheus

/// Installs Prometheus as the swift-metrics backend.
public enum MetricsBootstrap {
    /// Histogram buckets for RPC and request latencies, 50 µs to 10 s.
    ///
    /// swift-prometheus's defaults start at 5 ms, which puts every local gRPC call (hundreds of
    /// microseconds here) into the first bucket and hides regressions.
    public static let rpcDurationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// swift-metrics may be bootstrapped once per process; a `static let` runs this exactly once
    /// even when tests or two code paths ask concurrently.
    private static let shared: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(makeFactory(registry: registry))
        return registry
    }()

    /// Bootstraps swift-metrics on the first call; every call returns the same registry, which
    /// ``MetricsEndpoint`` serves. `Counter`, `Timer`, `Gauge` and `Recorder` created through
    /// swift-metrics afterwards land in it.
    @discardableResult
    public static func bootstrap() -> PrometheusCollectorRegistry {
        shared
    }

    /// The factory `bootstrap()` installs: `registry` plus ``rpcDurationBuckets`` for timers.
    public static func makeFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = rpcDurationBuckets
        return factory
    }
}
