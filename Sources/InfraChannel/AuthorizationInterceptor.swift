import GRPCCore
import Logging

/// Refuses every call whose caller the ``AccessPolicy`` does not allow.
///
/// The TLS layer has already proved that the certificate chains to the cluster CA; this
/// decides what that identity may do. On an insecure channel (explicitly configured, and
/// logged loudly at start-up) there is no identity and every call is allowed.
public struct AuthorizationInterceptor: ServerInterceptor {
    let policy: AccessPolicy?
    let logger: Logger

    /// `policy` nil means the channel is insecure and nothing is checked.
    public init(policy: AccessPolicy?, logger: Logger) {
        self.policy = policy
        self.logger = logger
    }

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        if let policy {
            let caller = CallerIdentity(context: context)
            do {
                try policy.authorize(identities: caller.uris, method: context.descriptor)
            } catch {
                logger.warning("denied call", metadata: [
                    "method": "\(context.descriptor.fullyQualifiedMethod)",
                    "caller": "\(caller)",
                    "peer": "\(context.remotePeer)",
                ])
                throw error
            }
        }
        return try await next(request, context)
    }
}
