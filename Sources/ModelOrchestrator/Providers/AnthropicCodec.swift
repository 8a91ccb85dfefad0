import ChorusCore
public import Foundation

/// Anthropic's Messages API (`POST {baseURL}/v1/messages`), streaming or not.
///
/// How it maps the normalized shapes:
/// - **Usage.** Anthropic's `input_tokens` counts only the input that was neither read from nor written to the prompt
///   cache, so ``ModelUsage/inputTokens`` is `input_tokens + cache_creation_input_tokens + cache_read_input_tokens`
///   (every token of the prompt, like the other providers report it) and ``ModelUsage/cachedInputTokens`` is
///   `cache_read_input_tokens`. Extended-thinking tokens are billed inside `output_tokens` and not reported apart, so
///   ``ModelUsage/reasoningTokens`` stays 0.
/// - **Structured output.** The API has no response format, so a ``ModelRequest/responseSchema`` becomes a tool named
///   ``structuredOutputTool`` whose `input_schema` is the schema, and the model is made to call a tool: that one by
///   name when the request has no tools of its own, any tool (`tool_choice: {"type": "any"}`) when it has, so the
///   model can still call a real tool first. The input of that call, as JSON text, is read back as the answer's
///   text, and its `tool_use` stop counts as `stop`. The name is reserved: a request tool with it is refused.
/// - **Temperature.** Anthropic accepts 0 to 1 where the normalized request allows 0 to 2; values above 1 are sent
///   as 1, the most varied sampling Anthropic offers, rather than refused.
/// - **Conversation.** Tool results become `tool_result` blocks of a user message; consecutive messages of the same
///   role are merged into one, as the API requires roles to alternate; empty text is left out (the API refuses
///   empty text blocks).
public struct AnthropicCodec: ProviderCodec {
    /// The name of the tool that carries structured output.
    public static let structuredOutputTool = "structured_output"

    /// The `anthropic-version` sent when the endpoint names none.
    public static let defaultVersion = "2023-06-01"

    /// Creates the codec.
    public init() {}

    /// `anthropic`.
    public var name: String { "anthropic" }

    /// The Messages request for `request`.
    /// - Throws: ``ModelError`` of kind `invalidRequest` when a tool call's arguments are not a JSON object, a tool
    ///   result has no call id, a tool is named ``structuredOutputTool``, the response schema is not an object
    ///   schema, or a number in the request is not finite.
    public func httpRequest(
        for request: ModelRequest,
        endpoint: ProviderEndpoint,
        stream: Bool
    ) throws(ModelError) -> ProviderHTTPRequest {
        let maxTokens = request.maxTokens ?? ModelRequest.defaultMaxTokens
        guard maxTokens > 0 else {
            throw ModelError(.invalidRequest, message: "Anthropic needs a positive max_tokens, not \(maxTokens).")
        }
        var body: [String: JSONValue] = [
            "model": .string(endpoint.model),
            "max_tokens": .number(Double(maxTokens)),
            "messages": .array(try Self.messages(request.messages)),
        ]
        if let system = request.system, !system.isEmpty {
            body["system"] = .string(system)
        }
        if let temperature = request.temperature {
            body["temperature"] = .number(temperature > 1 ? 1 : temperature)
        }
        if !request.stop.isEmpty {
            body["stop_sequences"] = .array(request.stop.map { .string($0) })
        }
        var tools: [JSONValue] = []
        for tool in request.tools {
            guard tool.name != Self.structuredOutputTool else {
                throw ModelError(
                    .invalidRequest,
                    message:
                        "The tool name \(Self.structuredOutputTool) is reserved for structured output on Anthropic."
                )
            }
            var definition: [String: JSONValue] = ["name": .string(tool.name), "input_schema": tool.parameters]
            if let description = tool.description { definition["description"] = .string(description) }
            tools.append(.object(definition))
        }
        if let schema = request.responseSchema {
            guard case .object(let fields) = schema, fields["type"] == nil || fields["type"] == .string("object") else {
                throw ModelError(
                    .invalidRequest,
                    message:
                        "Anthropic takes structured output as a tool input, which must be an object: "
                        + "the response schema has to describe an object."
                )
            }
            tools.append(
                .object([
                    "name": .string(Self.structuredOutputTool),
                    "description": .string("Gives the final answer, in the shape the caller asked for."),
                    "input_schema": schema,
                ])
            )
            body["tool_choice"] =
                request.tools.isEmpty
                ? .object(["type": .string("tool"), "name": .string(Self.structuredOutputTool)])
                : .object(["type": .string("any")])
        }
        if !tools.isEmpty { body["tools"] = .array(tools) }
        if stream { body["stream"] = .bool(true) }

        var headers: [(name: String, value: String)] = [
            ("content-type", "application/json"),
            ("anthropic-version", endpoint.apiVersion ?? Self.defaultVersion),
        ]
        if let key = endpoint.apiKey { headers.append(("x-api-key", key)) }
        for (name, value) in endpoint.headers.sorted(by: { $0.key < $1.key }) {
            headers.removeAll { $0.name.lowercased() == name.lowercased() }
            headers.append((name, value))
        }
        return ProviderHTTPRequest(
            url: Self.trimmed(endpoint.baseURL) + "/v1/messages",
            headers: headers,
            body: try WireJSON.requestBody(.object(body))
        )
    }

