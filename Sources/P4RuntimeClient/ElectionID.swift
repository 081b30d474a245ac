import Foundation
import P4RuntimeAPI

/// A P4Runtime election id: an unsigned 128-bit number, compared `high` first (§5, §16.2).
///
/// The server makes primary the stream whose id is at least the highest it has ever seen for
/// the device and role, and never lowers that mark while it runs. A restarted infra-manager
/// must therefore come back with an id at least as high as its previous instance's, or it stays
/// backup until infrap4d restarts. Our choice (`ElectionID.forStartup(stateFile:)`):
///
/// - `high` = Unix seconds, `low` = nanoseconds within the second at start-up, so a later start
///   outranks an earlier one even when nothing was persisted (first boot, lost state);
/// - the last id handed out is persisted, and a new one is always greater than it, so a wall
///   clock that stepped backwards (no RTC, NTP correction) cannot demote a restarted manager.
///
/// It deliberately does not coordinate two managers running at once (an HA pair): both would
/// pick "now", and the later one wins. That needs an explicit id per instance.
public struct ElectionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64 = 0, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init(_ proto: P4_V1_Uint128) { self.init(high: proto.high, low: proto.low) }

    public var proto: P4_V1_Uint128 { .with { $0.high = high; $0.low = low } }

    public static func < (lhs: ElectionID, rhs: ElectionID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    public var description: String { high == 0 ? "\(low)" : "\(high):\(low)" }

    /// The id after this one (carrying into `high`).
    public var successor: ElectionID {
        low == .max ? ElectionID(high: high &+ 1, low: 0) : ElectionID(high: high, low: low + 1)
    }

    /// The wall-clock id for `date`: seconds since 1970 high, nanoseconds low.
    public static func wallClock(_ date: Date = Date()) -> ElectionID {
        let seconds = max(0, date.timeIntervalSince1970)
        let whole = seconds.rounded(.down)
        return ElectionID(high: UInt64(whole), low: UInt64((seconds - whole) * 1e9))
    }

    /// A start-up id above both the wall clock and the last id persisted in `stateFile`, which
    /// is then updated (atomically, by rename) before the id is used.
    public static func forStartup(stateFile: String, now: Date = Date()) throws -> ElectionID {
        var id = wallClock(now)
        if let data = FileManager.default.contents(atPath: stateFile),
           let previous = parse(String(decoding: data, as: UTF8.self)), previous >= id {
            id = previous.successor
        }
        do {
            try Data("\(id.high) \(id.low)\n".utf8).write(to: URL(fileURLWithPath: stateFile), options: .atomic)
        } catch {
            throw P4RuntimeError(.electionIDNotPersisted, "cannot persist the election id to \(stateFile): \(error)")
        }
        return id
    }

    static func parse(_ text: String) -> ElectionID? {
        let parts = text.split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, let high = UInt64(parts[0]), let low = UInt64(parts[1]) else { return nil }
        return ElectionID(high: high, low: low)
    }
}
