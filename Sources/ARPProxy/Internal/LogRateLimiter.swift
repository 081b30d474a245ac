/// Bounds how many log lines a noisy source may write: at most `linesPerInterval` per fixed
/// window of `interval`; the lines held back are counted and reported once the window ends.
///
/// Pure and clock-free: callers pass the current instant, so tests drive it directly.
struct LogRateLimiter: Sendable {
    let linesPerInterval: Int
    let interval: Duration
    private var windowStart: ContinuousClock.Instant?
    private var linesInWindow = 0
    private(set) var suppressedInWindow = 0

    init(linesPerInterval: Int, interval: Duration) {
        precondition(linesPerInterval >= 0 && interval > .zero)
        self.linesPerInterval = linesPerInterval
        self.interval = interval
    }

    struct Verdict: Equatable, Sendable {
        /// Write this line.
        var log: Bool
        /// Lines held back in the window that just ended; report them before anything else.
        var suppressedBefore: Int?
    }

    /// A line wants to be written at `now`.
    mutating func admit(now: ContinuousClock.Instant) -> Verdict {
        let summary = roll(now: now)
        if linesInWindow < linesPerInterval {
            linesInWindow += 1
            return Verdict(log: true, suppressedBefore: summary)
        }
        suppressedInWindow += 1
        return Verdict(log: false, suppressedBefore: summary)
    }

    /// Called when nothing is happening: ends a finished window and returns what it held back
    /// (nil when nothing was), so a burst's count is reported even if no frame follows it.
    mutating func flush(now: ContinuousClock.Instant) -> Int? {
        guard windowStart != nil else { return nil }
        return roll(now: now)
    }

    private mutating func roll(now: ContinuousClock.Instant) -> Int? {
        guard let start = windowStart else {
            windowStart = now
            return nil
        }
        guard now - start >= interval else { return nil }
        let held = suppressedInWindow
        windowStart = now
        linesInWindow = 0
        suppressedInWindow = 0
        return held > 0 ? held : nil
    }
}
