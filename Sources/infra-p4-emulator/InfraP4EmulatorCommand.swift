import ArgumentParser
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraChannel
import Logging
import InfraDaemon
import P4RuntimeDaemon
import P4RuntimeServer
import ServiceLifecycle

/// A P4Runtime v1.5 target in memory, standing in for infrap4d where there is no IPU (developer
/// machines, CI). Forwarding state is lost when it exits, as on a real switch reboot.
@main
struct InfraP4EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infra-p4-emulator",
        abstract: "Serves an emulated P4Runtime target (in-memory tables) on one device id.",
        discussion: """
        The controller pushes the P4Info with SetForwardingPipelineConfig. Choose --insecure for \
        plaintext or --tls-directory for mutual TLS 1.3 with certificates from infra-pki \
        (ca.crt with tls.crt/tls.key, or infrap4d's stratum.crt/stratum.key); one of them is \
        required so plaintext is never an accident. The TLS files are checked for a rotation \
        every --reload-interval-seconds; new handshakes use the new certificate, open \
        connections stay.
        """
    )

    @Option(help: "Address to listen on (host:port; P4Runtime's IANA port is 9559).")
    var listen = "127.0.0.1:9559"

    @Option(help: "The P4Runtime device id this target answers for (0 is allowed for old clients).")
    var deviceID: UInt64 = 1

    @Option(help: "An infra-pki identity directory (ca.crt plus tls.crt/tls.key or stratum.crt/stratum.key) for mutual TLS 1.3; the certificate should carry the infrap4d identity the manager expects.")
    var tlsDirectory: String?

    @Option(help: "How often the TLS files are checked for a rotation, in seconds (1–3600; the manager's tls.reloadIntervalSeconds default).")
    var reloadIntervalSeconds = TLSSettings(directory: "/").reloadIntervalSeconds

    @Flag(help: "Serve plaintext gRPC (loopback tests only).")
    var insecure = false

    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard insecure != (tlsDirectory != nil) else {
            throw ValidationError("give exactly one of --insecure and --tls-directory")
        }
        guard (1...3600).contains(reloadIntervalSeconds) else {
            throw ValidationError("--reload-interval-seconds must be from 1 to 3600, not \(reloadIntervalSeconds)")
        }
    }

    func run() async throws {
        var logger = Logger(label: "infra.p4-emulator")
        logger.logLevel = logLevel
        let store = try tlsDirectory.map { try TLSMaterialStore(files: P4ServerTLSFiles.files(in: $0)) }
        let security: ServerSecurity = store.map { .mutualTLS($0) } ?? .insecure
        let transport = try ChannelServerTransport.make(address: try ChannelAddress(parsing: listen), security: security, logger: logger)
        let core = P4RuntimeCore(deviceID: deviceID, logger: logger)
        let server = GRPCServer(transport: transport, services: [core])
        var services: [any Service] = [
            P4RuntimeServerService(
                server: server, transport: transport, deviceID: deviceID, secured: tlsDirectory != nil, logger: logger
            ),
            WatchdogService(),
        ]
        if let store {
            // The manager's rotation rules: a changed set is adopted only when it is valid.
            let watcher = CertificateWatcher(
                watched: [.init(role: "p4runtime-server", store: store)], interval: .seconds(reloadIntervalSeconds), logger: logger
            )
            services.append(BackgroundTaskService(name: "certificate-watcher") { try await watcher.run() })
        }
        try await makeServiceGroup(services: services, logger: logger).run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
