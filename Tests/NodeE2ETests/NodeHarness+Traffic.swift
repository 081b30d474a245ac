import Foundation

/// Traffic from a pod with pod_peer.py's clients, one line per attempt, parsed.
extension NodeHarness {
    /// One attempt: the server's reply (its pod name) and the address the reply came from, or
    /// why it failed ("TimeoutError", "ConnectionRefusedError").
    struct Attempt: Sendable, CustomStringConvertible {
        var reply: String?
        var peer: String?
        var failure: String?
        var description: String { failure.map { "fail \($0)" } ?? "ok \(reply ?? "") \(peer ?? "")" }
    }

    /// `count` TCP connections from pod `from` to `host:port`, each from a new source port.
    func tcp(from: String, to host: String, port: Int, count: Int = 1, timeout: Double = 2) throws -> [Attempt] {
        try attempts("tcp", from: from, host: host, port: port, count: count, timeout: timeout)
    }

    /// `count` UDP request/replies from pod `from` to `host:port`, each from a new socket.
    func udp(from: String, to host: String, port: Int, count: Int = 1, timeout: Double = 2) throws -> [Attempt] {
        try attempts("udp", from: from, host: host, port: port, count: count, timeout: timeout)
    }

    private func attempts(_ mode: String, from: String, host: String, port: Int, count: Int, timeout: Double) throws -> [Attempt] {
        let result = try run(in: from, ["python3", Self.peerScript, mode, host, String(port), String(count), String(timeout)],
                             timeout: Double(count) * (timeout + 1) + 10)
        guard result.succeeded, result.lines.count == count else {
            throw NodeHarnessError("pod_peer.py \(mode) from \(from) to \(host):\(port) did not finish: \(result)")
        }
        return result.lines.map { line in
            let fields = line.split(separator: " ").map(String.init)
            return fields.first == "ok" && fields.count == 3
                ? Attempt(reply: fields[1], peer: fields[2])
                : Attempt(failure: fields.dropFirst().joined(separator: " "))
        }
    }
}
