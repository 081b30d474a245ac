import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraAPI
import InfraChannel
import InfraDaemon
import InfraManagerCore
import Logging
import ServiceLifecycle

/// A real infra-manager (the same ManagerDaemon the binary runs) on a loopback port.
final class ManagerHarness: Sendable {
    let daemon: ManagerDaemon
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int

    init(yaml: String) async throws {
        let config = try ConfigLoader.load(ManagerConfig.self, fromYAML: yaml, source: "test")
        var logger = Logger(label: "test.manager")
        logger.logLevel = .critical
        daemon = try ManagerDaemon(config: config, logger: logger)
        let group = ServiceGroup(services: daemon.services(metricsRegistry: nil), logger: logger)
        self.group = group
        task = Task { try await group.run() }
        port = try await daemon.listeningPort()
    }

    static func yaml(pki: TestPKI, serverFiles: TLSFiles, extra: String = "") -> String {
        """
        nodeName: node-1
        listen: 127.0.0.1:0
        heartbeatSeconds: 1
        tls:
          caFile: \(serverFiles.caFile)
          certificateFile: \(serverFiles.certificateFile)
          keyFile: \(serverFiles.keyFile)
        authorization:
          trustDomain: \(TestPKI.trustDomain)
        metrics:
          enabled: false
        \(extra)
        """
    }

    func shutdown() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    var address: ChannelAddress { ChannelAddress(.ip(.init("127.0.0.1")!, port: port)) }

    /// Runs `body` with a client presenting `files` (or no TLS at all when nil).
    func withClient<Result: Sendable>(
        files: TLSFiles?, serverName: String? = nil,
        _ body: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        let security: ClientSecurity = try files.map {
            .mutualTLS(try TLSMaterialStore(files: $0), serverRoles: [.manager], serverName: serverName)
        } ?? .insecure
        var logger = Logger(label: "test.client")
        logger.logLevel = .critical
        let transport = try ChannelClientTransport.make(address: address, security: security, logger: logger)
        return try await withGRPCClient(transport: transport) { try await body($0) }
    }

    func status(as files: TLSFiles?) async throws -> Infra_V1_StatusResponse {
        try await withClient(files: files) { client in
            try await Infra_V1_InfraManager.Client(wrapping: client).status(.init(), options: .quick)
        }
    }

    func sync(as files: TLSFiles?, _ request: Infra_V1_SyncRequest) async throws -> Infra_V1_SyncResponse {
        try await withClient(files: files) { client in
            try await Infra_V1_InfraManager.Client(wrapping: client).sync(request, options: .quick)
        }
    }
}

extension CallOptions {
    static var quick: CallOptions {
        var options = CallOptions.defaults
        options.timeout = .seconds(5)
        options.waitForReady = false
        return options
    }
}
