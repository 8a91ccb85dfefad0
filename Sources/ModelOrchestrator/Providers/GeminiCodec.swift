import ChorusCore
public import Foundation

/// Google's Gemini API (`POST {baseURL}/v1beta/models/{model}:generateContent`, and `:streamGenerateContent?alt=sse`
/// for streams), authenticated with `x-goog-api-key`.
///
/// How it maps the normalized shapes:
/// - **Schemas.** Tool parameters go out as `parametersJsonSchema` and the response schema as `responseJsonSchema`
///   (with `responseMimeType: application/json`): both take JSON Schema as it is, where the older `parameters` and
///   `responseSchema` take only Google's OpenAPI subset and refuse common keywords such as `additionalProperties`.
/// - **Usage.** `promptTokenCount` already includes `cachedContentTokenCount`; tokens the API spent on tool-use
///   prompts (`toolUsePromptTokenCount`) are input too. `candidatesTokenCount` leaves out thinking, which is billed as
///   output, so ``ModelUsage/outputTokens`` is `candidatesTokenCount + thoughtsTokenCount` and
///   ``ModelUsage/reasoningTokens`` is `thoughtsTokenCount`.
/// - **Safety.** A finish such as `SAFETY`, `RECITATION`, `BLOCKLIST`, `PROHIBITED_CONTENT` or `SPII` is
///   `content_filter` when some answer came before it; when nothing came, or the prompt itself was blocked
///   (`promptFeedback.blockReason`), the call fails with a `contentPolicy` error although the status is 200.
/// - **Tool calls.** Gemini answers tool calls with `STOP`; any `functionCall` makes the finish `tool_calls`. Tool
///   results are `functionResponse` parts, which Gemini matches by function name, found from the call the result
///   answers. Call ids are never sent back (the API has refused an `id` in request parts); calls without an id from
///   Gemini get `call_{n}`.
/// - **Thought signatures.** Thinking models sign their function calls and require the signature back with the call
///   in the next request. ``ModelToolCall`` has no field for it, so the signature rides in the call's id after
///   ``signatureSeparator`` and is taken out again when the conversation is sent back; a call without one (made by
///   another provider, say) is sent with the validator-skipping value Google documents for that case.
public struct GeminiCodec: ProviderCodec {
    /// What separates a call id from the thought signature carried in it.
    public static let signatureSeparator = "__thought__"

    /// The signature Google documents for function calls the model did not sign (made by another model).
    public static let unsignedCallSignature = "skip_thought_signature_validator"

    /// Creates the codec.
    public init() {}

    /// `gemini`.
    public var name: String { "gemini" }

    /// The `generateContent` (or `streamGenerateContent`) request for `request`.
    /// - Throws: ``ModelError`` of kind `invalidRequest` when a tool call's arguments are not a JSON object, a tool
    ///   result answers no call of the conversation, or a number in the request is not finite.
    public func httpRequest(
        for request: ModelRequest,
        endpoint: ProviderEndpoint,
        stream: Bool
    ) throws(ModelError) -> ProviderHTTPRequest {
        var body: [String: JSONValue] = ["contents": .array(try Self.contents(request.messages))]
        if let system = request.system, !system.isEmpty {
            body["systemInstruction"] = .object(["parts": .array([.object(["text": .string(system)])])])
        }
        var config: [String: JSONValue] = [:]
        if let temperature = request.temperature { config["temperature"] = .number(temperature) }
        if let maxTokens = request.maxTokens { config["maxOutputTokens"] = .number(Double(maxTokens)) }
        if !request.stop.isEmpty { config["stopSequences"] = .array(request.stop.map { .string($0) }) }
        if let schema = request.responseSchema {
            config["responseMimeType"] = .string("application/json")
            config["responseJsonSchema"] = schema
        }
        if !config.isEmpty { body["generationConfig"] = .object(config) }
        if !request.tools.isEmpty {
            let declarations: [JSONValue] = request.tools.map { tool in
                var declaration: [String: JSONValue] = [
                    "name": .string(tool.name), "parametersJsonSchema": tool.parameters,
                ]
                if let description = tool.description { declaration["description"] = .string(description) }
                return .object(declaration)
            }
            body["tools"] = .array([.object(["functionDeclarations": .array(declarations)])])
        }

        var model = endpoint.model
        if model.hasPrefix("models/") { model.removeFirst("models/".count) }
        var headers: [(name: String, value: String)] = [("content-type", "application/json")]
        if let key = endpoint.apiKey { headers.append(("x-goog-api-key", key)) }
        for (name, value) in endpoint.headers.sorted(by: { $0.key < $1.key }) {
            headers.removeAll { $0.name.lowercased() == name.lowercased() }
            headers.append((name, value))
        }
        var base = endpoint.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return ProviderHTTPRequest(
            url: base + "/v1beta/models/" + model + (stream ? ":streamGenerateContent?alt=sse" : ":generateContent"),
            headers: headers,
            body: try WireJSON.requestBody(.object(body))
        )
    }

