import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// How long a model call may take, phase by phase, each measured from the moment the transport starts sending it
/// (not from when it was asked to: a busy process should not blame a provider for its own queue).
///
/// A call that misses one of these fails with a `retryable` ``ModelError``, so that routing can try again or move
/// on to the next target instead of leaving a conversation waiting.
public struct ModelTimeouts: Sendable, Hashable {
    /// Until a connection to the provider is open and the request is on it; at most
    /// ``ModelTransport/connectTimeoutLimit``, when the transport gives up on a connection attempt.
    public var connect: Duration
    /// Until the first piece of a streamed answer (text, a tool call, the end or an error) arrives. Non-streaming
    /// calls get their answer whole, so only ``connect`` and ``total`` apply to them.
    public var firstToken: Duration
    /// Until the whole answer has arrived.
    public var total: Duration

    /// Creates timeouts; the defaults suit hosted providers answering a chat turn.
    /// - Parameters:
    ///   - connect: Until the request is on an open connection; 5 s by default.
    ///   - firstToken: Until a stream's first event; 30 s by default.
    ///   - total: Until the answer is complete; 120 s by default.
    public init(
        connect: Duration = .seconds(5),
        firstToken: Duration = .seconds(30),
        total: Duration = .seconds(120)
    ) {
        self.connect = connect
        self.firstToken = firstToken
        self.total = total
    }
}

/// Sends model calls to providers over HTTP: a codec writes the request and reads the answer, the transport moves
/// the bytes and keeps time.
///
/// Every failure comes back classified as a ``ModelError``, never thrown: a provider that cannot be reached, or
/// misses a deadline of ``ModelTimeouts``, is `retryable`; an answer cut short or too large is `malformedResponse`;
/// what the provider itself says is classified by the codec. One transport, with its connection pool, serves every
/// provider and every tenant; call ``shutdown()`` before the process ends.
public final class ModelTransport: Sendable {
    /// The most bytes read of a non-streaming answer (or of an error body): 16 MiB, far more than any chat answer,
    /// so that a broken peer cannot exhaust memory. A larger answer is a `malformedResponse`.
    public static let maximumResponseBytes = 16 << 20

    /// How long the transport tries to open a connection, whatever the call's deadline. A call that gives up sooner
    /// leaves the attempt running for the next call to the same provider; ``shutdown()`` waits for attempts still
    /// running, so this also bounds how long shutting down can take.
    public static let connectTimeoutLimit: Duration = .seconds(10)

    let client: ProviderHTTPClient

    /// Creates a transport with its own connection pools on the process-wide event loop group; `https` providers
    /// must present a certificate the system trusts.
    public convenience init() {
        self.init(tls: TLSConfiguration.makeClientConfiguration())
    }

    /// Creates a transport whose `https` connections use `tls` (tests trust their own certificate this way).
    init(tls: TLSConfiguration) {
        client = ProviderHTTPClient(connectTimeout: TimeAmount(Self.connectTimeoutLimit), tls: tls)
    }

    /// Closes the connections; waits for connection attempts still running. Calls made afterwards fail as
    /// `retryable`.
    public func shutdown() async throws {
        await client.shutdown()
    }

    /// Makes a non-streaming call and reads the whole answer.
    /// - Parameters:
    ///   - request: The normalized request.
    ///   - codec: The provider's wire format.
    ///   - endpoint: Where the model is and how to authenticate.
    ///   - timeouts: The connect and total deadlines (the first-token deadline is for streams).
    /// - Returns: The answer, or the classified error: the codec's for what the provider said; `retryable` when the
    ///   provider could not be reached or missed a deadline; `malformedResponse` when the answer was cut short or
    ///   larger than ``maximumResponseBytes``; `invalidRequest` when the request or the endpoint's URL cannot be sent.
    public func complete(
        _ request: ModelRequest,
        codec: some ProviderCodec,
        endpoint: ProviderEndpoint,
        timeouts: ModelTimeouts = ModelTimeouts()
    ) async -> Result<ModelResponse, ModelError> {
        let call: ProviderHTTPRequest
        let target: Target
        switch prepare(request, codec: codec, endpoint: endpoint, stream: false) {
        case .success(let prepared): (call, target) = prepared
        case .failure(let error): return .failure(error)
        }
        return await withDeadlines(timeouts, streaming: false, target: target) { progress in
            await self.exchange(call, codec: codec, target: target, progress: progress)
        } timedOut: { error in
            .failure(error)
        }
    }

    /// Sends a non-streaming request and hands the whole response to the codec.
    private func exchange(
        _ call: ProviderHTTPRequest,
        codec: some ProviderCodec,
        target: Target,
        progress: CallProgress
    ) async -> Result<ModelResponse, ModelError> {
        let head: ProviderResponseHead
        let body: ByteBuffer
        do {
            (head, body) = try await client.fetch(
                call, to: target.url, limit: Self.maximumResponseBytes, stop: { progress.onStop($0) }
            ) {
                progress.markConnected()
            }
        } catch let error as ProviderBodyError {
            return .failure(Self.bodyFailure(error))
        } catch {
            return .failure(Self.unreachable(error, target: target))
        }
        progress.markAnswered()
        return codec.response(status: head.status, headers: Self.headers(of: head), body: Data(body.readableBytesView))
    }
}

