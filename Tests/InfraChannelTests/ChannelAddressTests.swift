import InfraChannel
import XCTest

final class ChannelAddressTests: XCTestCase {
    func testParsesEveryForm() throws {
        XCTAssertEqual(try ChannelAddress(parsing: "127.0.0.1:50002").description, "127.0.0.1:50002")
        XCTAssertEqual(try ChannelAddress(parsing: "[::1]:50002").description, "[::1]:50002")
        XCTAssertEqual(try ChannelAddress(parsing: "manager.kube-system.svc:443").description, "manager.kube-system.svc:443")
        XCTAssertEqual(try ChannelAddress(parsing: "unix:/run/infra/manager.sock").description, "unix:/run/infra/manager.sock")
    }

    func testRejectsWithTheOffendingText() {
        for bad in ["127.0.0.1", "127.0.0.1:70000", "::1:50002", "unix:relative", "host name:1", "[::1]50002", ":80"] {
            XCTAssertThrowsError(try ChannelAddress(parsing: bad), bad) { error in
                XCTAssertTrue("\(error)".contains(bad), "\(error) should name \(bad)")
            }
        }
    }
}

final class BackoffTests: XCTestCase {
    func testGrowsToTheCapAndResets() {
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2))
        var generator = SeededGenerator(seed: 1)
        var ceilings: [Duration] = []
        for _ in 0..<8 {
            ceilings.append(backoff.ceiling)
            let delay = backoff.next(using: &generator)
            XCTAssertLessThanOrEqual(delay, .seconds(2))
            XCTAssertGreaterThanOrEqual(delay, .milliseconds(50))
        }
        XCTAssertEqual(ceilings.first, .milliseconds(100))
        XCTAssertEqual(ceilings.last, .seconds(2), "the ceiling must stop at the cap")
        XCTAssertEqual(ceilings, ceilings.sorted(), "the ceiling never shrinks before a reset")
        backoff.reset()
        XCTAssertEqual(backoff.ceiling, .milliseconds(100))
    }
}