    /// Reads a Messages response, or classifies its error.
    public func response(
        status: Int,
        headers: [(name: String, value: String)],
        body: Data
    ) -> Result<ModelResponse, ModelError> {
        let json = WireJSON.parse(body)
        guard (200..<300).contains(status) else {
            return .failure(
                Self.error(status: status, retryAfter: ModelError.retryAfter(headers), json: json, body: body)
            )
        }
        guard case .object(let root)? = json else {
            return .failure(
                ModelError(.malformedResponse, status: status, message: "The Messages response is not a JSON object.")
            )
        }
        if WireJSON.string(root["type"]) == "error" {
            return .failure(
                Self.error(status: status, retryAfter: ModelError.retryAfter(headers), json: json, body: body)
            )
        }
        guard case .array(let content)? = root["content"] else {
            return .failure(
                ModelError(.malformedResponse, status: status, message: "The Messages response has no content array.")
            )
        }
        var text = ""
        var structured: String?
        var calls: [ModelToolCall] = []
        for case .object(let block) in content {
            switch WireJSON.string(block["type"]) {
            case "text":
                text += WireJSON.string(block["text"]) ?? ""
            case "tool_use":
                let name = WireJSON.string(block["name"]) ?? ""
                let input = WireJSON.jsonText(block["input"] ?? .object([:]))
                if name == Self.structuredOutputTool {
                    structured = (structured ?? "") + input
                } else {
                    let id = WireJSON.string(block["id"]) ?? "call_\(calls.count)"
                    calls.append(ModelToolCall(id: id, name: name, arguments: input))
                }
            default:
                break  // thinking, redacted_thinking and server-tool blocks are not part of the answer
            }
        }
        var usage = UsageCounts()
        if case .object(let fields)? = root["usage"] { usage.merge(fields) }
        return .success(
            ModelResponse(
                text: structured ?? text,
                toolCalls: calls,
                finishReason: Self.finishReason(WireJSON.string(root["stop_reason"]), hasToolCalls: !calls.isEmpty),
                usage: usage.normalized,
                model: WireJSON.string(root["model"])
            )
        )
    }

    /// A decoder for the `text/event-stream` body of a streaming Messages response.
    public func streamDecoder() -> any ModelStreamDecoder {
        StreamDecoder()
    }
}

// MARK: - Request

extension AnthropicCodec {
    /// The conversation as Messages `messages`: merged so that roles alternate, tool results as user content.
    static func messages(_ messages: [ModelMessage]) throws(ModelError) -> [JSONValue] {
        var turns: [(role: String, blocks: [JSONValue])] = []
        func append(_ role: String, _ blocks: [JSONValue]) {
            guard !blocks.isEmpty else { return }
            if turns.last?.role == role {
                turns[turns.count - 1].blocks += blocks
            } else {
                turns.append((role, blocks))
            }
        }
        func text(_ content: String) -> [JSONValue] {
            content.isEmpty ? [] : [.object(["type": .string("text"), "text": .string(content)])]
        }
        for message in messages {
            switch message.role {
            case .user:
                append("user", text(message.content))
            case .assistant:
                var blocks = text(message.content)
                for call in message.toolCalls {
                    blocks.append(
                        .object([
                            "type": .string("tool_use"),
                            "id": .string(call.id),
                            "name": .string(call.name),
                            "input": try arguments(of: call),
                        ])
                    )
                }
                append("assistant", blocks)
            case .tool:
                guard let id = message.toolCallID else {
                    throw ModelError(.invalidRequest, message: "A tool message has no tool call id.")
                }
                var block: [String: JSONValue] = ["type": .string("tool_result"), "tool_use_id": .string(id)]
                if !message.content.isEmpty { block["content"] = .string(message.content) }
                append("user", [.object(block)])
            }
        }
        return turns.map { .object(["role": .string($0.role), "content": .array($0.blocks)]) }
    }