    /// Reads a `GenerateContentResponse`, or classifies its error (including a 200 that carries a block or an error).
    public func response(
        status: Int,
        headers: [(name: String, value: String)],
        body: Data
    ) -> Result<ModelResponse, ModelError> {
        let json = WireJSON.parse(body)
        let retryAfter = ModelError.retryAfter(headers)
        guard (200..<300).contains(status) else {
            return .failure(Self.error(status: status, retryAfter: retryAfter, json: json, body: body))
        }
        guard case .object(let root)? = json else {
            return .failure(
                ModelError(.malformedResponse, status: status, message: "The Gemini response is not a JSON object.")
            )
        }
        if root["error"] != nil {
            return .failure(Self.error(status: status, retryAfter: retryAfter, json: json, body: body))
        }
        let chunk = Chunk(root, firstCallIndex: 0)
        if let blockReason = chunk.blockReason, chunk.parts.isEmpty {
            return .failure(Self.blocked(prompt: true, reason: blockReason, status: status))
        }
        guard chunk.hasCandidate else {
            return .failure(
                ModelError(.malformedResponse, status: status, message: "The Gemini response has no candidate.")
            )
        }
        let text = chunk.parts.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
        let calls = chunk.parts.compactMap { if case .call(let call) = $0 { call } else { nil } }
        let finish: FinishReason
        switch Self.finish(chunk.finishReason) {
        case .normal(let reason):
            finish = calls.isEmpty ? reason : .toolCalls
        case .filtered:
            guard !(text.isEmpty && calls.isEmpty) else {
                return .failure(Self.blocked(prompt: false, reason: chunk.finishReason ?? "SAFETY", status: status))
            }
            finish = .contentFilter
        case .failed:
            guard !(text.isEmpty && calls.isEmpty) else {
                return .failure(Self.failedAnswer(chunk.finishReason, status: status))
            }
            finish = calls.isEmpty ? .stop : .toolCalls
        }
        return .success(
            ModelResponse(
                text: text,
                toolCalls: calls,
                finishReason: finish,
                usage: chunk.usage ?? ModelUsage(),
                model: chunk.model
            )
        )
    }

    /// A decoder for the `text/event-stream` body of `streamGenerateContent?alt=sse`.
    public func streamDecoder() -> any ModelStreamDecoder {
        StreamDecoder()
    }
}

// MARK: - Request

