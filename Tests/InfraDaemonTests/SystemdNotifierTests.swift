import Foundation
import XCTest
@testable import InfraDaemon

#if canImport(Glibc)
import Glibc
#endif

final class SystemdNotifierTests: XCTestCase {
    private var environment = EnvironmentOverride()

    override func tearDown() {
        environment.restore()
        super.tearDown()
    }

    private func listen() throws -> DatagramListener {
        let listener = try DatagramListener()
        environment.set("NOTIFY_SOCKET", listener.path)
        return listener
    }

    func testWithoutNotifySocketNothingIsSent() {
        environment.set("NOTIFY_SOCKET", nil)
        XCTAssertFalse(SystemdNotifier.ready(status: "x"))
        XCTAssertFalse(SystemdNotifier.watchdogPing())
    }

    func testReadyStatusStoppingAndWatchdogReachTheSocket() async throws {
        let listener = try listen()
        XCTAssertTrue(SystemdNotifier.ready(status: "serving on 127.0.0.1:7443"))
        let ready = await listener.receive()
        XCTAssertEqual(ready, "READY=1\nSTATUS=serving on 127.0.0.1:7443")
        XCTAssertTrue(SystemdNotifier.ready())
        let bare = await listener.receive()
        XCTAssertEqual(bare, "READY=1")
        XCTAssertTrue(SystemdNotifier.status("reconciling 3 pods"))
        let status = await listener.receive()
        XCTAssertEqual(status, "STATUS=reconciling 3 pods")
        XCTAssertTrue(SystemdNotifier.watchdogPing())
        let ping = await listener.receive()
        XCTAssertEqual(ping, "WATCHDOG=1")
        XCTAssertTrue(SystemdNotifier.stopping())
        let stopping = await listener.receive()
        XCTAssertEqual(stopping, "STOPPING=1")
    }

    func testStatusCannotInjectAssignments() async throws {
        let listener = try listen()
        SystemdNotifier.status("bad\nREADY=1")
        let message = await listener.receive()
        XCTAssertEqual(message, "STATUS=bad READY=1")
    }

    func testWatchdogIntervalIsHalfOfWatchdogUsecForThisProcess() {
        environment.set("WATCHDOG_USEC", "5000000")
        environment.set("WATCHDOG_PID", String(getpid()))
        XCTAssertEqual(SystemdNotifier.watchdogInterval(), .milliseconds(2500))
        environment.set("WATCHDOG_PID", nil)
        XCTAssertEqual(SystemdNotifier.watchdogInterval(), .milliseconds(2500), "no PID means this process")
        environment.set("WATCHDOG_PID", String(getppid()))
        XCTAssertNil(SystemdNotifier.watchdogInterval(), "the watchdog belongs to another process")
        environment.set("WATCHDOG_PID", nil)
        environment.set("WATCHDOG_USEC", nil)
        XCTAssertNil(SystemdNotifier.watchdogInterval())
    }

    func testWatchdogServicePingsUntilGracefulShutdown() async throws {
        let listener = try listen()
        let service = WatchdogService(interval: .milliseconds(20))
        let group = makeServiceGroup(services: [service], logger: .init(label: "test"))
        let running = Task { try await group.run() }
        for _ in 0..<3 {
            let ping = await listener.receive()
            XCTAssertEqual(ping, "WATCHDOG=1")
        }
        await group.triggerGracefulShutdown()
        try await running.value
        _ = await listener.drain()
        let late = await listener.receive(timeout: .milliseconds(100))
        XCTAssertNil(late, "no pings after shutdown")
    }

    func testWatchdogServiceWithoutWatchdogWaitsForShutdown() async throws {
        let listener = try listen()
        let service = WatchdogService(interval: nil)
        let group = makeServiceGroup(services: [service], logger: .init(label: "test"))
        let running = Task { try await group.run() }
        let ping = await listener.receive(timeout: .milliseconds(150))
        XCTAssertNil(ping)
        // Had run() returned, the group would have shut itself down already.
        await group.triggerGracefulShutdown()
        try await running.value
    }

    func testWatchdogServiceReadsIntervalFromEnvironment() {
        environment.set("WATCHDOG_USEC", "200000")
        environment.set("WATCHDOG_PID", String(getpid()))
        XCTAssertEqual(WatchdogService().interval, .milliseconds(100))
    }

    func testReadinessNotifierSendsReadyWhenMarkedThenStopping() async throws {
        let listener = try listen()
        let readiness = ReadinessNotifier(status: "manager up", manual: true)
        let group = makeServiceGroup(services: [readiness], logger: .init(label: "test"))
        let running = Task { try await group.run() }
        let early = await listener.receive(timeout: .milliseconds(100))
        XCTAssertNil(early, "READY=1 before markReady()")
        readiness.markReady()
        let ready = await listener.receive()
        XCTAssertEqual(ready, "READY=1\nSTATUS=manager up")
        await group.triggerGracefulShutdown()
        let stopping = await listener.receive()
        XCTAssertEqual(stopping, "STOPPING=1")
        try await running.value
    }

    func testReadinessNotifierShutdownBeforeReadySendsOnlyStopping() async throws {
        let listener = try listen()
        let readiness = ReadinessNotifier(manual: true)
        let group = makeServiceGroup(services: [readiness], logger: .init(label: "test"))
        let running = Task { try await group.run() }
        try await Task.sleep(for: .milliseconds(50))
        await group.triggerGracefulShutdown()
        try await running.value
        let messages = await listener.drain()
        XCTAssertEqual(messages, ["STOPPING=1"])
    }
}
