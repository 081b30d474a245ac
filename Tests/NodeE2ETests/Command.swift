import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a command ended: exit status and what it printed (stdout then stderr).
struct CommandResult: Sendable, CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    var succeeded: Bool { status == 0 }
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

struct NodeHarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Child processes for the node harness. Every child is spawned from a short-lived thread of
/// its own whose signal mask is empty: a child inherits the spawning thread's mask, and
/// Dispatch's and the concurrency pool's threads block signals that ping's timer, arping and
/// the daemons' SIGTERM handling need. Output goes to files, read after the exit, so a
/// grandchild that keeps a pipe open (a server started in a pod) cannot hang a read.
enum Command {
    /// Runs `arguments` (looked up in PATH) to its end; a child still running after `timeout`
    /// seconds is killed (a bound against a hang, not a timing assertion).
    static func run(_ arguments: [String], stdin: String = "", environment: [String: String]? = nil,
                    timeout: Double = 60) throws -> CommandResult {
        let base = NSTemporaryDirectory() + "e2e-cmd-\(getpid())-\(UUID().uuidString.prefix(8))"
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let process = try spawn(arguments, stdout: base + ".out", stderr: base + ".err", environment: environment, stdin: stdin)
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [process] in
            if process.isRunning { kill(pid, SIGKILL) }
        }
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        )
    }

    /// Runs `arguments` and throws, with everything it printed, unless it exits 0.
    @discardableResult
    static func check(_ arguments: [String], stdin: String = "", timeout: Double = 60) throws -> String {
        let result = try run(arguments, stdin: stdin, timeout: timeout)
        guard result.succeeded else {
            throw NodeHarnessError("`\(arguments.joined(separator: " "))` failed: \(result)")
        }
        return result.stdout
    }

    /// Starts `arguments` with stdout and stderr appended to the files given (the same path for
    /// both is fine) and returns at once.
    static func spawn(_ arguments: [String], stdout: String, stderr: String, environment: [String: String]? = nil,
                      stdin: String? = nil) throws -> Process {
        for path in Set([stdout, stderr]) where !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
        output.seekToEndOfFile()
        let errors = stderr == stdout ? output : try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
        errors.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = errors
        let input = stdin.map { _ in Pipe() }
        if let input { process.standardInput = input } else { process.standardInput = FileHandle.nullDevice }
        let failure = SpawnFailure()
        let done = DispatchSemaphore(value: 0)
        Thread {
            var none = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, nil)
            do { try process.run() } catch { failure.error = error }
            done.signal()
        }.start()
        done.wait()
        try? output.close()
        if stderr != stdout { try? errors.close() }
        if let failure = failure.error { throw NodeHarnessError("cannot start `\(arguments.joined(separator: " "))`: \(failure)") }
        if let input, let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try? input.fileHandleForWriting.close()
        }
        return process
    }

    /// Polls `condition` every 100 ms until it holds or `timeout` seconds pass.
    static func waitUntil(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        } while Date() < deadline
        return try condition()
    }
}

/// The spawning thread's error, read after the semaphore it signals (which orders the accesses).
private final class SpawnFailure: @unchecked Sendable {
    var error: Error?
}