extension GeminiCodec {
    /// The conversation as `contents`: `user` and `model` turns, consecutive same-role messages merged, tool results
    /// as `functionResponse` parts named after the call they answer.
    static func contents(_ messages: [ModelMessage]) throws(ModelError) -> [JSONValue] {
        var turns: [(role: String, parts: [JSONValue])] = []
        var callNames: [String: String] = [:]
        func append(_ role: String, _ parts: [JSONValue]) {
            guard !parts.isEmpty else { return }
            if turns.last?.role == role {
                turns[turns.count - 1].parts += parts
            } else {
                turns.append((role, parts))
            }
        }
        for message in messages {
            switch message.role {
            case .user:
                append("user", message.content.isEmpty ? [] : [.object(["text": .string(message.content)])])
            case .assistant:
                var parts: [JSONValue] = message.content.isEmpty ? [] : [.object(["text": .string(message.content)])]
                let signed = message.toolCalls.contains { signature(in: $0.id) != nil }
                for (position, call) in message.toolCalls.enumerated() {
                    callNames[call.id] = call.name
                    var part: [String: JSONValue] = [
                        "functionCall": .object(["name": .string(call.name), "args": try arguments(of: call)])
                    ]
                    if let signature = signature(in: call.id) {
                        part["thoughtSignature"] = .string(signature)
                    } else if !signed && position == 0 {
                        part["thoughtSignature"] = .string(unsignedCallSignature)
                    }
                    parts.append(.object(part))
                }
                append("model", parts)
            case .tool:
                guard let id = message.toolCallID, let name = callNames[id] else {
                    let call = message.toolCallID.map { "call \($0)" } ?? "no call"
                    throw ModelError(
                        .invalidRequest,
                        message: "A tool result answers \(call), which no earlier message made; "
                            + "Gemini needs the function's name."
                    )
                }
                append(
                    "user",
                    [
                        .object([
                            "functionResponse": .object(["name": .string(name), "response": result(message.content)])
                        ])
                    ]
                )
            }
        }
        return turns.map { .object(["role": .string($0.role), "parts": .array($0.parts)]) }
    }

    /// A tool's output as the object `functionResponse.response` must be: the output itself when it is a JSON
    /// object, else `{"result": output}`.
    static func result(_ content: String) -> JSONValue {
        if let value = WireJSON.parse(Data(content.utf8)), case .object = value { return value }
        return .object(["result": .string(content)])
    }

    static func arguments(of call: ModelToolCall) throws(ModelError) -> JSONValue {
        let text = call.arguments.trimmingWhitespace()
        if text.isEmpty { return .object([:]) }
        guard let value = WireJSON.parse(Data(text.utf8)), case .object = value else {
            throw ModelError(.invalidRequest, message: "The arguments of tool call \(call.name) are not a JSON object.")
        }
        return value
    }

    /// The id a call gets: Gemini's own or `call_{n}`, with the thought signature after the separator.
    static func callID(_ id: String?, index: Int, signature: String?) -> String {
        let base = id.flatMap { $0.isEmpty ? nil : $0 } ?? "call_\(index)"
        guard let signature, !signature.isEmpty else { return base }
        return base + signatureSeparator + signature
    }

    static func signature(in id: String) -> String? {
        guard let range = id.range(of: signatureSeparator) else { return nil }
        let signature = id[range.upperBound...]
        return signature.isEmpty ? nil : String(signature)
    }
}

// MARK: - Response

extension GeminiCodec {
    /// What one `GenerateContentResponse` (a whole answer, or one chunk of a stream) says.
    struct Chunk {
        enum Part {
            case text(String)
            case call(ModelToolCall)
        }

        var parts: [Part] = []
        var hasCandidate = false
        var finishReason: String?
        var blockReason: String?
        var usage: ModelUsage?
        var model: String?

        /// Reads the first candidate; calls without an id are numbered from `firstCallIndex`.
        init(_ root: [String: JSONValue], firstCallIndex: Int) {
            model = WireJSON.string(root["modelVersion"])
            if case .object(let feedback)? = root["promptFeedback"] {
                blockReason = WireJSON.string(feedback["blockReason"])
            }
            if case .object(let metadata)? = root["usageMetadata"] {
                let prompt =
                    WireJSON.countOrZero(metadata["promptTokenCount"])
                    + WireJSON.countOrZero(metadata["toolUsePromptTokenCount"])
                let thoughts = WireJSON.countOrZero(metadata["thoughtsTokenCount"])
                usage = ModelUsage(
                    inputTokens: prompt,
                    outputTokens: WireJSON.countOrZero(metadata["candidatesTokenCount"]) + thoughts,
                    cachedInputTokens: WireJSON.countOrZero(metadata["cachedContentTokenCount"]),
                    reasoningTokens: thoughts
                )
            }
            guard case .array(let candidates)? = root["candidates"], case .object(let candidate)? = candidates.first
            else {
                return
            }
            hasCandidate = true
            finishReason = WireJSON.string(candidate["finishReason"])
            guard case .object(let content)? = candidate["content"], case .array(let rawParts)? = content["parts"]
            else {
                return
            }
            var callIndex = firstCallIndex
            for case .object(let part) in rawParts {
                if case .object(let call)? = part["functionCall"] {
                    let id = GeminiCodec.callID(
                        WireJSON.string(call["id"]),
                        index: callIndex,
                        signature: WireJSON.string(part["thoughtSignature"])
                    )
                    let arguments = WireJSON.jsonText(call["args"] ?? .object([:]))
                    parts.append(
                        .call(ModelToolCall(id: id, name: WireJSON.string(call["name"]) ?? "", arguments: arguments))
                    )
                    callIndex += 1
                } else if let text = WireJSON.string(part["text"]), !text.isEmpty, part["thought"] != .bool(true) {
                    parts.append(.text(text))  // thought summaries are not part of the answer
                }
            }
        }
    }