    /// A tool call's arguments as the object Anthropic wants for `input`.
    static func arguments(of call: ModelToolCall) throws(ModelError) -> JSONValue {
        let text = call.arguments.trimmingWhitespace()
        if text.isEmpty { return .object([:]) }
        guard let value = WireJSON.parse(Data(text.utf8)), case .object = value else {
            throw ModelError(
                .invalidRequest,
                message: "The arguments of tool call \(call.id) (\(call.name)) are not a JSON object."
            )
        }
        return value
    }

    static func trimmed(_ baseURL: String) -> String {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}

// MARK: - Response

extension AnthropicCodec {
    /// Token counts as Anthropic reports them, each replaced when a later report carries it.
    struct UsageCounts: Sendable {
        var input = 0
        var cacheCreation = 0
        var cacheRead = 0
        var output = 0

        mutating func merge(_ usage: [String: JSONValue]) {
            if let value = WireJSON.count(usage["input_tokens"]) { input = value }
            if let value = WireJSON.count(usage["cache_creation_input_tokens"]) { cacheCreation = value }
            if let value = WireJSON.count(usage["cache_read_input_tokens"]) { cacheRead = value }
            if let value = WireJSON.count(usage["output_tokens"]) { output = value }
        }

        var normalized: ModelUsage {
            ModelUsage(
                inputTokens: input + cacheCreation + cacheRead,
                outputTokens: output,
                cachedInputTokens: cacheRead
            )
        }
    }

    static func finishReason(_ stopReason: String?, hasToolCalls: Bool) -> FinishReason {
        switch stopReason {
        case "max_tokens", "model_context_window_exceeded": .length
        case "tool_use": hasToolCalls ? .toolCalls : .stop  // a tool_use stop for structured output alone is the answer
        case "refusal": .refusal
        default: .stop  // end_turn, stop_sequence, pause_turn
        }
    }

    /// Classifies an error body (`{"type":"error","error":{"type","message"}}`), by its type first and by the HTTP
    /// status when the body says nothing usable.
    static func error(status: Int?, retryAfter: Double?, json: JSONValue?, body: Data) -> ModelError {
        guard case .object(let root)? = json, case .object(let error)? = root["error"] else {
            let text = String(decoding: body.prefix(500), as: UTF8.self)
            let message = text.isEmpty ? "Anthropic answered without an error body." : text
            return ModelError.byStatus(status ?? 500, retryAfter: retryAfter, providerCode: nil, message: message)
        }
        let type = WireJSON.string(error["type"])
        let message = WireJSON.string(error["message"]) ?? "Anthropic reported \(type ?? "an error") without a message."
        let lowered = message.lowercased()
        var detailCode: String?
        if case .object(let details)? = error["details"] { detailCode = WireJSON.string(details["error_code"]) }
        let kind: ModelError.Kind
        switch type {
        case "authentication_error", "permission_error":
            kind = .badCredentials
        case "not_found_error":
            kind = .unknownModel
        case "billing_error":
            kind = .quotaExhausted
        case "rate_limit_error":
            kind = detailCode == "enforced_spend_limit_reached" ? .quotaExhausted : .retryable
        case "api_error", "overloaded_error", "timeout_error":
            kind = .retryable
        case "request_too_large":
            kind = .contextWindowExceeded
        case "invalid_request_error":
            if lowered.contains("prompt is too long") || lowered.contains("exceed context limit") {
                kind = .contextWindowExceeded
            } else if ["credit balance", "spend limit", "usage limits"].contains(where: lowered.contains) {
                kind = .quotaExhausted
            } else {
                kind = .invalidRequest
            }
        default:
            // An unknown type: the status decides; inside a stream (no status) the server failed mid-answer.
            kind =
                status.map { ModelError.byStatus($0, retryAfter: nil, providerCode: nil, message: "").kind }
                ?? .retryable
        }
        return ModelError(
            kind,
            status: status,
            retryAfter: retryAfter,
            providerCode: detailCode ?? type,
            message: message
        )
    }
}

// MARK: - Streaming

extension AnthropicCodec {
    /// Decodes the Messages event stream: `message_start`, `content_block_start`/`_delta`/`_stop`, `message_delta`,
    /// `message_stop`, `ping` and `error`. Event types it does not know are skipped, as Anthropic asks clients to.
    struct StreamDecoder: ModelStreamDecoder {
        private enum Block: Sendable {
            case text
            case toolCall(Int)
            case structured
            case other
        }

