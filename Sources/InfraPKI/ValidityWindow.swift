import Foundation

/// The notBefore/notAfter pair of a certificate.
///
/// Both ends are truncated to whole seconds because X.509 times carry no fractions; keeping
/// them exact makes a freshly issued certificate compare equal to the window it came from.
public struct ValidityWindow: Hashable, Sendable {
    public var notBefore: Date
    public var notAfter: Date

    public init(notBefore: Date, notAfter: Date) {
        self.notBefore = Self.wholeSeconds(notBefore)
        self.notAfter = Self.wholeSeconds(notAfter)
    }

    /// A window of `lifetimeSeconds` from `start`, with notBefore moved back by
    /// `backdateSeconds` so that peers whose clocks lag a little still accept the certificate.
    public static func starting(
        at start: Date = Date(), lifetimeSeconds: TimeInterval, backdateSeconds: TimeInterval = 300
    ) -> Self {
        Self(notBefore: start - backdateSeconds, notAfter: start + lifetimeSeconds)
    }

    /// Convenience for the day-based lifetimes profiles use.
    public static func days(_ days: Int, from start: Date = Date()) -> Self {
        starting(at: start, lifetimeSeconds: TimeInterval(days) * secondsPerDay)
    }

    public static let secondsPerDay: TimeInterval = 86_400

    public var lifetime: TimeInterval { notAfter.timeIntervalSince(notBefore) }

    public func contains(_ date: Date) -> Bool { date >= notBefore && date <= notAfter }

    /// The moment from which a certificate should be renewed: the last `fraction` of its life.
    public func renewalStart(fraction: Double) -> Date {
        notAfter - lifetime * fraction
    }

    func validate(field: String) throws {
        guard notAfter > notBefore else {
            throw PKIError(.invalidArgument, "\(field): notAfter \(notAfter) is not after notBefore \(notBefore)")
        }
    }

    private static func wholeSeconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }
}
