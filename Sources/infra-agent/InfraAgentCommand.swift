import ArgumentParser
import InfraAPI
import InfraAgentCore
import InfraDaemon
import Logging

@main
struct InfraAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infra-agent",
        abstract: "The node agent: keeps this node's dataplane intents in the infra-manager.",
        discussion: """
            Implemented: the mutually-authenticated link to the manager (attach, Sync after every \
            connect, capped exponential reconnect backoff, live certificate reload).
            Not implemented yet: Calico's CNI gRPC backend, the interface pool, the Services \
            watcher and the Felix policy relay.
            """,
        version: InfraVersion.release,
        subcommands: [Run.self, CheckConfig.self],
        defaultSubcommand: Run.self
    )
}

struct ConfigOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "Path of the agent's YAML configuration.")
    var config = "/etc/infra/agent.yaml"
}

extension InfraAgentCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the agent (the default).")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let config = try ConfigLoader.load(AgentConfig.self, fromFile: options.config)
            LoggingBootstrap.bootstrap(identifier: "infra-agent", target: config.log.target, level: config.log.level)
            let logger = Logger(label: "infra.agent")
            let registry = config.metrics.enabled ? MetricsBootstrap.bootstrap() : nil
            let daemon = try AgentDaemon(config: config, logger: logger)
            try await makeServiceGroup(services: daemon.services(metricsRegistry: registry), logger: logger).run()
        }
    }

    struct CheckConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-config", abstract: "Validate the configuration file and exit."
        )
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let config = try ConfigLoader.load(AgentConfig.self, fromFile: options.config)
            print("\(options.config): valid (node \(config.nodeName), manager \(config.manager.address))")
        }
    }
}
