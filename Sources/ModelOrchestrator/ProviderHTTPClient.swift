import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Why an exchange with a provider ended without an answer, beside the network's own errors.
enum ProviderHTTPError: Error, Sendable, Equatable {
    /// The connection closed before the response head.
    case closedBeforeAnswer
    /// The connection closed after the head, before the body was whole.
    case closedMidAnswer
    /// The whole body would exceed the limit it was read with.
    case tooLarge
    /// The client has been shut down.
    case shutDown
    /// The call was cancelled.
    case cancelled
    /// TLS could not be set up on this machine.
    case tlsUnavailable(String)
}

/// A failure after the response head: the body did not arrive whole.
struct ProviderBodyError: Error, Sendable, CustomStringConvertible {
    var status: Int
    var cause: any Error

    var description: String {
        switch cause {
        case ProviderHTTPError.closedMidAnswer: "the connection closed"
        default: "\(cause)"
        }
    }
}

/// A response head: the status and headers.
struct ProviderResponseHead: Sendable {
    var status: Int
    var headers: HTTPHeaders
}

/// HTTP/1.1 to model providers, with keep-alive connections pooled per event loop and origin.
///
/// A call runs on the event loop it is made from when that is one of the client's (as it is for a request the
/// server is handling), and takes a connection owned by that loop: the request, the provider's answer and the
/// caller's continuation never change threads. Other callers are spread over the loops. Each request is written
/// with one flush, so head and body leave in one system call.
///
/// The client is deliberately small: no redirects (a provider API does not redirect; a 3xx is answered as the
/// status it is), no proxies, no HTTP/2. `https` uses the system's trust roots and sends the host name (SNI).
final class ProviderHTTPClient: Sendable {
    /// How long an unused connection is kept open.
    static let idleTimeout: TimeAmount = .seconds(60)
    /// The most idle connections kept per loop and origin; more are closed when they become idle.
    static let maximumIdlePerOrigin = 128

    let group: any EventLoopGroup
    private let pools: [ObjectIdentifier: LoopPool]
    private let connectTimeout: TimeAmount
    private let tlsConfiguration: TLSConfiguration
    private let tls = Mutex<Result<NIOSSLContext, ProviderHTTPError>?>(nil)