// MARK: - Sending

extension ModelTransport {
    /// Where a call goes, and the provider's host and port for messages.
    struct Target: Sendable, CustomStringConvertible {
        var url: ProviderURL
        var description: String { url.origin.description }

        /// Checks the URL before anything is sent, so that a misconfigured endpoint is an `invalidRequest` rather
        /// than a connection failure worth retrying.
        static func parse(_ url: String) -> Result<Target, ModelError> {
            guard let parsed = ProviderURL.parse(url) else {
                return .failure(
                    ModelError(.invalidRequest, message: "The endpoint URL \(url.debugDescription) cannot be used.")
                )
            }
            return .success(Target(url: parsed))
        }
    }

    /// What a body that did not arrive whole means: cancelled, larger than ``maximumResponseBytes``, or cut short.
    static func bodyFailure(_ error: ProviderBodyError) -> ModelError {
        switch error.cause {
        case ProviderHTTPError.cancelled:
            ModelError(.retryable, status: error.status, message: "The call was cancelled.")
        case ProviderHTTPError.tooLarge:
            ModelError(
                .malformedResponse, status: error.status,
                message: "The response is larger than \(maximumResponseBytes >> 20) MiB."
            )
        default:
            ModelError(.malformedResponse, status: error.status, message: "The response was cut short: \(error).")
        }
    }

    static func headers(of head: ProviderResponseHead) -> [(name: String, value: String)] {
        head.headers.map { (name: $0.name, value: $0.value) }
    }

    /// What a failure before the response head means: the provider could not be reached, or closed the connection.
    static func unreachable(_ error: any Error, target: Target) -> ModelError {
        if Task.isCancelled {
            return ModelError(.retryable, message: "The call to \(target) was cancelled.")
        }
        switch error {
        case ProviderHTTPError.closedBeforeAnswer:
            return ModelError(.retryable, message: "\(target) closed the connection before answering")
        case ProviderHTTPError.shutDown:
            return ModelError(.retryable, message: "The model transport is shut down.")
        case ProviderHTTPError.cancelled:
            return ModelError(.retryable, message: "The call to \(target) was cancelled.")
        case ProviderHTTPError.tlsUnavailable(let reason):
            return ModelError(.retryable, message: "TLS to \(target) could not be set up: \(reason)")
        case ChannelError.connectTimeout:
            return ModelError(.retryable, message: "connect timeout after \(connectTimeoutLimit.spoken) (\(target))")
        default:
            return ModelError(.retryable, message: "could not reach \(target): \(error)")
        }
    }
}

// MARK: - Deadlines

/// How far a call has got, written by the call and read by its deadlines; and how to stop the call when one is
/// missed.
final class CallProgress: Sendable {
    private struct State {
        var connected = false
        var answered = false
        var stopped = false
        var stop: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    /// The request is on an open connection.
    func markConnected() {
        state.withLock { $0.connected = true }
    }

    /// The provider has begun to answer: a response head for a whole answer, the first event of a stream.
    func markAnswered() {
        state.withLock {
            $0.connected = true
            $0.answered = true
        }
    }

    var isConnected: Bool { state.withLock { $0.connected } }
    var hasAnswered: Bool { state.withLock { $0.answered } }

    /// How the call in flight is stopped; run at once if the call was stopped already.
    func onStop(_ stop: @escaping @Sendable () -> Void) {
        let stoppedAlready = state.withLock { state -> Bool in
            state.stop = stop
            return state.stopped
        }
        if stoppedAlready { stop() }
    }

    /// Stops the call in flight (a deadline was missed).
    func stop() {
        let stop = state.withLock { state -> (@Sendable () -> Void)? in
            state.stopped = true
            return state.stop
        }
        stop?()
    }
}

extension ModelTransport {
    /// Runs `operation` against the deadlines of `timeouts`; the first deadline it misses stops the call (through
    /// ``CallProgress/onStop(_:)``) and gives `timedOut` the error to answer with.
    ///
    /// The deadlines are timers on the client's event loops, armed one at a time, and a missed one stops the call's
    /// HTTP exchange directly: a call costs one scheduled timer, no task of its own and no sleeping task, which
    /// matters when the gateway adds its latency to every model call.
    func withDeadlines<Value: Sendable>(
        _ timeouts: ModelTimeouts,
        streaming: Bool,
        target: Target,
        operation: (CallProgress) async -> Value,
        timedOut: (ModelError) -> Value
    ) async -> Value {
        let progress = CallProgress()
        let watch = DeadlineWatch(
            deadlines: Self.deadlines(timeouts, streaming: streaming, progress: progress),
            loop: client.group.any(),
            onMiss: { progress.stop() }
        )
        // The clock starts when the call starts running, not when it was asked for (see ``ModelTimeouts``).
        watch.begin(at: .now())
        let value = await operation(progress)
        watch.stop()
        if let missed = watch.missed { return timedOut(Self.error(missed, timeouts: timeouts, target: target)) }
        return value
    }