    enum Finish {
        case normal(FinishReason)
        /// A safety or policy filter stopped the answer.
        case filtered
        /// The model produced something unusable, such as a malformed function call.
        case failed
    }

    static func finish(_ reason: String?) -> Finish {
        switch reason {
        case "MAX_TOKENS": .normal(.length)
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "LANGUAGE", "IMAGE_SAFETY",
            "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
            .filtered
        case "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS", "MISSING_THOUGHT_SIGNATURE":
            .failed
        default: .normal(.stop)  // STOP, OTHER, FINISH_REASON_UNSPECIFIED, and reasons added later
        }
    }

    static func blocked(prompt: Bool, reason: String, status: Int?) -> ModelError {
        ModelError(
            .contentPolicy,
            status: status,
            providerCode: reason,
            message: prompt ? "Gemini blocked the prompt (\(reason))." : "Gemini withheld the answer (\(reason))."
        )
    }

    static func failedAnswer(_ reason: String?, status: Int?) -> ModelError {
        ModelError(
            .malformedResponse,
            status: status,
            providerCode: reason,
            message: "Gemini ended the answer with \(reason ?? "no reason") and nothing usable."
        )
    }

    /// Classifies `{"error": {"code", "message", "status", "details"}}` by its status name, refined by message and
    /// details, falling back on the HTTP status.
    static func error(status: Int?, retryAfter: Double?, json: JSONValue?, body: Data) -> ModelError {
        guard case .object(let root)? = json, case .object(let error)? = root["error"] else {
            let text = String(decoding: body.prefix(500), as: UTF8.self)
            let message = text.isEmpty ? "Gemini answered without an error body." : text
            return ModelError.byStatus(status ?? 500, retryAfter: retryAfter, providerCode: nil, message: message)
        }
        let code = WireJSON.string(error["status"])
        let message = WireJSON.string(error["message"]) ?? "Gemini reported \(code ?? "an error") without a message."
        let lowered = message.lowercased()
        var reasons: [String] = []
        var quotaIDs: [String] = []
        var retryDelay: Double?
        if case .array(let details)? = error["details"] {
            for case .object(let detail) in details {
                if let reason = WireJSON.string(detail["reason"]) { reasons.append(reason) }
                if let delay = WireJSON.string(detail["retryDelay"]) { retryDelay = duration(delay) }
                if case .array(let violations)? = detail["violations"] {
                    for case .object(let violation) in violations {
                        if let id = WireJSON.string(violation["quotaId"]) { quotaIDs.append(id) }
                    }
                }
            }
        }
        let reportedCode = WireJSON.countOrZero(error["code"])
        let httpStatus = status ?? (reportedCode == 0 ? nil : reportedCode)
        let kind: ModelError.Kind
        switch code {
        case "INVALID_ARGUMENT":
            if reasons.contains("API_KEY_INVALID") || lowered.contains("api key not valid") {
                kind = .badCredentials
            } else if lowered.contains("token count") && lowered.contains("exceed") {
                kind = .contextWindowExceeded
            } else {
                kind = .invalidRequest
            }
        case "FAILED_PRECONDITION":
            kind = lowered.contains("billing") ? .quotaExhausted : .invalidRequest
        case "UNAUTHENTICATED", "PERMISSION_DENIED":
            kind = .badCredentials
        case "NOT_FOUND":
            kind = .unknownModel
        case "RESOURCE_EXHAUSTED":
            // Per-minute limits clear soon; a daily quota, or a quota of zero (no free tier for the model), does not.
            let daily = quotaIDs.contains { $0.contains("PerDay") }
            kind = daily || lowered.contains("limit: 0") ? .quotaExhausted : .retryable
        case "INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED":
            kind = .retryable
        default:
            kind =
                httpStatus.map { ModelError.byStatus($0, retryAfter: nil, providerCode: nil, message: "").kind }
                ?? .retryable
        }
        return ModelError(
            kind,
            status: httpStatus,
            retryAfter: retryAfter ?? retryDelay,
            providerCode: code,
            message: message
        )
    }

