import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraAPI
import InfraChannel
import Logging
import SwiftProtobuf

@main
struct InfractlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infractl",
        abstract: "Operator's view of an infra-manager, over the same mutually-authenticated channel.",
        version: InfraVersion.release,
        subcommands: [Status.self, Health.self, Apply.self]
    )
}

/// Where the manager is and which identity to present (the operator's by default).
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Manager address: host:port, [v6]:port or unix:/path.")
    var address = "127.0.0.1:50002"
    @Option(help: "Directory holding ca.crt, tls.crt and tls.key of the operator identity.")
    var pki = "/etc/infra/pki/operator"
    @Option(help: "DNS name to verify in the manager's certificate instead of the dialled host.")
    var serverName: String?
    @Flag(help: "Connect without TLS (only to a manager started with insecure: true).")
    var insecure = false

    func withClient<Result: Sendable>(
        _ body: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        let logger = Logger(label: "infractl")
        let security: ClientSecurity = insecure
            ? .insecure
            : .mutualTLS(try TLSMaterialStore(files: TLSFiles(directory: pki)), serverRoles: [.manager], serverName: serverName)
        let transport = try ChannelClientTransport.make(address: try ChannelAddress(parsing: address), security: security, logger: logger)
        return try await withGRPCClient(transport: transport) { client in
            try await body(client)
        }
    }
}

extension InfractlCommand {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show versions, uptime, agents, target and certificates.")
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Print the status as JSON (the infra.v1 StatusResponse in proto3 JSON form).")
        var json = false

        func run() async throws {
            let status = try await connection.withClient { client in
                try await Infra_V1_InfraManager.Client(wrapping: client)
                    .status(Infra_V1_StatusRequest(), options: .timeout(.seconds(10)))
            }
            if json {
                var options = JSONEncodingOptions()
                options.alwaysPrintInt64sAsNumbers = true
                print(try status.jsonString(options: options))
            } else {
                print(StatusTable.render(status, now: Date()))
            }
        }
    }
}

extension InfractlCommand {
    struct Health: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask the manager's grpc.health.v1 service; exits non-zero unless SERVING."
        )
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Service to check; empty for the server as a whole.")
        var service = ""

        func run() async throws {
            let service = self.service
            let response = try await connection.withClient { client in
                try await Grpc_Health_V1_Health.Client(wrapping: client)
                    .check(.with { $0.service = service }, options: .timeout(.seconds(10)))
            }
            print("\(service.isEmpty ? "<server>" : service): \(response.status)")
            if response.status != .serving { throw ExitCode(3) }
        }
    }
}

extension CallOptions {
    static func timeout(_ duration: Duration) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = duration
        return options
    }
}
