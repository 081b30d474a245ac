import Logging
import NIOCore

/// Sits in front of the server's TLS handler until the ClientHello has been seen.
///
/// A client that offers TLS 1.3 passes untouched (the handler forwards what it buffered and
/// removes itself). A TLS client that does not gets a fatal `protocol_version` alert, the
/// same answer a TLS 1.3-only server library would give, and the connection is closed
/// before any certificate is exchanged. Anything that is not TLS is closed silently.
final class TLS13OnlyHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var buffered: ByteBuffer?
    private var decided = false
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    // TLS alert record: fatal(2), protocol_version(70).
    private static let protocolVersionAlert: [UInt8] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if decided {
            context.fireChannelRead(data)
            return
        }
        if buffered == nil {
            buffered = incoming
        } else {
            buffered!.writeBuffer(&incoming)
        }
        let bytes = buffered!.getBytes(at: buffered!.readerIndex, length: buffered!.readableBytes) ?? []
        switch ClientHelloInspector.inspect(bytes) {
        case .incomplete:
            return
        case .offersTLS13:
            decided = true
            let pending = buffered!
            buffered = nil
            context.fireChannelRead(wrapInboundOut(pending))
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case .lacksTLS13:
            decided = true
            logger.warning("refused TLS client that does not offer TLS 1.3", metadata: ["peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")"])
            let alert = context.channel.allocator.buffer(bytes: Self.protocolVersionAlert)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(NIOAny(alert)).whenComplete { _ in bound.value.close(promise: nil) }
        case .notTLS:
            decided = true
            logger.warning("refused non-TLS connection on the TLS port", metadata: ["peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")"])
            context.close(promise: nil)
        }
    }
}
