import Glibc




/// A NETLINK_ROUTE socket: one request at a time, each answered before the call returns.
///
/// A netlink socket belongs to the network namespace that was current on the thread that
/// created it, for its whole life. `NetlinkSocket()` therefore talks to the caller's namespace;
/// to work inside a pod's namespace use `NamespaceRunner.run(in:_:)`, which hands the body a
/// socket created there.
///
/// Not thread-safe and not `Sendable`: use it from one thread (the runner's body, or one task).
/// Calls block for a kernel round trip (tens of microseconds).
public final class NetlinkSocket {
    private let fd: Int32
    private var sequence: UInt32 = 0
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    /// The namespace this socket lives in, for error messages; nil for the creator's own.
    public let namespace: NetworkNamespace?

    /// Opens a socket in the calling thread's current network namespace.
    public convenience init() throws {
        try self.init(namespace: nil)
    }

    init(namespace: NetworkNamespace?) throws {
        self.namespace = namespace
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NL.protocolRoute)
        guard fd >= 0 else {
            throw NetlinkError(errno: Glibc.errno, "open a netlink socket" + (namespace.map { " in \($0)" } ?? ""))
        }
        self.fd = fd
        // Best effort: a shorter error (no echoed request) and the kernel's reason text.
        var on: Int32 = 1
        _ = setsockopt(fd, NL.solNetlink, NL.optionCapAck, &on, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, NL.solNetlink, NL.optionExtAck, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    /// " in /var/run/netns/x", or "" for the creator's namespace.
    var location: String { namespace.map { " in \($0)" } ?? "" }

    // MARK: Requests

    /// Sends a change (NEW*/DEL*) with NLM_F_ACK and waits for the kernel's answer.
    func change(_ builder: MessageBuilder, _ what: @autoclosure () -> String) throws {
        let sequence = try send(builder, what)
        while true {
            for message in try receive(what) where message.sequence == sequence {
                if let ack = Acknowledgement(message) {
                    if ack.errno == 0 { return }
                    throw NetlinkError(errno: ack.errno, what() + location, kernelMessage: ack.kernelMessage)
                }
            }
        }
    }

    /// Sends a GET for one object and returns the kernel's single reply.
    func get(_ builder: MessageBuilder, _ what: @autoclosure () -> String) throws -> ReceivedMessage {
        let sequence = try send(builder, what)
        while true {
            for message in try receive(what) where message.sequence == sequence {
                if let ack = Acknowledgement(message) {
                    if ack.errno == 0 { continue }
                    throw NetlinkError(errno: ack.errno, what() + location, kernelMessage: ack.kernelMessage)
                }
                return message
            }
        }
    }

    /// Sends a dump request and collects every part until NLMSG_DONE. A dump the kernel marks
    /// inconsistent (the table changed while it was read) is repeated, up to three times.
    func dump(_ builder: MessageBuilder, _ what: @autoclosure () -> String) throws -> [ReceivedMessage] {
        var attempts = 0
        while true {
            attempts += 1
            let sequence = try send(builder, what)
            var parts: [ReceivedMessage] = []
            var interrupted = false
            receiving: while true {
                for message in try receive(what) where message.sequence == sequence {
                    if message.flags & NL.dumpInterrupted != 0 { interrupted = true }
                    if message.type == NL.msgDone { break receiving }
                    if let ack = Acknowledgement(message) {
                        if ack.errno == 0 { break receiving }
                        throw NetlinkError(errno: ack.errno, what() + location, kernelMessage: ack.kernelMessage)
                    }
                    parts.append(message)
                }
            }
            if !interrupted { return parts }
            if attempts >= 3 {
                throw NetlinkError(.system, "\(what())\(location): the dump stayed inconsistent (NLM_F_DUMP_INTR) after 3 attempts")
            }
        }
    }

    // MARK: Socket I/O

    private func send(_ builder: MessageBuilder, _ what: () -> String) throws -> UInt32 {
        sequence &+= 1
        let message = builder.finish(sequence: sequence)
        while true {
            let sent = message.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            if sent == message.count { return sequence }
            if sent < 0 && Glibc.errno == EINTR { continue }
            if sent < 0 { throw NetlinkError(errno: Glibc.errno, what() + location) }
            throw NetlinkError(.system, "\(what())\(location): short netlink send (\(sent) of \(message.count) bytes)")
        }
    }

    private func receive(_ what: () -> String) throws -> [ReceivedMessage] {
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_TRUNC)) }
            if count < 0 && Glibc.errno == EINTR { continue }
            if count < 0 { throw NetlinkError(errno: Glibc.errno, what() + location) }
            guard count <= buffer.count else {
                throw NetlinkError(.malformedReply, "\(what())\(location): netlink reply of \(count) bytes exceeds the \(buffer.count)-byte buffer")
            }
            return ReceivedMessage.split(buffer[0..<count])
        }
    }
}
