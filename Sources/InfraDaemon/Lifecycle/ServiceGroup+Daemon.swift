import Logging
import ServiceLifecycle

/// The ServiceGroup every InfraOffload daemon runs, so all stop the same way.
///
/// - SIGTERM (systemd's stop) and SIGINT (Ctrl-C) start a graceful shutdown; no signal cancels
///   outright, so in-flight work always gets to drain.
/// - A service that returns or throws outside shutdown shuts the whole group down gracefully
///   (instead of cancelling it), so the others still drain and ``ReadinessNotifier`` still
///   sends STOPPING=1. The first error is rethrown by `run()`.
/// - After `maximumGracefulShutdownDuration` the remaining services are cancelled, which keeps
///   a stuck drain from outlasting systemd's stop timeout (90 s by default) and being killed.
public func makeServiceGroup(
    services: [any Service],
    logger: Logger,
    maximumGracefulShutdownDuration: Duration? = .seconds(30)
) -> ServiceGroup {
    var configuration = ServiceGroupConfiguration(
        services: services.map {
            ServiceGroupConfiguration.ServiceConfiguration(
                service: $0,
                successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup)
        },
        gracefulShutdownSignals: [.sigterm, .sigint],
        cancellationSignals: [],
        logger: logger)
    configuration.maximumGracefulShutdownDuration = maximumGracefulShutdownDuration
    return ServiceGroup(configuration: configuration)
}
