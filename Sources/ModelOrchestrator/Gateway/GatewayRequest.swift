public import Foundation

/// A request to the OpenAI-compatible endpoint, `POST /v1/chat/completions`, read into the orchestrator's own shape.
///
/// The body is the one OpenAI's Chat Completions API takes
/// (https://platform.openai.com/docs/api-reference/chat/create), so that the official SDKs and the tools built on them
/// can talk to Chorus unchanged. What the orchestrator cannot honour is refused with a clear error rather than
/// silently dropped: content other than text, `n` above 1, tools other than functions. Members that only tune sampling or bookkeeping on OpenAI's side, such as `top_p` or
/// `seed`, are accepted and ignored (see ``ignoredMembers``), because SDKs send them by default.
public struct GatewayRequest: Sendable, Equatable {
    /// The model the caller asked for, as given; the route decides what it means.
    public var model: String
    /// The call to make.
    public var request: ModelRequest
    /// Whether the caller wants the answer as server-sent events.
    public var stream: Bool
    /// Whether a stream ends with a usage chunk (`stream_options.include_usage`); always `false` without `stream`.
    public var includeUsage: Bool
    /// The caller's end-user identifier (`user`), for abuse tracking and logs.
    public var user: String?

    /// Creates a request.
    public init(
        model: String,
        request: ModelRequest,
        stream: Bool = false,
        includeUsage: Bool = false,
        user: String? = nil
    ) {
        self.model = model
        self.request = request
        self.stream = stream
        self.includeUsage = includeUsage
        self.user = user
    }

    /// Reads a request body.
    ///
    /// Every problem is reported, not only the first: a body that is not JSON or not an object, missing or mistyped
    /// members, values out of range, unsupported content or options, and unknown top-level members. Members inside
    /// messages, tools and the other objects that this endpoint does not read (a message's `name`, a function's
    /// `strict`) are ignored, since clients echo back whatever earlier answers carried.
    ///
    /// System and developer messages may appear anywhere; their texts, in order, joined by a blank line, become
    /// ``ModelRequest/system``.
    /// - Parameter body: The request body.
    /// - Returns: The request, or every problem found in the body.
    public static func parse(_ body: Data) -> Result<GatewayRequest, GatewayRequestError> {
        var reader = GatewayRequestReader()
        let request = reader.read(body)
        if let request, reader.errors.isEmpty { return .success(request) }
        return .failure(GatewayRequestError(errors: reader.errors))
    }

    /// Top-level members the endpoint accepts and ignores: OpenAI's sampling, logging and product options that have
    /// no counterpart across providers, which SDKs and frameworks send without being asked.
    public static let ignoredMembers: Set<String> = [
        "top_p", "frequency_penalty", "presence_penalty", "seed", "logit_bias", "parallel_tool_calls", "tool_choice",
        "metadata", "store", "service_tier", "reasoning_effort", "logprobs", "top_logprobs", "modalities",
        "prediction", "audio", "web_search_options", "verbosity", "prompt_cache_key", "safety_identifier",
    ]
}
