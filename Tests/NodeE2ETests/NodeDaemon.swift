import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One daemon of the node as a child process that a test can stop (SIGTERM), kill (SIGKILL)
/// and start again with the same arguments. Each start writes a log file of its own
/// (`<name>-<n>.log` in the node's directory) and waits until that log shows the daemon's
/// readiness line, so `log` is always the current run's and earlier runs stay for diagnosis.
final class NodeDaemon: @unchecked Sendable {
    let name: String
    let arguments: [String]
    /// A line the daemon logs once it serves; `start()` waits for it.
    let readyLine: String
    let readyTimeout: Double
    private let directory: String
    private let lock = NSLock()
    private var process: Process?
    private var starts = 0

    init(name: String, arguments: [String], readyLine: String, readyTimeout: Double, directory: String) {
        self.name = name
        self.arguments = arguments
        self.readyLine = readyLine
        self.readyTimeout = readyTimeout
        self.directory = directory
    }

    /// The current (or last) run's log file.
    var logPath: String { lock.withLock { "\(directory)/\(name)-\(starts).log" } }
    /// The current (or last) run's log.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    var isRunning: Bool { lock.withLock { process?.isRunning ?? false } }
    var pid: Int32? { lock.withLock { process.flatMap { $0.isRunning ? $0.processIdentifier : nil } } }
    /// How many times the daemon was started.
    var startCount: Int { lock.withLock { starts } }

    /// Starts the daemon and waits for its readiness line; throws with the log if it exits or
    /// does not get ready in time (and then leaves it stopped).
    func start() throws {
        guard !isRunning else { throw NodeHarnessError("\(name) is already running") }
        let path = lock.withLock { () -> String in
            starts += 1
            return "\(directory)/\(name)-\(starts).log"
        }
        let started = try Command.spawn(arguments, stdout: path, stderr: path)
        lock.withLock { process = started }
        let ready = Command.waitUntil(timeout: readyTimeout) { !started.isRunning || log.contains(readyLine) }
        guard ready, started.isRunning else {
            stop()
            let why = started.isRunning ? "did not log \"\(readyLine)\" within \(readyTimeout) s" : "exited (\(started.terminationStatus))"
            throw NodeHarnessError("\(name) \(why); its log:\n\(log)")
        }
    }

    /// SIGTERM and wait for the exit: the graceful path. Returns the exit status (nil if it
    /// was not running). A daemon that ignores SIGTERM for 20 s is killed.
    @discardableResult
    func stop() -> Int32? {
        signal(SIGTERM, grace: 20)
    }

    /// SIGKILL and wait: a crash. Returns the termination status (nil if it was not running).
    @discardableResult
    func kill() -> Int32? {
        signal(SIGKILL, grace: 0)
    }

    /// Waits until the current run's log holds `text` at least `occurrences` times (e.g. the
    /// manager's second "P4Runtime target ready" after infra-p4-dpdk restarted); false if
    /// `timeout` seconds pass first.
    func waitForLog(_ text: String, occurrences: Int = 1, timeout: Double) -> Bool {
        Command.waitUntil(timeout: timeout) { log.components(separatedBy: text).count - 1 >= occurrences }
    }

    /// Stops it (SIGTERM, or SIGKILL when `crash` is set), then starts it and waits until it
    /// is ready again.
    func restart(crash: Bool = false) throws {
        if crash { kill() } else { stop() }
        try start()
    }

    private func signal(_ number: Int32, grace: Double) -> Int32? {
        guard let running = lock.withLock({ process }), running.isRunning else { return nil }
        Glibc.kill(running.processIdentifier, number)
        if !Command.waitUntil(timeout: grace, { !running.isRunning }) {
            Glibc.kill(running.processIdentifier, SIGKILL)
        }
        running.waitUntilExit()
        return running.terminationStatus
    }
}
