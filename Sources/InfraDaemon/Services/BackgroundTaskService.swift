import ServiceLifecycle

/// Runs a long-lived loop as a Service that ends when graceful shutdown begins.
///
/// Loops such as certificate watching have no shutdown work of their own; cancelling them
/// at graceful shutdown is exactly right, so they need not each know about ServiceLifecycle.
public struct BackgroundTaskService: Service {
    let name: String
    let body: @Sendable () async throws -> Void

    public init(name: String, body: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.body = body
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await body()
            }
        } catch is CancellationError {
            // The expected way out at shutdown; a ServiceGroup would treat a throw as a failure.
        }
    }
}

extension BackgroundTaskService: CustomStringConvertible {
    public var description: String { name }
}
