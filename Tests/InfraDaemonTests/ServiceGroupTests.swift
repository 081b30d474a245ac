import Logging
import Prometheus
import ServiceLifecycle
import Synchronization
import XCTest
@testable import InfraDaemon

final class ServiceGroupTests: XCTestCase {
    /// Records how it was stopped: by graceful shutdown, or by cancellation.
    private final class Outcome: Sendable {
        let value = Mutex<String?>(nil)
    }

    private struct Waiter: Service {
        let outcome = Outcome()
        func run() async throws {
            do {
                try await gracefulShutdown()
                outcome.value.withLock { $0 = "graceful" }
            } catch {
                outcome.value.withLock { $0 = "cancelled" }
            }
        }
    }

    private struct ReturnsAtOnce: Service {
        func run() async throws {}
    }

    private struct Fails: Service {
        struct Failure: Error {}
        func run() async throws { throw Failure() }
    }

    func testAServiceReturningEarlyShutsTheOthersDownGracefully() async throws {
        let waiter = Waiter()
        let group = makeServiceGroup(services: [waiter, ReturnsAtOnce()], logger: Logger(label: "test"))
        try await group.run()
        XCTAssertEqual(waiter.outcome.value.withLock { $0 }, "graceful")
    }

    func testAFailingServiceShutsTheOthersDownGracefullyAndTheErrorSurfaces() async throws {
        let waiter = Waiter()
        let group = makeServiceGroup(services: [waiter, Fails()], logger: Logger(label: "test"))
        do {
            try await group.run()
            XCTFail("the failure was swallowed")
        } catch {
            XCTAssertTrue("\(error)".contains("Failure"), "\(error)")
        }
        XCTAssertEqual(waiter.outcome.value.withLock { $0 }, "graceful")
    }

    /// The whole daemon shape: metrics endpoint, readiness gated on its bind, watchdog.
    func testReadinessWaitsForListenersAndStoppingFollowsShutdown() async throws {
        var environment = EnvironmentOverride()
        defer { environment.restore() }
        let listener = try DatagramListener()
        environment.set("NOTIFY_SOCKET", listener.path)
        let endpoint = MetricsEndpoint(port: 0, registry: PrometheusCollectorRegistry(), logger: Logger(label: "test"))
        let readiness = ReadinessNotifier(status: "ready") { _ = try await endpoint.boundPort() }
        let group = makeServiceGroup(services: [endpoint, readiness, WatchdogService(interval: nil)],
                                     logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        let ready = await listener.receive()
        XCTAssertEqual(ready, "READY=1\nSTATUS=ready")
        let port = try await endpoint.boundPort()
        XCTAssertEqual(try HTTPTestClient.get(port: port, path: "/metrics").status, 200, "ready means serving")
        await group.triggerGracefulShutdown()
        let stopping = await listener.receive()
        XCTAssertEqual(stopping, "STOPPING=1")
        try await running.value
    }
}
