import NIOCore
import NIOHTTP1

/// One keep-alive HTTP/1.1 connection of a target's pool, carrying one request at a time.
///
/// Everything of a run happens on one event loop, so the connection calls its `Leg` directly.
final class PooledConnection: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// The request on the wire and when it was written.
    struct InFlight {
        var request: ScheduledRequest
        var sent: UInt64
    }

    private let leg: Leg
    private var context: ChannelHandlerContext?
    private(set) var current: InFlight?
    /// Open, and not told by the server that it will close.
    private(set) var usable = false
    private var status: UInt = 0
    private var keepAlive = true
    private var errorBody: ByteBuffer?

    init(leg: Leg) {
        self.leg = leg
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        usable = true
        context.fireChannelActive()
        leg.opened(self)
    }

    func channelInactive(context: ChannelHandlerContext) {
        usable = false
        let lost = current
        current = nil
        context.fireChannelInactive()
        leg.closed(self, lost: lost)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        leg.noteFailure(error)
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status.code
            keepAlive = head.isKeepAlive
            errorBody = (200..<300).contains(status) ? nil : context.channel.allocator.buffer(capacity: 256)
        case .body(var chunk):
            // Only an error's body is kept, to report it; a success's is read and dropped.
            if var kept = errorBody, kept.readableBytes < 2048 {
                errorBody = nil
                kept.writeBuffer(&chunk)
                errorBody = kept
            }
        case .end:
            let ended = Leg.now()
            guard let inFlight = current else { return }
            current = nil
            if !keepAlive { usable = false }
            let body = errorBody
            errorBody = nil
            leg.answered(self, inFlight: inFlight, status: status, errorBody: body, at: ended)
            if !keepAlive { context.close(promise: nil) }
        }
    }

    /// Writes the request and remembers when.
    func send(_ request: ScheduledRequest, head: HTTPRequestHead, body: ByteBuffer) {
        guard let context else { return }
        current = InFlight(request: request, sent: Leg.now())
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Gives up on the request in flight and closes the connection.
    func abandon() -> InFlight? {
        let lost = current
        current = nil
        usable = false
        context?.close(promise: nil)
        return lost
    }
}
