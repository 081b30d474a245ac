import Foundation

/// Traffic that runs through a fault: Peers/fault_probe.py's held TCP connection, echo server
/// and UDP probe, started in a pod as children that write one timestamped line per event.
extension NodeHarness {
    static let faultProbeScript = repoRoot.appendingPathComponent("Tests/NodeE2ETests/Peers/fault_probe.py").path

    /// Starts `fault_probe.py mode arguments…` in pod `name` and returns at once; a probe ends
    /// by itself, a server at `stopProbes` or the node's tearDown (which kills whatever runs in
    /// its namespaces).
    @discardableResult
    func startFaultProbe(in name: String, _ mode: String, _ arguments: [String]) throws -> Process {
        let log = "\(directory)/fault-\(name)-\(mode)-\(UUID().uuidString.prefix(6)).log"
        return try Command.spawn(["ip", "netns", "exec", try pod(name).namespace, "python3", Self.faultProbeScript, mode] + arguments,
                                 stdout: log, stderr: log)
    }

    /// A file in the node's directory for a probe's events.
    func probeOutput(_ name: String) -> String { "\(directory)/\(name)-\(UUID().uuidString.prefix(6)).probe" }
}

/// What a probe file says.
enum ProbeLog {
    static func fields(_ path: String) -> [[Substring]] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { $0.split(separator: " ") }
    }

    /// When UDP replies arrived (seconds since 1970).
    static func replyTimes(_ path: String) -> [Double] {
        fields(path).compactMap { $0.first == "reply" && $0.count == 2 ? Double($0[1]) : nil }
    }

    /// When a held TCP connection's echoes arrived, and how it broke if it did.
    static func echoes(_ path: String) -> (times: [Double], broken: String?) {
        let all = fields(path)
        let times = all.compactMap { $0.first == "echo" && $0.count == 3 ? Double($0[2]) : nil }
        return (times, all.first { $0.first == "broken" }.map { $0.joined(separator: " ") })
    }

    static func isDone(_ path: String) -> Bool { fields(path).contains { $0.first == "done" || $0.first == "broken" } }

    /// The longest silence within [from, to] given event times: from `from` to the first event,
    /// between events, and from the last to `to`.
    static func longestGap(_ times: [Double], from: Double, to: Double) -> Double {
        let points = [from] + times.filter { $0 > from && $0 < to } + [to]
        return zip(points, points.dropFirst()).map { $1 - $0 }.max() ?? 0
    }
}

/// The first line of a daemon's log containing `text` logged at or after `after`, with its
/// wall-clock time (seconds since 1970): the daemons log UTC timestamps with milliseconds
/// (`2026-12-07T16:31:18.120Z info …`).
func logLine(_ text: String, in log: String, after: Double = 0) -> (time: Double, line: String)? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    for line in log.split(separator: "\n") where line.contains(text) {
        guard let stamp = line.split(separator: " ").first, let date = formatter.date(from: String(stamp)) else { continue }
        if date.timeIntervalSince1970 >= after { return (date.timeIntervalSince1970, String(line)) }
    }
    return nil
}

/// When `text` was first logged at or after `after`.
func logTime(of text: String, in log: String, after: Double = 0) -> Double? {
    logLine(text, in: log, after: after)?.time
}