    /// Creates a client on `group`, whose connection attempts give up after `connectTimeout` and whose `https`
    /// connections use `tls` (ALPN is set to HTTP/1.1).
    init(group: MultiThreadedEventLoopGroup = .singleton, connectTimeout: TimeAmount, tls: TLSConfiguration) {
        self.group = group
        self.connectTimeout = connectTimeout
        var tls = tls
        tls.applicationProtocols = ["http/1.1"]
        self.tlsConfiguration = tls
        var pools: [ObjectIdentifier: LoopPool] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = LoopPool(loop: loop)
        }
        self.pools = pools
    }

    /// The loop a call made now runs on: the caller's own when it is one of the group's, otherwise any.
    private func pool() -> LoopPool {
        if let current = MultiThreadedEventLoopGroup.currentEventLoop, let pool = pools[ObjectIdentifier(current)] {
            return pool
        }
        let loop = group.any()
        return pools[ObjectIdentifier(loop)] ?? pools.values.first!
    }

    // MARK: Calls

    /// Sends a request and reads the whole response, up to `limit` bytes of body.
    /// - Parameters:
    ///   - stop: Given what stops the exchange (it then fails as `cancelled`), for a deadline to call.
    ///   - sent: Called once the request is written to an open connection.
    func fetch(
        _ request: ProviderHTTPRequest,
        to url: ProviderURL,
        limit: Int,
        stop: (@escaping @Sendable () -> Void) -> Void = { _ in },
        sent: @escaping @Sendable () -> Void
    ) async throws -> (ProviderResponseHead, ByteBuffer) {
        let pool = pool()
        let exchange = Exchange(loop: pool.loop, sent: sent)
        stop { exchange.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(ProviderResponseHead, ByteBuffer), any Error>) in
                var head: ProviderResponseHead?
                var body: ByteBuffer?
                exchange.receive = { event in
                    switch event {
                    case .head(let received):
                        head = received
                    case .body(var part):
                        guard (body?.readableBytes ?? 0) + part.readableBytes <= limit else { return false }
                        if body == nil { body = part } else { body!.writeBuffer(&part) }
                    case .end:
                        continuation.resume(returning: (head!, body ?? ByteBuffer()))
                    case .failed(let error):
                        if let head {
                            continuation.resume(throwing: ProviderBodyError(status: head.status, cause: error))
                        } else {
                            continuation.resume(throwing: error)
                        }
                    }
                    return true
                }
                self.start(exchange, request: request, url: url, in: pool)
            }
        } onCancel: {
            exchange.cancel()
        }
    }

    /// Sends a request and returns the response head once it arrives, with the body as it arrives.
    /// - Parameters:
    ///   - stop: Given what stops the exchange (it then fails as `cancelled`), for a deadline to call.
    ///   - sent: Called once the request is written to an open connection.
    func open(
        _ request: ProviderHTTPRequest,
        to url: ProviderURL,
        stop: (@escaping @Sendable () -> Void) -> Void = { _ in },
        sent: @escaping @Sendable () -> Void
    ) async throws -> (ProviderResponseHead, AsyncThrowingStream<ByteBuffer, any Error>) {
        let pool = pool()
        let exchange = Exchange(loop: pool.loop, sent: sent)
        stop { exchange.cancel() }
        let (body, bodyContinuation) = AsyncThrowingStream.makeStream(of: ByteBuffer.self)
        bodyContinuation.onTermination = { termination in
            if case .cancelled = termination { exchange.cancel() }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(ProviderResponseHead, AsyncThrowingStream<ByteBuffer, any Error>), any Error>) in
                var status: Int?
                exchange.receive = { event in
                    switch event {
                    case .head(let head):
                        status = head.status
                        continuation.resume(returning: (head, body))
                    case .body(let part):
                        bodyContinuation.yield(part)
                    case .end:
                        bodyContinuation.finish()
                    case .failed(let error):
                        if let status {
                            bodyContinuation.finish(throwing: ProviderBodyError(status: status, cause: error))
                        } else {
                            bodyContinuation.finish()
                            continuation.resume(throwing: error)
                        }
                    }
                    return true
                }
                self.start(exchange, request: request, url: url, in: pool)
            }
        } onCancel: {
            exchange.cancel()
        }
    }

    /// Closes every connection; calls in flight fail, later calls fail at once. Waits for connection attempts
    /// still running, which end within the connect timeout.
    func shutdown() async {
        var attempts: [EventLoopFuture<Void>] = []
        for pool in pools.values {
            attempts.append(pool.loop.flatSubmit { pool.shutdown() })
        }
        try? await EventLoopFuture.andAllComplete(attempts, on: group.any()).get()
    }

    // MARK: Connections

    private func start(_ exchange: Exchange, request: ProviderHTTPRequest, url: ProviderURL, in pool: LoopPool) {
        pool.loop.execute {
            guard exchange.begin() else { return }
            guard !pool.isShutDown else {
                exchange.finish(.failed(ProviderHTTPError.shutDown))
                return
            }
            let head = Self.head(of: request, url: url)
            let body = ByteBuffer(bytes: request.body)
            if let connection = pool.takeIdle(url.origin) {
                connection.send(exchange, head: head, body: body)
                return
            }
            let context: NIOSSLContext?
            switch self.tlsContext(if: url.origin.secure) {
            case .success(let made): context = made
            case .failure(let error):
                exchange.finish(.failed(error))
                return
            }
            let origin = url.origin
            let connecting = ClientBootstrap(group: pool.loop)
                .connectTimeout(self.connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture(withResultOf: {
                        let operations = channel.pipeline.syncOperations
                        if let context {
                            let handler = try NIOSSLClientHandler(
                                context: context, serverHostname: origin.hostIsAddress ? nil : origin.host)
                            try operations.addHandler(handler)
                        }
                        try operations.addHTTPClientHandlers(leftOverBytesStrategy: .dropBytes)
                        try operations.addHandler(ProviderConnection(origin: origin, pool: pool))
                    })
                }
                .connect(host: origin.host, port: origin.port)
            pool.connecting(connecting)
            connecting.whenComplete { result in
                switch result {
                case .success(let channel):
                    guard let connection = try? channel.pipeline.syncOperations.handler(type: ProviderConnection.self) else {
                        channel.close(promise: nil)
                        exchange.finish(.failed(ProviderHTTPError.closedBeforeAnswer))
                        return
                    }
                    if pool.isShutDown {
                        channel.close(promise: nil)
                        exchange.finish(.failed(ProviderHTTPError.shutDown))
                    } else if exchange.isOver {
                        // The caller gave up while this connection was being made: the next call may use it.
                        connection.becomeIdle()
                    } else {
                        connection.send(exchange, head: head, body: body)
                    }
                case .failure(let error):
                    exchange.finish(.failed(error))
                }
            }
        }
    }

    /// The request head. The client alone decides how the message is framed and where it goes: headers that would
    /// say otherwise (an account's extra headers are the tenant's to set) are left out, because a request framed
    /// differently from its body would desynchronize a connection that other tenants' calls share.
    private static func head(of request: ProviderHTTPRequest, url: ProviderURL) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headers.count + 2)
        headers.add(name: "host", value: url.origin.hostHeader)
        for header in request.headers where !framingHeaders.contains(header.name.lowercased()) {
            headers.add(name: header.name, value: header.value)
        }
        headers.add(name: "content-length", value: String(request.body.count))
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: url.target, headers: headers)
    }

    /// Headers the client sets itself or that would change how the connection is used.
    static let framingHeaders: Set<String> = [
        "host", "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection", "te",
        "trailer", "upgrade", "expect",
    ]

    private func tlsContext(if secure: Bool) -> Result<NIOSSLContext?, ProviderHTTPError> {
        guard secure else { return .success(nil) }
        return tls.withLock { made in
            if let made { return made.map { Optional($0) } }
            let result: Result<NIOSSLContext, ProviderHTTPError>
            do {
                result = .success(try NIOSSLContext(configuration: tlsConfiguration))
            } catch {
                result = .failure(.tlsUnavailable("\(error)"))
            }
            made = result
            return result.map { Optional($0) }
        }
    }
}

