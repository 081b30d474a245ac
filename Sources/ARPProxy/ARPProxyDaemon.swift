#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import InfraDaemon
import InfraNet
import Logging
import ServiceLifecycle

/// The arp-proxy process: an AF_PACKET socket on one interface, the gratuitous ARP at start,
/// and a receive loop on its own thread that answers who-has for the gateway addresses.
public final class ARPProxyDaemon: Sendable {
    public let interface: String
    public let gateways: [IPAddress]
    /// The interface's own MAC: the answer to every who-has for a gateway.
    public let interfaceMAC: MACAddress
    let socket: PacketSocket
    let wake: WakePipe
    let responder: ARPResponder
    let rateLimit: LogRateLimitSettings
    let logger: Logger

    /// Opens and binds the socket and reads the interface's MAC. Throws ``ARPProxyError`` (or
    /// ``ConfigError`` for a missing interface setting) before anything is sent.
    public init(config: ARPProxyConfig, logger: Logger) throws {
        guard let name = config.interface else {
            throw ARPProxyError(field: "interface", value: "", reason: "is required (--interface or `interface:` in the config)")
        }
        if let reason = ARPProxyConfig.interfaceNameProblem(name) {
            throw ARPProxyError(field: "interface", value: name, reason: reason)
        }
        guard !config.gatewayAddresses.isEmpty else {
            throw ARPProxyError(field: "gateway", value: "", reason: "at least one gateway address is required")
        }
        interface = name
        gateways = config.gatewayAddresses
        socket = try PacketSocket(interface: name)
        interfaceMAC = try socket.hardwareAddress()
        wake = try WakePipe()
        responder = ARPResponder(ownMAC: interfaceMAC, gateways: config.gatewayAddresses)
        rateLimit = config.logRateLimit
        self.logger = logger
    }

    /// Sends one gratuitous ARP per gateway address, so neighbours holding an old MAC for the
    /// gateway (a restarted proxy on another port) update at once.
    public func announce() throws {
        for gateway in gateways {
            try socket.send(ARPFrame.announcement(of: gateway, ownMAC: interfaceMAC).bytes)
            logger.info("gratuitous ARP sent", metadata: ["gateway": "\(gateway)", "mac": "\(interfaceMAC)", "interface": "\(interface)"])
        }
    }

    /// The services to run in the daemon's ServiceGroup: the receive loop and the systemd
    /// readiness notifier (READY=1 at once: the socket is bound and the announcement sent by
    /// the time the group runs).
    public func services() -> [any Service] {
        let gatewayList = gateways.map(\.description).joined(separator: ", ")
        return [
            ResponderService(daemon: self),
            ReadinessNotifier(status: "answering ARP for \(gatewayList) on \(interface) with \(interfaceMAC)", logger: logger),
        ]
    }

    /// Makes the receive loop return promptly; safe from any thread, more than once.
    public func stop() {
        wake.signal()
    }

    /// Runs the receive loop on a dedicated thread until ``stop()``; throws if the socket fails.
    public func run() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let thread = Thread { [self] in
                    do {
                        var loop = ReceiveLoop(daemon: self)
                        try loop.run()
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.name = "arp-proxy-receive"
                thread.start()
            }
        } onCancel: {
            stop()
        }
    }

    struct ResponderService: Service, CustomStringConvertible {
        let daemon: ARPProxyDaemon
        var description: String { "arp-responder(\(daemon.interface))" }

        func run() async throws {
            try await withGracefulShutdownHandler {
                try await daemon.run()
            } onGracefulShutdown: {
                daemon.stop()
            }
        }
    }
}

/// The loop's state; lives on the receive thread only.
struct ReceiveLoop {
    let daemon: ARPProxyDaemon
    var limiter: LogRateLimiter
    var answered = 0
    var ignored = 0
    var malformed = 0
    let clock = ContinuousClock()
    /// Frames handled per wake-up before the stop pipe is looked at again.
    static let batch = 64
    /// poll() timeout: how often a finished rate-limit window is summarised when idle.
    static let idleMilliseconds: Int32 = 1000

    init(daemon: ARPProxyDaemon) {
        self.daemon = daemon
        limiter = LogRateLimiter(
            linesPerInterval: daemon.rateLimit.linesPerInterval,
            interval: .seconds(daemon.rateLimit.intervalSeconds))
    }

    mutating func run() throws {
        let logger = daemon.logger
        logger.info("answering ARP", metadata: [
            "interface": "\(daemon.interface)", "mac": "\(daemon.interfaceMAC)",
            "gateways": "\(daemon.gateways.map(\.description).joined(separator: ","))",
        ])
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        defer { buffer.deallocate() }
        var fds = [
            pollfd(fd: daemon.socket.descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: daemon.wake.readDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            let ready = poll(&fds, 2, Self.idleMilliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw ARPProxyError(field: "interface", value: daemon.interface, reason: "poll failed: \(errnoText())")
            }
            if fds[1].revents != 0 { break }
            if fds[0].revents & Int16(POLLNVAL) != 0 {
                throw ARPProxyError(field: "interface", value: daemon.interface, reason: "socket closed")
            }
            if fds[0].revents != 0 {
                for _ in 0..<Self.batch {
                    switch try daemon.socket.receive(into: buffer) {
                    case .none: break
                    case .outgoing: continue
                    case .frame(let length):
                        handle(UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
                        continue
                    }
                    break
                }
            }
            if let held = limiter.flush(now: clock.now) { summarise(held) }
        }
        if let held = limiter.flush(now: clock.now.advanced(by: limiter.interval)) { summarise(held) }
        logger.info("receive loop stopped", metadata: [
            "answered": "\(answered)", "ignored": "\(ignored)", "malformed": "\(malformed)",
        ])
    }

    mutating func handle(_ frame: UnsafeRawBufferPointer) {
        switch daemon.responder.decide(frame) {
        case .reply(let reply, let gateway, let asker):
            do {
                try daemon.socket.send(reply.bytes)
                answered += 1
                log(.debug, "answered who-has", ["gateway": "\(gateway)", "asker": "\(asker)", "askerMAC": "\(reply.targetMAC)"])
            } catch {
                log(.warning, "reply not sent", ["gateway": "\(gateway)", "asker": "\(asker)", "error": "\(error)"])
            }
        case .ignored(let reason):
            ignored += 1
            log(.debug, "ignored frame", ["reason": "\(reason)"])
        case .malformed(let reason):
            malformed += 1
            log(.warning, "malformed frame", ["reason": "\(reason)", "length": "\(frame.count)"])
        }
    }

    /// Per-frame lines go through the limiter, so a flood cannot flood the journal. A line the
    /// log level would drop anyway does not use up the budget.
    mutating func log(_ level: Logger.Level, _ message: Logger.Message, _ metadata: Logger.Metadata) {
        guard daemon.logger.logLevel <= level else { return }
        let verdict = limiter.admit(now: clock.now)
        if let held = verdict.suppressedBefore { summarise(held) }
        if verdict.log { daemon.logger.log(level: level, message, metadata: metadata) }
    }

    func summarise(_ held: Int) {
        daemon.logger.notice("frame log lines suppressed by the rate limit", metadata: [
            "suppressed": "\(held)", "intervalSeconds": "\(daemon.rateLimit.intervalSeconds)",
            "answered": "\(answered)", "ignored": "\(ignored)", "malformed": "\(malformed)",
        ])
    }
}