        private var events = ServerSentEvents()
        private var blocks: [Int: Block] = [:]
        /// Blocks whose input has received some JSON text; one that ends without any gets `{}`.
        private var blocksWithInput: Set<Int> = []
        private var toolCalls = 0
        private var usage = UsageCounts()
        private var stopReason: String?
        private var isOver = false

        mutating func feed(_ bytes: some Collection<UInt8>) -> [ModelStreamEvent] {
            guard !isOver else { return [] }
            var output: [ModelStreamEvent] = []
            for event in events.feed(bytes) {
                guard !isOver else { break }
                handle(event, into: &output)
            }
            return output
        }

        mutating func finish() -> [ModelStreamEvent] {
            _ = events.finish()
            guard !isOver else { return [] }
            isOver = true
            return [
                .failure(
                    ModelError(.malformedResponse, message: "The Anthropic stream was cut short before message_stop.")
                )
            ]
        }

        private mutating func handle(_ event: ServerSentEvents.Event, into output: inout [ModelStreamEvent]) {
            guard case .object(let data)? = WireJSON.parse(Data(event.data.utf8)) else {
                isOver = true
                output.append(
                    .failure(ModelError(.malformedResponse, message: "An Anthropic stream event is not a JSON object."))
                )
                return
            }
            switch WireJSON.string(data["type"]) ?? event.name {
            case "message_start":
                if case .object(let message)? = data["message"], case .object(let fields)? = message["usage"] {
                    usage.merge(fields)
                    output.append(.usage(usage.normalized))
                }
            case "content_block_start":
                start(data, into: &output)
            case "content_block_delta":
                delta(data, into: &output)
            case "content_block_stop":
                guard let index = WireJSON.count(data["index"]), !blocksWithInput.contains(index) else { return }
                switch blocks[index] {
                case .toolCall(let call): output.append(.toolCall(index: call, id: nil, name: nil, arguments: "{}"))
                case .structured: output.append(.text("{}"))
                default: break
                }
            case "message_delta":
                if case .object(let delta)? = data["delta"], let reason = WireJSON.string(delta["stop_reason"]) {
                    stopReason = reason
                }
                if case .object(let fields)? = data["usage"] {
                    usage.merge(fields)
                    output.append(.usage(usage.normalized))
                }
            case "message_stop":
                isOver = true
                output.append(.finish(AnthropicCodec.finishReason(stopReason, hasToolCalls: toolCalls > 0)))
            case "error":
                isOver = true
                output.append(
                    .failure(AnthropicCodec.error(status: nil, retryAfter: nil, json: .object(data), body: Data()))
                )
            default:
                break  // ping, and event types added after this was written
            }
        }

        private mutating func start(_ data: [String: JSONValue], into output: inout [ModelStreamEvent]) {
            guard let index = WireJSON.count(data["index"]), case .object(let block)? = data["content_block"]
            else {
                return
            }
            switch WireJSON.string(block["type"]) {
            case "text":
                blocks[index] = .text
                if let text = WireJSON.string(block["text"]), !text.isEmpty { output.append(.text(text)) }
            case "tool_use":
                let name = WireJSON.string(block["name"]) ?? ""
                if name == AnthropicCodec.structuredOutputTool {
                    blocks[index] = .structured
                } else {
                    blocks[index] = .toolCall(toolCalls)
                    let id = WireJSON.string(block["id"]) ?? "call_\(toolCalls)"
                    output.append(.toolCall(index: toolCalls, id: id, name: name, arguments: ""))
                    toolCalls += 1
                }
            default:
                blocks[index] = .other
            }
        }

        private mutating func delta(_ data: [String: JSONValue], into output: inout [ModelStreamEvent]) {
            guard let index = WireJSON.count(data["index"]), case .object(let delta)? = data["delta"] else {
                return
            }
            switch WireJSON.string(delta["type"]) {
            case "text_delta":
                guard let text = WireJSON.string(delta["text"]), !text.isEmpty else { return }
                switch blocks[index] {
                case .text?, nil: output.append(.text(text))
                default: break
                }
            case "input_json_delta":
                guard let json = WireJSON.string(delta["partial_json"]), !json.isEmpty else { return }
                switch blocks[index] {
                case .toolCall(let call):
                    blocksWithInput.insert(index)
                    output.append(.toolCall(index: call, id: nil, name: nil, arguments: json))
                case .structured:
                    blocksWithInput.insert(index)
                    output.append(.text(json))
                default:
                    break
                }
            default:
                break  // thinking_delta, signature_delta, citations_delta
            }
        }
    }
}
