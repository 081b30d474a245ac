import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A bound AF_UNIX SOCK_DGRAM socket standing in for systemd's notify socket or journald's
/// socket: tests point NOTIFY_SOCKET at it and read what libsystemd really sent.
final class DatagramListener: @unchecked Sendable {
    let path: String
    private let descriptor: Int32
    private let directory: TemporaryDirectory

    init(name: String = "notify.sock", in directory: TemporaryDirectory? = nil) throws {
        self.directory = try directory ?? TemporaryDirectory()
        path = self.directory.file(name)
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        precondition(bytes.count < MemoryLayout.size(ofValue: address.sun_path), "socket path too long")
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    deinit { close(descriptor) }

    /// The next datagram, or nil when none arrives within `timeout`. Polls without blocking so
    /// the cooperative thread pool stays free for the code under test.
    func receive(timeout: Duration = .seconds(5)) async -> String? {
        await receiveBytes(timeout: timeout).map { String(decoding: $0, as: UTF8.self) }
    }

    func receiveBytes(timeout: Duration = .seconds(5)) async -> [UInt8]? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count >= 0 { return Array(buffer[..<count]) }
            guard clock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Every datagram already queued.
    func drain() async -> [String] {
        var messages: [String] = []
        while let message = await receive(timeout: .zero) { messages.append(message) }
        return messages
    }
}

/// Sets environment variables for one test and restores the previous values afterwards.
struct EnvironmentOverride {
    private var saved: [String: String?] = [:]

    mutating func set(_ name: String, _ value: String?) {
        if saved[name] == nil { saved[name] = .some(ProcessInfo.processInfo.environment[name]) }
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
    }

    func restore() {
        for (name, value) in saved {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
    }
}
