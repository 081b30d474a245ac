#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraChannel
import InfraDaemon
import Logging
import Metrics
import P4DPDKTarget
import P4RuntimeDaemon
import P4RuntimeServer
import ServiceLifecycle

/// A P4Runtime target whose dataplane is DPDK's SWX pipeline (the P4-DPDK software target):
/// the same P4Runtime core as infra-p4-emulator, with tables realized in a real pipeline that
/// forwards packets between af_packet ports.
@main
struct InfraP4DPDKCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infra-p4-dpdk",
        abstract: "Serves a P4Runtime target on DPDK's SWX pipeline (af_packet ports on named interfaces).",
        discussion: """
        The YAML file given with --config names the EAL arguments, the ports (one af_packet \
        vdev per interface; EAL always runs with --no-pci), the device id, metrics and logs. \
        The controller pushes the program with SetForwardingPipelineConfig: P4Info plus a \
        p4_device_config holding p4c-dpdk's spec and context JSON (see the P4DPDKTarget README). \
        Choose --insecure, --tls-directory or a `tls` section; plaintext is never the default. \
        SIGTERM or SIGINT drains the gRPC calls, stops the pipeline and exits 0.
        """
    )

    @Option(name: .shortAndLong, help: "YAML configuration file.")
    var config: String

    @Option(help: "Address to listen on (overrides `listen`).")
    var listen: String?

    @Option(help: "An infra-pki identity directory (ca.crt plus tls.crt/tls.key or stratum.crt/stratum.key) for mutual TLS 1.3 (overrides `tls`).")
    var tlsDirectory: String?

    @Flag(help: "Serve plaintext gRPC (loopback tests only).")
    var insecure = false

    @Flag(help: "Validate the configuration and exit (DPDK is not started).")
    var checkConfig = false

    func run() async throws {
        var settings: DPDKDaemonConfig
        do {
            settings = try ConfigLoader.load(DPDKDaemonConfig.self, fromFile: config)
            if let listen { settings.listen = listen }
            if let tlsDirectory { settings.tls = TLSSettings(files: P4ServerTLSFiles.files(in: tlsDirectory), reloadIntervalSeconds: settings.tls?.reloadIntervalSeconds ?? 10) }
            guard insecure != (settings.tls != nil) else {
                throw ValidationError("give exactly one of --insecure and --tls-directory (or a `tls` section)")
            }
        } catch {
            fail(error)
        }
        if checkConfig {
            print("infra-p4-dpdk: valid: EAL \(settings.dataplaneSettings.ealArgv.joined(separator: " "))")
            return
        }
        LoggingBootstrap.bootstrap(identifier: "infra-p4-dpdk", target: settings.log.target, level: settings.log.level)
        let logger = Logger(label: "infra.p4-dpdk")
        let registry = settings.metrics.enabled ? MetricsBootstrap.bootstrap() : nil

        let dataplane: DPDKDataplane
        let backend: DPDKBackend
        let transport: HTTP2ServerTransport.Posix
        var watched: DaemonSupportServices.WatchedTLS?
        do {
            dataplane = try DPDKDataplane(settings: settings.dataplaneSettings, logger: logger)
            let builder = PipelineLibraryBuilder(
                cacheDirectory: settings.pipeline.cacheDirectory, internalHeaderDirectory: settings.pipeline.internalHeaderDirectory
            )
            var defaultConfig: DPDKDeviceConfig?
            if let spec = settings.pipeline.spec, let context = settings.pipeline.context {
                defaultConfig = try DPDKDeviceConfig(specFile: spec, contextFile: context)
            }
            backend = DPDKBackend(dataplane: dataplane, builder: builder, defaultDeviceConfig: defaultConfig)
            let security: ServerSecurity
            if let tls = settings.tls {
                let store = try TLSMaterialStore(files: tls.files)
                watched = .init(role: "p4runtime-server", store: store, settings: tls)
                security = .mutualTLS(store)
            } else {
                security = .insecure
            }
            transport = try ChannelServerTransport.make(address: try ChannelAddress(parsing: settings.listen), security: security, logger: logger)
        } catch {
            fail(error)
        }
        let core = P4RuntimeCore(deviceID: settings.deviceID, backend: backend, logger: logger)
        let server = GRPCServer(transport: transport, services: [core])
        var services: [any Service] = [
            P4RuntimeServerService(server: server, transport: transport, deviceID: settings.deviceID, secured: settings.tls != nil, logger: logger),
        ]
        services += DaemonSupportServices.make(tls: watched, metrics: settings.metrics, registry: registry, logger: logger)
        if registry != nil {
            services.append(BackgroundTaskService(name: "port-statistics") { try await PortStatistics(dataplane: dataplane).publish() })
        }
        defer { dataplane.stop() }
        try await makeServiceGroup(services: services, logger: logger).run()
    }

    /// One line on stderr and exit status 1: the line names the key or flag and the value.
    func fail(_ error: any Error) -> Never {
        FileHandleOutput.standardError("infra-p4-dpdk: \(error)\n")
        Glibc.exit(1)
    }
}

enum FileHandleOutput {
    static func standardError(_ line: String) {
        _ = line.utf8CString.withUnsafeBufferPointer { buffer in write(STDERR_FILENO, buffer.baseAddress, buffer.count - 1) }
    }
}

/// Publishes the pipeline's per-port packet and byte counts as gauges every few seconds.
struct PortStatistics {
    let dataplane: DPDKDataplane

    func publish() async throws {
        let ports = dataplane.settings.ports
        while !Task.isCancelled {
            if let statistics = dataplane.portStatistics() {
                for (index, port) in statistics.enumerated() {
                    let dimensions = [("port", String(index)), ("interface", ports[index].interface)]
                    Gauge(label: "infra_p4_dpdk_port_rx_packets", dimensions: dimensions).record(port.packetsIn)
                    Gauge(label: "infra_p4_dpdk_port_rx_bytes", dimensions: dimensions).record(port.bytesIn)
                    Gauge(label: "infra_p4_dpdk_port_tx_packets", dimensions: dimensions).record(port.packetsOut)
                    Gauge(label: "infra_p4_dpdk_port_tx_bytes", dimensions: dimensions).record(port.bytesOut)
                }
            }
            try? await Task.sleep(for: .seconds(5))
        }
    }
}