    /// The deadlines of a call in the order they fall due; of equal deadlines, the earlier phase's comes first.
    static func deadlines(_ timeouts: ModelTimeouts, streaming: Bool, progress: CallProgress) -> [DeadlineWatch.Deadline] {
        var deadlines = [DeadlineWatch.Deadline(phase: .connect, after: timeouts.connect, isMet: { progress.isConnected })]
        if streaming {
            deadlines.append(DeadlineWatch.Deadline(phase: .firstToken, after: timeouts.firstToken, isMet: { progress.hasAnswered }))
        }
        deadlines.append(DeadlineWatch.Deadline(phase: .total, after: timeouts.total, isMet: { false }))
        return deadlines.enumerated().sorted { ($0.element.after, $0.offset) < ($1.element.after, $1.offset) }.map(\.element)
    }

    /// What a call that missed the deadline of `phase` fails with.
    static func error(_ phase: DeadlineWatch.Phase, timeouts: ModelTimeouts, target: Target) -> ModelError {
        switch phase {
        case .connect:
            ModelError(.retryable, message: "connect timeout after \(timeouts.connect.spoken) (\(target))")
        case .firstToken:
            ModelError(.retryable, message: "no first token within \(timeouts.firstToken.spoken) (\(target))")
        case .total:
            ModelError(.retryable, message: "no complete answer within \(timeouts.total.spoken) (\(target))")
        }
    }
}

/// A call's deadlines as event-loop timers: when one falls due and its phase is not done, the deadline is recorded
/// as missed and the call stopped; when it is done, the next deadline is armed.
final class DeadlineWatch: Sendable {
    /// The phases a deadline can be for.
    enum Phase: Sendable {
        case connect, firstToken, total
    }

    struct Deadline: Sendable {
        var phase: Phase
        var after: Duration
        var isMet: @Sendable () -> Bool
    }

    private struct State {
        var start: NIODeadline?
        var next = 0
        var timer: Scheduled<Void>?
        var missed: Phase?
        var stopped = false
    }

    private let deadlines: [Deadline]
    private let loop: any EventLoop
    private let onMiss: @Sendable () -> Void
    private let state = Mutex(State())

    init(deadlines: [Deadline], loop: any EventLoop, onMiss: @escaping @Sendable () -> Void) {
        self.deadlines = deadlines
        self.loop = loop
        self.onMiss = onMiss
    }

    /// The phase whose deadline the call missed, if it missed one.
    var missed: Phase? { state.withLock { $0.missed } }

    /// Starts the clock and arms the first deadline.
    func begin(at start: NIODeadline) {
        state.withLock { $0.start = start }
        arm()
    }

    /// Arms the next deadline.
    private func arm() {
        state.withLock { state in
            guard !state.stopped, let start = state.start, state.next < deadlines.count else { return }
            let index = state.next
            let (seconds, attoseconds) = deadlines[index].after.components
            let due = start + .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
            state.timer = loop.scheduleTask(deadline: due) { [self] in self.fire(index) }
        }
    }

    private func fire(_ index: Int) {
        if deadlines[index].isMet() {
            let armNext = state.withLock { state -> Bool in
                guard !state.stopped, state.next == index else { return false }
                state.next = index + 1
                return true
            }
            if armNext { arm() }
            return
        }
        let missed = state.withLock { state -> Bool in
            guard !state.stopped, state.missed == nil else { return false }
            state.missed = deadlines[index].phase
            return true
        }
        if missed { onMiss() }
    }

    /// Disarms the watch once the call has ended.
    func stop() {
        let timer = state.withLock { state -> Scheduled<Void>? in
            state.stopped = true
            return state.timer
        }
        timer?.cancel()
    }
}

extension Duration {
    /// `5 s`, or `200 ms` for what is not a whole number of seconds: how timeouts read in error messages.
    var spoken: String {
        let (seconds, attoseconds) = components
        if attoseconds == 0 { return "\(seconds) s" }
        return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000) ms"
    }
}

extension ModelTransport {
    /// The HTTP request for a call and where it goes, or why it cannot be sent.
    func prepare(
        _ request: ModelRequest,
        codec: some ProviderCodec,
        endpoint: ProviderEndpoint,
        stream: Bool
    ) -> Result<(ProviderHTTPRequest, Target), ModelError> {
        let call: ProviderHTTPRequest
        do {
            call = try codec.httpRequest(for: request, endpoint: endpoint, stream: stream)
        } catch {
            return .failure(error)
        }
        return Target.parse(call.url).map { (call, $0) }
    }
}
