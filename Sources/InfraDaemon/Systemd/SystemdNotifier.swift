import CSystemd

/// The sd_notify readiness protocol: tells systemd (through `$NOTIFY_SOCKET`) when the daemon
/// is ready, what it is doing, that it is stopping, and that it is still alive.
///
/// Every call is a no-op returning false when `$NOTIFY_SOCKET` is unset, so daemons call these
/// unconditionally whether or not they run under systemd with `Type=notify`.
public enum SystemdNotifier {
    /// `READY=1`, plus `STATUS=` when given: the daemon's listeners are up and it serves requests.
    @discardableResult
    public static func ready(status: String? = nil) -> Bool {
        var assignments = ["READY=1"]
        if let status { assignments.append("STATUS=\(singleLine(status))") }
        return notify(assignments)
    }

    /// `STOPPING=1`: graceful shutdown has begun, so systemd shows "deactivating".
    @discardableResult
    public static func stopping() -> Bool {
        notify(["STOPPING=1"])
    }

    /// `STATUS=`: a one-line free-form status shown by `systemctl status`.
    @discardableResult
    public static func status(_ text: String) -> Bool {
        notify(["STATUS=\(singleLine(text))"])
    }

    /// `WATCHDOG=1`: the daemon is alive; see ``WatchdogService``.
    @discardableResult
    public static func watchdogPing() -> Bool {
        notify(["WATCHDOG=1"])
    }

    /// How often to ping the watchdog: half of `$WATCHDOG_USEC`, as sd_watchdog_enabled(3)
    /// advises, or nil when no watchdog is configured for this process (including when
    /// `$WATCHDOG_PID` names another process).
    public static func watchdogInterval() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(clamping: microseconds / 2))
    }

    /// Sends raw `KEY=value` assignments in one datagram. True when systemd got them, false when
    /// there is no notify socket or sending failed.
    @discardableResult
    public static func notify(_ assignments: [String]) -> Bool {
        // sd_notify's first argument 0 keeps NOTIFY_SOCKET set, so later calls still work.
        sd_notify(0, assignments.joined(separator: "\n")) > 0
    }

    /// Values cannot hold newlines: the protocol is newline-separated, so a newline in a status
    /// would forge another assignment (`STATUS=x\nREADY=1`).
    private static func singleLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
