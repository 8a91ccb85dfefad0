import NIOCore
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Serves one connection: OpenAI's `POST /v1/chat/completions`, plain or streamed.
///
/// Routes:
/// - `POST /v1/chat/completions` (also without `/v1`): a completion, or a stream when the body says
///   `"stream": true`; a share `failFraction` of them fails with 500.
/// - `POST /fail/v1/chat/completions`: always 500 with OpenAI's `server_error`, for a deployment that must fall
///   back.
/// - `GET /health`, `GET /v1/models`: 200, for readiness checks.
final class ChatCompletionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let behaviour: UpstreamBehaviour
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var id = CompletionAnswer.Identifier(tag: .random(in: .min ... .max), count: 0)

    init(behaviour: UpstreamBehaviour) {
        self.behaviour = behaviour
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = nil
        case .body(var chunk):
            if var accumulated = body {
                body = nil  // one owner, so the append does not copy
                accumulated.writeBuffer(&chunk)
                body = accumulated
            } else {
                body = chunk
            }
        case .end:
            guard let requestHead = head else { return }
            head = nil
            let requestBody = body ?? context.channel.allocator.buffer(capacity: 0)
            body = nil
            if behaviour.delay.nanoseconds > 0 {
                context.eventLoop.assumeIsolated().scheduleTask(in: behaviour.delay) {
                    self.respond(context: context, head: requestHead, body: requestBody)
                }
            } else {
                respond(context: context, head: requestHead, body: requestBody)
            }
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer) {
        let path = head.uri.firstIndex(of: "?").map { head.uri[..<$0] } ?? head.uri[...]
        switch (head.method, path) {
        case (.POST, "/v1/chat/completions"), (.POST, "/chat/completions"):
            if behaviour.failFraction > 0, Double.random(in: 0..<1) < behaviour.failFraction {
                fail(context: context, head: head)
            } else {
                complete(context: context, head: head, body: body)
            }
        case (.POST, _) where path.hasPrefix("/fail/"):
            fail(context: context, head: head)
        case (.GET, "/health"), (.GET, "/v1/models"):
            var buffer = context.channel.allocator.buffer(capacity: 64)
            buffer.writeStaticString(#"{"object":"list","data":[]}"#)
            send(context: context, head: head, status: .ok, json: buffer)
        default:
            var buffer = context.channel.allocator.buffer(capacity: 128)
            CompletionAnswer.writeError(
                message: "Unknown request URL.",
                type: "invalid_request_error",
                into: &buffer
            )
            send(context: context, head: head, status: .notFound, json: buffer)
        }
    }

    private func complete(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer) {
        let summary = body.withUnsafeReadableBytes { ChatRequestSummary(body: $0) }
        guard let summary, let modelRange = summary.model,
            let model = body.getSlice(at: body.readerIndex + modelRange.lowerBound, length: modelRange.count)
        else {
            var buffer = context.channel.allocator.buffer(capacity: 160)
            CompletionAnswer.writeError(
                message: "The body must be a JSON object with a model.",
                type: "invalid_request_error",
                into: &buffer
            )
            send(context: context, head: head, status: .badRequest, json: buffer)
            return
        }
        id.count &+= 1
        let created = time(nil)
        let promptTokens = max(1, body.readableBytes / 4)
        if summary.stream {
            let events = behaviour.answer.streamEvents(
                id: id,
                created: created,
                model: model,
                promptTokens: promptTokens,
                includeUsage: summary.includeUsage,
                allocator: context.channel.allocator
            )
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "text/event-stream; charset=utf-8")
            headers.add(name: "cache-control", value: "no-cache")
            if !head.isKeepAlive { headers.add(name: "connection", value: "close") }
            let response = HTTPResponseHead(version: head.version, status: .ok, headers: headers)
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            for event in events {
                context.write(wrapOutboundOut(.body(.byteBuffer(event))), promise: nil)
            }
            end(context: context, keepAlive: head.isKeepAlive)
        } else {
            var buffer = context.channel.allocator.buffer(capacity: 768)
            behaviour.answer.writeCompletion(
                id: id,
                created: created,
                model: model,
                promptTokens: promptTokens,
                into: &buffer
            )
            send(context: context, head: head, status: .ok, json: buffer)
        }
    }

    private func fail(context: ChannelHandlerContext, head: HTTPRequestHead) {
        var buffer = context.channel.allocator.buffer(capacity: 160)
        CompletionAnswer.writeError(
            message: "The server had an error while processing your request.",
            type: "server_error",
            into: &buffer
        )
        send(context: context, head: head, status: .internalServerError, json: buffer)
    }

    private func send(
        context: ChannelHandlerContext,
        head: HTTPRequestHead,
        status: HTTPResponseStatus,
        json: ByteBuffer
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(json.readableBytes))
        if !head.isKeepAlive { headers.add(name: "connection", value: "close") }
        let response = HTTPResponseHead(version: head.version, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(json))), promise: nil)
        end(context: context, keepAlive: head.isKeepAlive)
    }

    private func end(context: ChannelHandlerContext, keepAlive: Bool) {
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }
}
