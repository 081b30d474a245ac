import ArgumentParser
import InfraAPI
import InfraDaemon
import InfraManagerCore
import Logging

@main
struct InfraManagerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infra-manager",
        abstract: "Serves infra.v1 to node agents and keeps the IPU dataplane in the desired state.",
        discussion: "Runs on the IPU's infrastructure cores (or the host in host mode). See docs/configuration.md.",
        version: InfraVersion.release,
        subcommands: [Run.self, CheckConfig.self],
        defaultSubcommand: Run.self
    )
}

struct ConfigOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "Path of the manager's YAML configuration.")
    var config = "/etc/infra/manager.yaml"
}

extension InfraManagerCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the manager (the default).")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let config = try ConfigLoader.load(ManagerConfig.self, fromFile: options.config)
            LoggingBootstrap.bootstrap(identifier: "infra-manager", target: config.log.target, level: config.log.level)
            let logger = Logger(label: "infra.manager")
            let registry = config.metrics.enabled ? MetricsBootstrap.bootstrap() : nil
            let daemon = try ManagerDaemon(config: config, logger: logger)
            let group = makeServiceGroup(services: daemon.services(metricsRegistry: registry), logger: logger)
            try await group.run()
        }
    }

    struct CheckConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-config", abstract: "Validate the configuration file and exit."
        )
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let config = try ConfigLoader.load(ManagerConfig.self, fromFile: options.config)
            print("\(options.config): valid (node \(config.nodeName), listen \(config.listen))")
        }
    }
}