    /// A protobuf JSON duration such as `"39s"` or `"0.5s"`, in seconds.
    static func duration(_ text: String) -> Double? {
        guard text.hasSuffix("s"), let seconds = Double(text.dropLast()), seconds.isFinite, seconds >= 0 else {
            return nil
        }
        return seconds
    }
}

// MARK: - Streaming

extension GeminiCodec {
    /// Decodes `streamGenerateContent?alt=sse`: every `data:` event is a `GenerateContentResponse` holding the next
    /// piece of the answer; function calls arrive whole. The chunk with a `finishReason` ends the answer.
    struct StreamDecoder: ModelStreamDecoder {
        private var events = ServerSentEvents()
        private var toolCalls = 0
        private var answered = false
        private var latestUsage: ModelUsage?
        private var isOver = false

        mutating func feed(_ bytes: some Collection<UInt8>) -> [ModelStreamEvent] {
            guard !isOver else { return [] }
            var output: [ModelStreamEvent] = []
            for event in events.feed(bytes) {
                guard !isOver else { break }
                handle(event.data, into: &output)
            }
            return output
        }

        mutating func finish() -> [ModelStreamEvent] {
            _ = events.finish()
            guard !isOver else { return [] }
            isOver = true
            return [
                .failure(
                    ModelError(.malformedResponse, message: "The Gemini stream was cut short before a finishReason.")
                )
            ]
        }

        private mutating func handle(_ data: String, into output: inout [ModelStreamEvent]) {
            guard case .object(let root)? = WireJSON.parse(Data(data.utf8)) else {
                isOver = true
                output.append(
                    .failure(ModelError(.malformedResponse, message: "A Gemini stream event is not a JSON object."))
                )
                return
            }
            if root["error"] != nil {
                isOver = true
                output.append(
                    .failure(GeminiCodec.error(status: nil, retryAfter: nil, json: .object(root), body: Data()))
                )
                return
            }
            let chunk = Chunk(root, firstCallIndex: toolCalls)
            if let reason = chunk.blockReason, chunk.parts.isEmpty {
                isOver = true
                output.append(.failure(GeminiCodec.blocked(prompt: true, reason: reason, status: nil)))
                return
            }
            for part in chunk.parts {
                answered = true
                switch part {
                case .text(let text):
                    output.append(.text(text))
                case .call(let call):
                    output.append(.toolCall(index: toolCalls, id: call.id, name: call.name, arguments: call.arguments))
                    toolCalls += 1
                }
            }
            if let usage = chunk.usage { latestUsage = usage }
            guard let reason = chunk.finishReason else { return }
            // Every chunk carries the counts so far; the last one's are final.
            isOver = true
            if let usage = latestUsage { output.append(.usage(usage)) }
            switch GeminiCodec.finish(reason) {
            case .normal(let finish):
                output.append(.finish(toolCalls > 0 ? .toolCalls : finish))
            case .filtered:
                output.append(
                    answered
                        ? .finish(.contentFilter)
                        : .failure(GeminiCodec.blocked(prompt: false, reason: reason, status: nil))
                )
            case .failed:
                output.append(
                    answered
                        ? .finish(toolCalls > 0 ? .toolCalls : .stop)
                        : .failure(GeminiCodec.failedAnswer(reason, status: nil))
                )
            }
        }
    }
}
