#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ARPProxy
import ArgumentParser
import InfraDaemon
import Logging

@main
struct ARPProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arp-proxy",
        abstract: "Answers ARP who-has for the pod gateway address(es) from its own network namespace.",
        discussion: """
            Binds an AF_PACKET socket (ETH_P_ARP) to one interface, sends a gratuitous ARP for each \
            gateway address, then answers every who-has for a gateway address with the interface's \
            own MAC. Everything else is ignored. Flags override the YAML file given with --config. \
            SIGTERM or SIGINT stops it gracefully; READY=1 goes to systemd once it answers.
            """
    )

    @Option(name: .shortAndLong, help: "YAML configuration file (keys: interface, gatewayAddresses, log, logRateLimit).")
    var config: String?

    @Option(name: .shortAndLong, help: "Interface to answer on (overrides `interface`).")
    var interface: String?

    @Option(name: .customLong("gateway"), help: "Gateway IPv4 address to answer for; repeat for several (overrides `gatewayAddresses`; default 169.254.1.1).")
    var gateways: [String] = []

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (overrides `log.level`).")
    var logLevel: String?

    @Option(help: "Log target: auto, stderr, journal (overrides `log.target`).")
    var logTarget: String?

    @Option(help: "Lines about ignored or malformed frames per interval (overrides `logRateLimit.linesPerInterval`; default 10).")
    var logLinesPerInterval: Int?

    @Option(help: "Length of the log rate-limit interval in seconds (overrides `logRateLimit.intervalSeconds`; default 60).")
    var logIntervalSeconds: Int?

    @Flag(help: "Validate the settings, open the interface, print what would be answered, and exit.")
    var checkConfig = false

    func run() async throws {
        let settings: ARPProxyConfig
        do {
            settings = try resolvedConfig()
        } catch {
            fail(error)
        }
        LoggingBootstrap.bootstrap(identifier: "arp-proxy", target: settings.log.target, level: settings.log.level)
        let logger = Logger(label: "infra.arp-proxy")
        let daemon: ARPProxyDaemon
        do {
            daemon = try ARPProxyDaemon(config: settings, logger: logger)
            if checkConfig {
                let list = daemon.gateways.map(\.description).joined(separator: ", ")
                print("arp-proxy: valid: would answer \(list) on \(daemon.interface) with \(daemon.interfaceMAC)")
                return
            }
            try daemon.announce()
        } catch {
            fail(error)
        }
        try await makeServiceGroup(services: daemon.services(), logger: logger).run()
    }

    /// The YAML (when given) with the flags applied on top; every problem names its flag or key.
    func resolvedConfig() throws -> ARPProxyConfig {
        var settings = try config.map { try ConfigLoader.load(ARPProxyConfig.self, fromFile: $0) } ?? ARPProxyConfig()
        if let interface {
            if let reason = ARPProxyConfig.interfaceNameProblem(interface) {
                throw ARPProxyError(field: "--interface", value: interface, reason: reason)
            }
            settings.interface = interface
        }
        if !gateways.isEmpty {
            settings.gatewayAddresses = try ARPProxyConfig.gatewayAddresses(fromFlags: gateways, flag: "--gateway")
        }
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else {
                let choices = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ARPProxyError(field: "--log-level", value: logLevel, reason: "must be one of: \(choices)")
            }
            settings.log.level = level
        }
        if let logTarget {
            guard let target = LogTarget(rawValue: logTarget) else {
                let choices = LogTarget.allCases.map(\.rawValue).joined(separator: ", ")
                throw ARPProxyError(field: "--log-target", value: logTarget, reason: "must be one of: \(choices)")
            }
            settings.log.target = target
        }
        if let logLinesPerInterval {
            guard (0...10_000).contains(logLinesPerInterval) else {
                throw ARPProxyError(field: "--log-lines-per-interval", value: "\(logLinesPerInterval)", reason: "must be from 0 to 10000")
            }
            settings.logRateLimit.linesPerInterval = logLinesPerInterval
        }
        if let logIntervalSeconds {
            guard (1...86_400).contains(logIntervalSeconds) else {
                throw ARPProxyError(field: "--log-interval-seconds", value: "\(logIntervalSeconds)", reason: "must be from 1 to 86400")
            }
            settings.logRateLimit.intervalSeconds = logIntervalSeconds
        }
        if settings.interface == nil {
            throw ARPProxyError(field: "--interface", value: "", reason: "is required (or `interface:` in the --config file)")
        }
        return settings
    }

    /// One line on stderr and exit status 1: the line names the flag or key and the value.
    func fail(_ error: any Error) -> Never {
        let line = "arp-proxy: \(error)\n"
        _ = line.utf8CString.withUnsafeBufferPointer { buffer in
            write(STDERR_FILENO, buffer.baseAddress, buffer.count - 1)
        }
        Glibc.exit(1)
    }
}