// MARK: - Exchanges

/// One request and its response, as events on the connection's event loop.
final class Exchange: @unchecked Sendable {
    enum Event {
        case head(ProviderResponseHead)
        case body(ByteBuffer)
        case end
        case failed(any Error)
    }

    let loop: any EventLoop
    /// Receives the events; returns false to abandon the response (a body over its limit). Loop only.
    var receive: (Event) -> Bool = { _ in true }
    let sent: @Sendable () -> Void
    /// The connection carrying it, once it has one. Loop only.
    var connection: ProviderConnection?
    /// Whether the caller has had its last event. Loop only.
    private(set) var isOver = false
    /// Whether the client has started it; a cancellation before that waits for it. Loop only.
    private var started = false
    private var cancelledBeforeStart = false

    init(loop: any EventLoop, sent: @escaping @Sendable () -> Void) {
        self.loop = loop
        self.sent = sent
    }

    /// Delivers an event; `end` and `failed` are the last. Loop only.
    @discardableResult
    func finish(_ event: Event) -> Bool {
        guard !isOver else { return false }
        switch event {
        case .end, .failed: isOver = true
        case .head, .body: break
        }
        if !receive(event) {
            isOver = true
            _ = receive(.failed(ProviderHTTPError.tooLarge))
            return false
        }
        return true
    }

    /// Marks the exchange started, once its caller is ready for events; false when it was cancelled meanwhile, in
    /// which case the caller has been told. Loop only.
    func begin() -> Bool {
        started = true
        if cancelledBeforeStart { finish(.failed(ProviderHTTPError.cancelled)) }
        return !isOver
    }

    /// Ends the exchange from any thread: the caller gets `cancelled`, the connection is closed. Before the exchange
    /// has started (a caller cancelled before it asked), the cancellation waits for the start, so that it reaches
    /// the caller rather than an event handler not yet in place.
    func cancel() {
        loop.execute {
            guard self.started else {
                self.cancelledBeforeStart = true
                return
            }
            guard !self.isOver else { return }
            self.finish(.failed(ProviderHTTPError.cancelled))
            self.connection?.abandon()
        }
    }
}

/// The connections of one event loop. Loop only, but for the immutable `loop`.
final class LoopPool: @unchecked Sendable {
    let loop: any EventLoop
    private var idle: [ProviderURL.Origin: [ProviderConnection]] = [:]
    private var open: [ObjectIdentifier: ProviderConnection] = [:]
    private var attempts: [ObjectIdentifier: EventLoopFuture<any Channel>] = [:]
    private(set) var isShutDown = false

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func takeIdle(_ origin: ProviderURL.Origin) -> ProviderConnection? {
        while let connection = idle[origin]?.popLast() {
            if connection.takeFromIdle() { return connection }
        }
        return nil
    }

