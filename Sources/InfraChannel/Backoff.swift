/// Capped exponential backoff with full jitter, for reconnect loops.
///
/// Full jitter (a uniform draw below the current ceiling) keeps many agents that lost the
/// same manager from reconnecting in lock-step when it comes back.
public struct Backoff: Sendable {
    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Double
    private var attempt = 0

    public init(initial: Duration = .milliseconds(200), maximum: Duration = .seconds(30), multiplier: Double = 2) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
    }

    /// The ceiling for the current attempt, before jitter.
    public var ceiling: Duration {
        let seconds = Self.seconds(initial) * pow(multiplier, Double(attempt))
        return .milliseconds(Int64(min(seconds, Self.seconds(maximum)) * 1000))
    }

    /// The delay to wait before the next attempt; each call raises the ceiling.
    public mutating func next<G: RandomNumberGenerator>(using generator: inout G) -> Duration {
        let limit = Self.seconds(ceiling)
        attempt += 1
        let drawn = Double.random(in: 0...1, using: &generator) * limit
        return .milliseconds(Int64(max(drawn, Self.seconds(initial) / 2) * 1000))
    }

    public mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }

    /// Starts over after a connection proved healthy.
    public mutating func reset() { attempt = 0 }

    private static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    private func pow(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(exponent) { result *= base; if result > 1e9 { break } }
        return result
    }
}
