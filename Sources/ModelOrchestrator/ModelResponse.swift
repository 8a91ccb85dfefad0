/// A model's answer in one shape for every provider.
public struct ModelResponse: Sendable, Equatable, Codable {
    /// The text of the answer (empty when the model only called tools).
    public var text: String
    /// Tool calls, in order.
    public var toolCalls: [ModelToolCall]
    /// Why generation stopped.
    public var finishReason: FinishReason
    /// Tokens used.
    public var usage: ModelUsage
    /// The model that answered, as the provider names it.
    public var model: String?

    public init(text: String, toolCalls: [ModelToolCall] = [], finishReason: FinishReason, usage: ModelUsage, model: String? = nil) {
        self.text = text
        self.toolCalls = toolCalls
        self.finishReason = finishReason
        self.usage = usage
        self.model = model
    }
}

/// Why a model stopped, normalized across providers.
public enum FinishReason: String, Sendable, Equatable, Codable {
    /// It finished its answer, or met a stop sequence.
    case stop
    /// It reached the token limit.
    case length
    /// A content filter stopped or blocked it.
    case contentFilter = "content_filter"
    /// It stopped to call tools.
    case toolCalls = "tool_calls"
    /// It refused to answer.
    case refusal
}

/// Tokens a call used. Providers that do not report a count leave it 0.
public struct ModelUsage: Sendable, Equatable, Codable {
    public var inputTokens: Int
    public var outputTokens: Int
    /// Input tokens served from the provider's prompt cache (included in `inputTokens`).
    public var cachedInputTokens: Int
    /// Output tokens spent on reasoning (included in `outputTokens`).
    public var reasoningTokens: Int

    public init(inputTokens: Int = 0, outputTokens: Int = 0, cachedInputTokens: Int = 0, reasoningTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.reasoningTokens = reasoningTokens
    }
}

/// One piece of a streamed answer. A stream that ends well ends with `finish`, after any `usage`; one that fails ends
/// with `failure`.
public enum ModelStreamEvent: Sendable, Equatable {
    /// More text.
    case text(String)
    /// Part of a tool call: the call at `index` gains `id` and `name` when they first appear, and more argument text.
    case toolCall(index: Int, id: String?, name: String?, arguments: String)
    /// Token counts, as far as known; later events replace earlier ones field by field where non-zero.
    case usage(ModelUsage)
    /// Generation finished.
    case finish(FinishReason)
    /// The provider reported an error inside the stream; the stream is over.
    case failure(ModelError)
}