    func parkIdle(_ connection: ProviderConnection) -> Bool {
        guard !isShutDown, idle[connection.origin, default: []].count < ProviderHTTPClient.maximumIdlePerOrigin else {
            return false
        }
        idle[connection.origin, default: []].append(connection)
        return true
    }

    func opened(_ connection: ProviderConnection) {
        open[ObjectIdentifier(connection)] = connection
    }

    func closed(_ connection: ProviderConnection) {
        open[ObjectIdentifier(connection)] = nil
        idle[connection.origin]?.removeAll { $0 === connection }
    }

    func connecting(_ attempt: EventLoopFuture<any Channel>) {
        let id = ObjectIdentifier(attempt)
        attempts[id] = attempt
        attempt.whenComplete { _ in self.attempts[id] = nil }
    }

    /// Closes everything; the future completes when the connection attempts still running have ended.
    func shutdown() -> EventLoopFuture<Void> {
        isShutDown = true
        for connection in open.values { connection.abandon(because: ProviderHTTPError.shutDown) }
        idle = [:]
        let pending = attempts.values.map { $0.map { _ in () } }
        return EventLoopFuture.andAllComplete(pending, on: loop)
    }
}

/// The handler at the end of a connection's pipeline: it hands the response to the exchange in flight, and the
/// connection back to its pool when the response is whole and the provider keeps the connection open.
final class ProviderConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let origin: ProviderURL.Origin
    private let pool: LoopPool
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    private var keepAlive = false
    private var idleTimer: Scheduled<Void>?
    private var answered = false

    init(origin: ProviderURL.Origin, pool: LoopPool) {
        self.origin = origin
        self.pool = pool
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        pool.opened(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(answered ? ProviderHTTPError.closedMidAnswer : ProviderHTTPError.closedBeforeAnswer)
        self.context = nil
        pool.closed(self)
    }

    /// Writes the request with one flush.
    func send(_ exchange: Exchange, head: HTTPRequestHead, body: ByteBuffer) {
        guard let context else {
            exchange.finish(.failed(ProviderHTTPError.closedBeforeAnswer))
            return
        }
        self.exchange = exchange
        exchange.connection = self
        answered = false
        keepAlive = false
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenSuccess { exchange.sent() }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            answered = true
            keepAlive = head.isKeepAlive
            if !exchange.finish(.head(ProviderResponseHead(status: Int(head.status.code), headers: head.headers))) {
                abandon()
            }
        case .body(let part):
            if !exchange.finish(.body(part)) { abandon() }
        case .end:
            self.exchange = nil
            exchange.connection = nil
            exchange.finish(.end)
            if keepAlive, context.channel.isActive {
                becomeIdle()
            } else {
                context.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A peer that closes TLS without saying so is common; whether the answer was whole is decided when the
        // connection ends (a body read to the end of the connection ends there).
        if case NIOSSLError.uncleanShutdown = error { return }
        fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(answered ? ProviderHTTPError.closedMidAnswer : ProviderHTTPError.closedBeforeAnswer)
        idleTimer?.cancel()
        idleTimer = nil
        pool.closed(self)
        context.fireChannelInactive()
    }

    /// Offers the connection to the next call, or closes it.
    func becomeIdle() {
        guard let context, context.channel.isActive, pool.parkIdle(self) else {
            context?.close(promise: nil)
            return
        }
        idleTimer = context.eventLoop.scheduleTask(in: ProviderHTTPClient.idleTimeout) { [weak self] in
            self?.context?.close(promise: nil)
        }
    }

    /// Takes the connection from the idle list; false when it has closed meanwhile.
    func takeFromIdle() -> Bool {
        idleTimer?.cancel()
        idleTimer = nil
        return context?.channel.isActive ?? false
    }

    /// Closes the connection with the exchange on it (a cancelled call, a body over its limit, a shutdown).
    func abandon(because error: any Error = ProviderHTTPError.cancelled) {
        fail(error)
        context?.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        guard let exchange else { return }
        self.exchange = nil
        exchange.connection = nil
        exchange.finish(.failed(error))
    }
}
