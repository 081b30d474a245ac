@testable import ARPProxy
import XCTest

final class LogRateLimiterTests: XCTestCase {
    let start = ContinuousClock().now

    func testAllowsTheBudgetThenCountsAndReportsWhenTheWindowEnds() {
        var limiter = LogRateLimiter(linesPerInterval: 3, interval: .seconds(10))
        let verdicts = (0..<8).map { limiter.admit(now: start.advanced(by: .seconds($0))) }
        XCTAssertEqual(verdicts.map(\.log), [true, true, true, false, false, false, false, false])
        XCTAssertTrue(verdicts.allSatisfy { $0.suppressedBefore == nil })
        let next = limiter.admit(now: start.advanced(by: .seconds(10)))
        XCTAssertEqual(next, .init(log: true, suppressedBefore: 5))
    }

    func testFlushReportsAFinishedWindowOnceAndNothingForAQuietOne() {
        var limiter = LogRateLimiter(linesPerInterval: 1, interval: .seconds(5))
        XCTAssertNil(limiter.flush(now: start))
        _ = limiter.admit(now: start)
        _ = limiter.admit(now: start)
        _ = limiter.admit(now: start)
        XCTAssertNil(limiter.flush(now: start.advanced(by: .seconds(4))))
        XCTAssertEqual(limiter.flush(now: start.advanced(by: .seconds(5))), 2)
        XCTAssertNil(limiter.flush(now: start.advanced(by: .seconds(11))))
        XCTAssertEqual(limiter.admit(now: start.advanced(by: .seconds(12))), .init(log: true, suppressedBefore: nil))
    }

    func testZeroBudgetSuppressesEverythingButStillCounts() {
        var limiter = LogRateLimiter(linesPerInterval: 0, interval: .seconds(1))
        XCTAssertFalse(limiter.admit(now: start).log)
        XCTAssertFalse(limiter.admit(now: start).log)
        XCTAssertEqual(limiter.flush(now: start.advanced(by: .seconds(1))), 2)
    }
}
