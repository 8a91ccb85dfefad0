import Foundation
import NIOCore
import NIOHTTP1

extension ModelTransport {
    /// Makes a streaming call: the answer arrives as events while the provider writes it.
    ///
    /// The stream always ends with exactly one `finish` or `failure` and nothing after it, so that a consumer never
    /// mistakes an answer cut short for a whole one. A status outside 2xx is read whole and gives one `failure`,
    /// classified by the codec; a connection that breaks mid-answer gives a `malformedResponse` failure; a missed
    /// deadline of `timeouts` a `retryable` one. Ending the consumption (cancelling the task that iterates, or
    /// dropping the stream) cancels the request and closes its connection.
    /// - Parameters:
    ///   - request: The normalized request.
    ///   - codec: The provider's wire format.
    ///   - endpoint: Where the model is and how to authenticate.
    ///   - timeouts: The connect, first-token and total deadlines.
    /// - Returns: The codec's events, as the body's bytes arrive.
    public func stream(
        _ request: ModelRequest,
        codec: some ProviderCodec,
        endpoint: ProviderEndpoint,
        timeouts: ModelTimeouts = ModelTimeouts()
    ) -> AsyncStream<ModelStreamEvent> {
        AsyncStream { continuation in
            let task = Task {
                let last = await self.streamCall(
                    request,
                    codec: codec,
                    endpoint: endpoint,
                    timeouts: timeouts,
                    continuation: continuation
                )
                continuation.yield(last)
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Runs a streaming call, yielding its events but the last, which it returns.
    private func streamCall(
        _ request: ModelRequest,
        codec: some ProviderCodec,
        endpoint: ProviderEndpoint,
        timeouts: ModelTimeouts,
        continuation: AsyncStream<ModelStreamEvent>.Continuation
    ) async -> ModelStreamEvent {
        let call: ProviderHTTPRequest
        let target: Target
        switch prepare(request, codec: codec, endpoint: endpoint, stream: true) {
        case .success(let prepared): (call, target) = prepared
        case .failure(let error): return .failure(error)
        }
        return await withDeadlines(timeouts, streaming: true, target: target) { progress in
            await self.streamExchange(
                call, codec: codec, target: target, progress: progress, continuation: continuation)
        } timedOut: { error in
            .failure(error)
        }
    }

    /// Sends a streaming request and feeds the body to the codec's decoder as it arrives.
    private func streamExchange(
        _ call: ProviderHTTPRequest,
        codec: some ProviderCodec,
        target: Target,
        progress: CallProgress,
        continuation: AsyncStream<ModelStreamEvent>.Continuation
    ) async -> ModelStreamEvent {
        let head: ProviderResponseHead
        let body: AsyncThrowingStream<ByteBuffer, any Error>
        do {
            (head, body) = try await client.open(call, to: target.url, stop: { progress.onStop($0) }) {
                progress.markConnected()
            }
        } catch {
            return .failure(Self.unreachable(error, target: target))
        }
        let status = head.status
        guard (200..<300).contains(status) else {
            // The error is the answer: from here only the total deadline applies.
            progress.markAnswered()
            switch await Self.wholeBody(body, status: status) {
            case .success(let bytes):
                switch codec.response(status: status, headers: Self.headers(of: head), body: bytes) {
                case .failure(let error):
                    return .failure(error)
                case .success:
                    return .failure(
                        ModelError(.malformedResponse, status: status, message: "HTTP \(status) came with an answer.")
                    )
                }
            case .failure(let error):
                return .failure(error)
            }
        }

        var decoder = codec.streamDecoder()
        var received = 0
        do {
            for try await buffer in body {
                received += buffer.readableBytes
                for event in decoder.feed(buffer.readableBytesView) {
                    if let last = Self.deliver(event, progress: progress, continuation: continuation) { return last }
                }
            }
        } catch {
            if Task.isCancelled { return Self.cancelled }
            return .failure(
                ModelError(
                    .malformedResponse,
                    status: status,
                    message: "The stream was cut short after \(received) bytes: \(error)."
                )
            )
        }
        // A cancelled body ends as if the provider had finished: that must not read as the end of the answer.
        if Task.isCancelled { return Self.cancelled }
        for event in decoder.finish() {
            if let last = Self.deliver(event, progress: progress, continuation: continuation) { return last }
        }
        return .failure(
            ModelError(.malformedResponse, status: status, message: "The stream ended without finishing the answer.")
        )
    }

    /// Reads a streamed body whole, up to ``maximumResponseBytes``: an error status's explanation.
    static func wholeBody(_ body: AsyncThrowingStream<ByteBuffer, any Error>, status: Int) async -> Result<Data, ModelError> {
        var bytes = Data()
        do {
            for try await part in body {
                guard bytes.count + part.readableBytes <= maximumResponseBytes else {
                    return .failure(bodyFailure(ProviderBodyError(status: status, cause: ProviderHTTPError.tooLarge)))
                }
                bytes.append(contentsOf: part.readableBytesView)
            }
        } catch {
            return .failure(bodyFailure(error as? ProviderBodyError ?? ProviderBodyError(status: status, cause: error)))
        }
        if Task.isCancelled { return .failure(ModelError(.retryable, status: status, message: "The call was cancelled.")) }
        return .success(bytes)
    }

    /// Yields an event that is not the last; returns the last (a `finish` or a `failure`) for the caller.
    private static func deliver(
        _ event: ModelStreamEvent,
        progress: CallProgress,
        continuation: AsyncStream<ModelStreamEvent>.Continuation
    ) -> ModelStreamEvent? {
        switch event {
        case .finish, .failure:
            progress.markAnswered()
            return event
        case .usage:
            // Usage comes before any token (Anthropic's `message_start`): it is no sign that the model answers.
            continuation.yield(event)
        case .text, .toolCall:
            progress.markAnswered()
            continuation.yield(event)
        }
        return nil
    }

    /// What a call cancelled by its consumer ends with; nobody reads it.
    private static var cancelled: ModelStreamEvent {
        .failure(ModelError(.retryable, message: "The call was cancelled."))
    }
}
