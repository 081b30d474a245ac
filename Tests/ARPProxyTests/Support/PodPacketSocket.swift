#if canImport(Glibc)
import Glibc
#endif
@testable import ARPProxy
import Foundation

/// An AF_PACKET socket (all ethertypes) opened inside another network namespace and bound to
/// one interface there, to write raw frames and to capture what arrives.
///
/// Swift's Glibc module exports neither `setns` nor `sockaddr_ll`: `setns` is looked up with
/// dlsym and called on a short-lived thread (so the test process itself never changes
/// namespace), and the link-layer address is laid out by hand. A socket keeps the namespace it
/// was created in after the thread is gone.
final class PodPacketSocket {
    let descriptor: Int32
    let interfaceIndex: Int32
    static let ethPAll: UInt16 = 0x0003

    init(namespace: String, interface: String) throws {
        let result = try Self.inNamespace(namespace) { () -> Result<(Int32, Int32), TestFailure> in
            let index = Int32(if_nametoindex(interface))
            guard index > 0 else { return .failure(TestFailure("no \(interface) in \(namespace)")) }
            let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), Int32(Self.ethPAll.bigEndian))
            guard fd >= 0 else { return .failure(TestFailure("AF_PACKET socket: errno \(errno)")) }
            var address = Self.linkAddress(index: index)
            let bound = address.withUnsafeMutableBytes {
                bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), 20)
            }
            guard bound == 0 else {
                close(fd)
                return .failure(TestFailure("bind AF_PACKET: errno \(errno)"))
            }
            return .success((fd, index))
        }
        (descriptor, interfaceIndex) = try result.get()
    }

    deinit { close(descriptor) }

    func send(_ frame: [UInt8]) throws {
        var address = Self.linkAddress(index: interfaceIndex)
        let sent = frame.withUnsafeBytes { bytes in
            address.withUnsafeMutableBytes {
                sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), 20)
            }
        }
        guard sent == frame.count else { throw TestFailure("sendto: \(sent), errno \(errno)") }
    }

    /// Frames received (not sent) on the interface until `enough` says so or 15 s pass
    /// (a bound against a hang, not a timing assertion).
    func capture(until enough: ([[UInt8]]) -> Bool) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, !enough(frames) {
            var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, 200) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 2048)
            var from = [UInt8](repeating: 0, count: 20)
            var fromLength = socklen_t(20)
            let count = from.withUnsafeMutableBytes {
                recvfrom(descriptor, &buffer, buffer.count, 0, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &fromLength)
            }
            guard count > 0 else { continue }
            if from[10] == 4 { continue }  // PACKET_OUTGOING: our own
            frames.append(Array(buffer[0..<count]))
        }
        return frames
    }

    private static func linkAddress(index: Int32) -> [UInt8] {
        PacketSocket.linkAddress(index: index, ethertype: ethPAll)
    }

    /// Runs `body` on a new thread that has joined network namespace `name` (/run/netns/name).
    static func inNamespace<T: Sendable>(_ name: String, _ body: @escaping @Sendable () -> T) throws -> T {
        typealias SetNS = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "setns") else { throw TestFailure("setns not found") }
        let setns = unsafeBitCast(symbol, to: SetNS.self)
        let cloneNewNet: Int32 = 0x4000_0000
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            let fd = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { box.error = TestFailure("open /run/netns/\(name): errno \(errno)"); return }
            defer { close(fd) }
            guard setns(fd, cloneNewNet) == 0 else { box.error = TestFailure("setns \(name): errno \(errno)"); return }
            box.value = body()
            // The thread ends here; the process's other threads never left their namespace.
        }
        thread.start()
        done.wait()
        if let error = box.error { throw error }
        return box.value!
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
    var error: TestFailure?
}
