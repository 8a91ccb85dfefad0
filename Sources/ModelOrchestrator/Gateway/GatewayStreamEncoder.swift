import ChorusCore

/// Writes a streamed answer as Chat Completions server-sent events
/// (https://platform.openai.com/docs/api-reference/chat-streaming): one `chat.completion.chunk` per `data:` event,
/// then `data: [DONE]`.
///
/// Feed it the answer's events in order with ``frames(for:)`` and send what it returns; call ``end()`` when the
/// events run out. The frames follow OpenAI's stream:
/// - the first chunk's delta carries `role: "assistant"`; text arrives in `delta.content`, tool calls in
///   `delta.tool_calls` as `{index, id, type, function: {name, arguments}}`, with `id`, `type` and `name` only in a
///   call's first piece;
/// - the finish is a chunk with an empty delta and its `finish_reason`;
/// - with ``includeUsage``, every chunk carries `"usage": null` and, after the finish, one more chunk with no choices
///   carries the usage (usage events are held until then, as OpenAI sends usage last);
/// - `data: [DONE]` ends a stream that finished.
///
/// A failure ends the stream with one `data: {"error": …}` event and no `[DONE]`, so that clients raise an error
/// instead of taking a cut-off answer for a whole one. A refusal arrives as plain text: the events do not say an
/// answer is a refusal until its finish, too late to move the text into `delta.refusal`.
public struct GatewayStreamEncoder: Sendable {
    /// The completion's id, the same in every chunk.
    public let id: String
    /// The model each chunk names.
    public let model: String
    /// When the completion was created, in seconds since 1970, the same in every chunk.
    public let created: Int
    /// Whether the stream ends with a usage chunk (`stream_options.include_usage`).
    public let includeUsage: Bool
    /// Whether the stream is over: it finished or failed, and any more events are dropped.
    public private(set) var isOver = false

    /// Whether a chunk has carried the role yet.
    private var sentRole = false
    /// The usage so far, sent after the finish.
    private var usage = ModelUsage()

    /// The last event of a stream that finished.
    public static let done = "data: [DONE]\n\n"

    /// Creates an encoder for one streamed answer.
    /// - Parameters:
    ///   - id: The completion's id, such as `chatcmpl-…`.
    ///   - model: The model to name, usually the one the caller asked for.
    ///   - created: When the completion was created, in seconds since 1970.
    ///   - includeUsage: Whether the caller asked for usage (``GatewayRequest/includeUsage``).
    public init(id: String, model: String, created: Int, includeUsage: Bool) {
        self.id = id
        self.model = model
        self.created = created
        self.includeUsage = includeUsage
    }

    /// The server-sent events for the next event of the answer: none, one, or (for the finish) up to four.
    ///
    /// Empty text gives nothing; usage gives nothing until the finish; after the stream is over nothing more is
    /// written.
    /// - Parameter event: The next event.
    /// - Returns: Frames of the form `data: {json}` followed by a blank line, to be sent in order.
    public mutating func frames(for event: ModelStreamEvent) -> [String] {
        guard !isOver else { return [] }
        switch event {
        case .text(let text):
            guard !text.isEmpty else { return [] }
            return [chunk(delta: ["content": .string(text)])]
        case .toolCall(let index, let id, let name, let arguments):
            var function: [String: JSONValue] = ["arguments": .string(arguments)]
            if let name { function["name"] = .string(name) }
            var call: [String: JSONValue] = ["index": .number(Double(index)), "function": .object(function)]
            if let id {
                call["id"] = .string(id)
                call["type"] = .string("function")
            }
            return [chunk(delta: ["tool_calls": .array([.object(call)])])]
        case .usage(let reported):
            // Later counts replace earlier ones field by field where non-zero, as ModelStreamEvent documents.
            if reported.inputTokens != 0 { usage.inputTokens = reported.inputTokens }
            if reported.outputTokens != 0 { usage.outputTokens = reported.outputTokens }
            if reported.cachedInputTokens != 0 { usage.cachedInputTokens = reported.cachedInputTokens }
            if reported.reasoningTokens != 0 { usage.reasoningTokens = reported.reasoningTokens }
            return []
        case .finish(let reason):
            isOver = true
            var frames: [String] = []
            if !sentRole { frames.append(chunk(delta: ["content": .string("")])) }
            frames.append(chunk(delta: [:], finishReason: GatewayEncoding.finishReason(reason)))
            if includeUsage {
                frames.append(
                    GatewayEncoding.frame(
                        .object(header(choices: []).merging(["usage": GatewayEncoding.usage(usage)]) { $1 })
                    )
                )
            }
            frames.append(Self.done)
            return frames
        case .failure(let error):
            isOver = true
            return [GatewayError(error).streamFrame]
        }
    }

    /// The frames for the end of the events: none when the stream is over, else an error, since an answer that stops
    /// without a finish is incomplete and must not end with `[DONE]`.
    public mutating func end() -> [String] {
        guard !isOver else { return [] }
        return frames(
            for: .failure(ModelError(.malformedResponse, message: "The answer stream ended before it was complete."))
        )
    }

    /// A chunk with one choice, whose delta gains the role if no chunk has carried it yet.
    private mutating func chunk(delta: [String: JSONValue], finishReason: String? = nil) -> String {
        var delta = delta
        if !sentRole {
            delta["role"] = .string("assistant")
            sentRole = true
        }
        let choice: JSONValue = .object([
            "index": .number(0),
            "delta": .object(delta),
            "logprobs": .null,
            "finish_reason": finishReason.map(JSONValue.string) ?? .null,
        ])
        var object = header(choices: [choice])
        if includeUsage { object["usage"] = .null }
        return GatewayEncoding.frame(.object(object))
    }

    private func header(choices: [JSONValue]) -> [String: JSONValue] {
        [
            "id": .string(id),
            "object": .string("chat.completion.chunk"),
            "created": .number(Double(created)),
            "model": .string(model),
            "choices": .array(choices),
        ]
    }
}
