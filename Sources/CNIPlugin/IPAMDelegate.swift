import CNISpec
import Foundation

/// Runs the configured IPAM plugin the way a runtime runs a plugin: the same environment
/// (CNI_COMMAND replaced), the network config on stdin, its result or error object on stdout.
public struct IPAMDelegate: Sendable {
    public var type: String
    public var environment: CNIEnvironment
    public var timeout: Duration

    public init(type: String, environment: CNIEnvironment, timeout: Duration) {
        self.type = type
        self.environment = environment
        self.timeout = timeout
    }

    /// The plugin's path: the first CNI_PATH directory that has an executable named `type`.
    public func executable() throws(CNIError) -> String {
        guard !type.isEmpty, !type.contains("/"), type != ".", type != ".." else {
            throw CNIError(.invalidNetworkConfig, "ipam.type \"\(type)\" is not a plugin name")
        }
        for directory in environment.path {
            let candidate = (directory as NSString).appendingPathComponent(type)
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw CNIError(.ipamFailed, "IPAM plugin \"\(type)\" not found", details: "looked in CNI_PATH \(environment.path.joined(separator: ":"))")
    }

    /// Runs `command` with `config`. Retries once at the newest version the plugin supports
    /// when it refuses `config.cniVersion` (code 1), e.g. a 1.0.0 host-local asked in 1.1.0.
    /// Returns the plugin's stdout (a result, or empty for DEL/CHECK/GC/STATUS).
    @discardableResult
    public func run(_ command: CNICommand, config: NetworkConfig) throws(CNIError) -> JSONValue? {
        do {
            return try exec(command, stdin: config.serialized())
        } catch let error where error.code == .incompatibleVersion {
            let supported = try supportedVersions(asking: config.cniVersion)
            guard let fallback = CNIVersion.best(of: supported, notNewerThan: config.cniVersion), fallback != config.cniVersion else {
                throw error
            }
            return try exec(command, stdin: config.serialized(cniVersion: fallback))
        }
    }

    /// The plugin's VERSION answer.
    public func supportedVersions(asking version: String) throws(CNIError) -> [String] {
        let stdin = JSONValue.object(["cniVersion": .string(version)]).serialized()
        let answer = try exec(.version, stdin: stdin)
        return answer?["supportedVersions"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// Whether the plugin speaks spec 1.1 (STATUS and GC).
    public func supportsSpec11(asking version: String) -> Bool {
        ((try? supportedVersions(asking: version)) ?? []).contains { !CNIVersion.isOlder($0, than: "1.1.0") }
    }

    func exec(_ command: CNICommand, stdin: Data) throws(CNIError) -> JSONValue? {
        let path = try executable()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        var env = environment.raw
        env["CNI_COMMAND"] = command.rawValue
        process.environment = env
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw CNIError(.ipamFailed, "cannot run IPAM plugin \(path)", details: "\(error)")
        }
        // The deadline: a plugin that does not finish in time is killed, so nothing hangs.
        let timedOut = TimeoutFlag()
        let pid = process.processIdentifier
        let killer = DispatchWorkItem {
            timedOut.set()
            kill(pid, SIGKILL)
        }
        let (seconds, attoseconds) = timeout.components
        DispatchQueue.global().asyncAfter(deadline: .now() + Double(seconds) + Double(attoseconds) / 1e18, execute: killer)
        input.fileHandleForWriting.write(stdin)
        try? input.fileHandleForWriting.close()
        // stderr is drained concurrently so a chatty plugin cannot block on a full pipe.
        let stderrBox = DataBox()
        let stderrDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            stderrBox.set(errors.fileHandleForReading.readDataToEndOfFile())
            stderrDone.signal()
        }
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        stderrDone.wait()
        if timedOut.isSet {
            throw CNIError(.tryAgainLater, "IPAM plugin \(type) \(command.rawValue) did not finish within \(timeout)")
        }
        let text = String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let parsed = text.isEmpty ? nil : try? JSONValue.parse(Data(text.utf8))
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            if let parsed, let error = CNIError(json: parsed) {
                throw CNIError(error.code, "IPAM plugin \(type): \(error.msg)", details: error.details)
            }
            let stderrText = String(decoding: stderrBox.get(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw CNIError(
                .ipamFailed, "IPAM plugin \(type) \(command.rawValue) failed (status \(process.terminationStatus))",
                details: [text, stderrText].filter { !$0.isEmpty }.joined(separator: "; ")
            )
        }
        if !text.isEmpty, parsed == nil {
            throw CNIError(.decodeFailure, "IPAM plugin \(type) printed output that is not JSON", details: text)
        }
        return parsed
    }
}

final class TimeoutFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ new: Data) { lock.withLock { data = new } }
    func get() -> Data { lock.withLock { data } }
}
