import Foundation
import GRPCNIOTransportHTTP2Posix
import InfraChannel
import InfraDaemon
import Logging
import P4Info
import P4RuntimeClient
import ServiceLifecycle

/// Builds the manager's P4Runtime side from the `dataplane` section: the programmer (with its
/// restored state), the target connection and the watcher of the client certificate.
struct DataplaneWiring {
    let programmer: DataplaneProgrammer
    let config: DataplaneConfig
    let transport: HTTP2ClientTransport.Posix
    let tls: TLSMaterialStore?
    let electionID: ElectionID
    let p4info: P4InfoIndex
    let deviceConfig: Data
    let logger: Logger

    init(config: DataplaneConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        do {
            p4info = try P4InfoIndex(contentsOfFile: config.p4info)
        } catch {
            throw DataplaneError(.badPipeline, "dataplane.p4info: \(error)")
        }
        if let path = config.deviceConfig {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw DataplaneError(.badPipeline, "dataplane.deviceConfig: cannot read \(path)")
            }
            deviceConfig = data
        } else {
            deviceConfig = Data()
        }
        try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        programmer = try DataplaneProgrammer(p4info: p4info, settings: config.settings, stateFile: config.stateDirectory + "/state.json", logger: logger)
        electionID = try ElectionID.forStartup(stateFile: config.stateDirectory + "/election-id")
        if config.insecure {
            logger.warning("INSECURE P4Runtime: talking to \(config.target) without TLS (dataplane.insecure: true)")
            tls = nil
        } else {
            tls = try TLSMaterialStore(files: config.tls.files)
        }
        transport = try P4RuntimeTransport.make(address: try ChannelAddress(parsing: config.target), tls: tls, serverName: config.serverName, logger: logger)
    }

    func services(store: DesiredStateStore) -> [any Service] {
        // Four Write requests in flight per transaction phase: a bulk change no longer waits a
        // round trip per request, and a phase's updates carry no order among themselves.
        // Re-arbitration waits at most 500 ms (not the client's 10 s default): the manager is
        // the co-located target's only controller, and a restarted target must get its pipeline
        // and entries back within about 2 s. Measured on a loaded 2-core machine with a 1 s cap,
        // the wait before the pipeline push was up to 0.9 s of the 1.3 s a restore took.
        let connection = DataplaneConnection(
            transport: transport,
            configuration: .init(
                deviceID: config.deviceID, electionID: electionID,
                backoff: Backoff(initial: .milliseconds(100), maximum: .milliseconds(500)), maxUpdatesPerWrite: config.maxUpdatesPerWrite, maxWritesInFlight: 4
            ),
            p4info: p4info, deviceConfig: deviceConfig, store: store, programmer: programmer,
            retryDelay: .seconds(1), logger: logger
        )
        guard let tls else { return [connection] }
        let watcher = CertificateWatcher(
            watched: [.init(role: "p4runtime-client", store: tls)], interval: .seconds(config.tls.reloadIntervalSeconds), logger: logger
        )
        return [connection, BackgroundTaskService(name: "p4runtime-certificate-watcher") { try await watcher.run() }]
    }
}
