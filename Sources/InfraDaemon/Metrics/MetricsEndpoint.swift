import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// A small HTTP/1.1 server for Prometheus scrapes: `GET /metrics` returns the registry in the
/// text exposition format, any other path is 404 and any other method 405.
///
/// Bind it to loopback (the default) or a management address: metrics name peers and
/// resources, and the endpoint has no authentication. It stops listening on graceful shutdown.
public struct MetricsEndpoint: Service {
    public let host: String
    public let port: Int
    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    private let group: any EventLoopGroup
    private let bound = OneShot<Int>()

    /// - Parameter port: 0 picks a free port; read it with ``boundPort()``.
    public init(
        host: String = "127.0.0.1",
        port: Int,
        registry: PrometheusCollectorRegistry,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.host = host
        self.port = port
        self.registry = registry
        self.logger = logger
        self.group = eventLoopGroup
    }

    /// The port actually listened on, once `run()` has bound it; throws the bind error if
    /// binding failed. Useful with port 0 and as a readiness condition.
    public func boundPort() async throws -> Int {
        try await bound.value()
    }

    public func run() async throws {
        let registry = self.registry
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { child in
                    child.eventLoop.makeCompletedFuture {
                        try child.pipeline.syncOperations.configureHTTPServerPipeline()
                        try child.pipeline.syncOperations.addHandler(MetricsHTTPHandler(registry: registry))
                    }
                }
                .bind(host: host, port: port)
                .get()
        } catch {
            bound.complete(.failure(error))
            logger.error("metrics endpoint could not bind", metadata: ["address": "\(host):\(port)", "error": "\(error)"])
            throw error
        }
        let actualPort = channel.localAddress?.port ?? port
        bound.complete(.success(actualPort))
        logger.info("metrics endpoint listening", metadata: ["address": "\(host):\(actualPort)"])
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await channel.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            channel.close(promise: nil)
        }
        logger.debug("metrics endpoint stopped")
    }
}
