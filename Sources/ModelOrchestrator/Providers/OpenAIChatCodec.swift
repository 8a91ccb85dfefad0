import ChorusCore
public import Foundation

/// The Chat Completions wire format, as OpenAI defined it and as the providers that copied it speak it: OpenAI,
/// Azure OpenAI, OpenAI-compatible servers (vLLM, the llama.cpp server, LM Studio, Text Generation Inference's
/// Messages API) and Mistral.
///
/// One type serves them all because the bodies are the same. What differs is the URL, how the key travels, the name
/// of the token limit, whether a stream must be asked for its usage, and the shapes errors take; the flavor decides
/// the first four and ``response(status:headers:body:)`` reads every error shape these servers are known to send.
public struct OpenAIChatCodec: ProviderCodec {
    /// Which provider a codec talks to.
    public enum Flavor: String, Sendable, Equatable, CaseIterable {
        /// OpenAI's own API: `Authorization: Bearer`, `max_completion_tokens`.
        case openAI = "openai"
        /// Azure OpenAI: the deployment and `api-version` in the URL, the key in an `api-key` header, no model in the
        /// body.
        case azureOpenAI = "azure-openai"
        /// A self-hosted or third-party server that copies the format: `max_tokens`, the key optional.
        case openAICompatible = "openai-compatible"
        /// Mistral's API at `https://api.mistral.ai/v1`: `max_tokens`, and no `stream_options`, which it refuses
        /// (it reports usage in the last chunk of every stream without being asked).
        case mistral
    }

    /// The request field that carries ``ModelRequest/maxTokens``.
    public enum TokenLimitField: String, Sendable, Equatable {
        /// OpenAI's current name; it counts reasoning tokens too, and reasoning models refuse the old one.
        case maxCompletionTokens = "max_completion_tokens"
        /// The older name, the only one Mistral and most OpenAI-compatible servers read.
        case maxTokens = "max_tokens"
    }

    /// The provider this codec speaks to.
    public let flavor: Flavor
    /// Where the token limit goes; see ``TokenLimitField``.
    public var tokenLimitField: TokenLimitField
    /// Whether a streaming request asks for a final usage chunk with `stream_options: {"include_usage": true}`.
    public var requestsStreamUsage: Bool
    /// The `name` sent with a ``ModelRequest/responseSchema`` in `response_format.json_schema`.
    public var responseSchemaName: String

    /// OpenAI's base URL, used when an endpoint leaves its base URL empty.
    public static let openAIBaseURL = "https://api.openai.com/v1"
    /// Mistral's base URL, used when an endpoint leaves its base URL empty.
    public static let mistralBaseURL = "https://api.mistral.ai/v1"
    /// The Azure OpenAI `api-version` used when an endpoint names none: the latest dated GA version, which accepts
    /// both `max_completion_tokens` and `stream_options`.
    public static let defaultAzureAPIVersion = "2024-10-21"

    /// Creates a codec for a provider, with that provider's defaults unless told otherwise.
    /// - Parameters:
    ///   - flavor: The provider.
    ///   - tokenLimitField: Where the token limit goes; by default `max_completion_tokens` for OpenAI and Azure
    ///     OpenAI, `max_tokens` for the others.
    ///   - requestsStreamUsage: Whether streams ask for usage; by default yes for all but Mistral.
    ///   - responseSchemaName: The name given to a response schema.
    public init(
        _ flavor: Flavor,
        tokenLimitField: TokenLimitField? = nil,
        requestsStreamUsage: Bool? = nil,
        responseSchemaName: String = "response"
    ) {
        self.flavor = flavor
        switch flavor {
        case .openAI, .azureOpenAI:
            self.tokenLimitField = tokenLimitField ?? .maxCompletionTokens
        case .openAICompatible, .mistral:
            self.tokenLimitField = tokenLimitField ?? .maxTokens
        }
        self.requestsStreamUsage = requestsStreamUsage ?? (flavor != .mistral)
        self.responseSchemaName = responseSchemaName
    }

    /// A codec for OpenAI.
    public static var openAI: OpenAIChatCodec { OpenAIChatCodec(.openAI) }
    /// A codec for Azure OpenAI.
    public static var azureOpenAI: OpenAIChatCodec { OpenAIChatCodec(.azureOpenAI) }
    /// A codec for OpenAI-compatible servers.
    public static var openAICompatible: OpenAIChatCodec { OpenAIChatCodec(.openAICompatible) }
    /// A codec for Mistral.
    public static var mistral: OpenAIChatCodec { OpenAIChatCodec(.mistral) }

    /// The provider's name in routes.
    public var name: String { flavor.rawValue }

    // MARK: - Requests

    /// The `POST …/chat/completions` request for `request`.
    /// - Throws: ``ModelError`` of kind `invalidRequest` when the endpoint lacks a base URL, model or deployment, or
    ///   the request cannot be written (a tool result without the id of its call, a token limit below 1, a number
    ///   JSON cannot hold); of kind `badCredentials` when OpenAI or Azure OpenAI is given no key and no
    ///   `Authorization` (or `api-key`) header.
    public func httpRequest(
        for request: ModelRequest,
        endpoint: ProviderEndpoint,
        stream: Bool
    ) throws(ModelError) -> ProviderHTTPRequest {
        ProviderHTTPRequest(
            url: try url(for: endpoint),
            headers: try headers(for: endpoint, stream: stream),
            body: try body(for: request, endpoint: endpoint, stream: stream)
        )
    }

    func url(for endpoint: ProviderEndpoint) throws(ModelError) -> String {
        var base = endpoint.baseURL.trimmingWhitespace()
        while base.hasSuffix("/") { base.removeLast() }
        if base.isEmpty {
            switch flavor {
            case .openAI: base = Self.openAIBaseURL
            case .mistral: base = Self.mistralBaseURL
            case .azureOpenAI, .openAICompatible:
                throw ModelError(.invalidRequest, message: "The \(name) endpoint has no base URL.")
            }
        }
        guard flavor == .azureOpenAI else { return base + "/chat/completions" }

        let deployment = endpoint.model.trimmingWhitespace()
        let version = endpoint.apiVersion.map { $0.trimmingWhitespace() } ?? ""
        guard !deployment.isEmpty,
            let path = deployment.addingPercentEncoding(withAllowedCharacters: Self.pathSegmentCharacters),
            let query = (version.isEmpty ? Self.defaultAzureAPIVersion : version)
                .addingPercentEncoding(withAllowedCharacters: Self.queryValueCharacters)
        else {
            throw ModelError(.invalidRequest, message: "The azure-openai endpoint names no deployment.")
        }
        return "\(base)/openai/deployments/\(path)/chat/completions?api-version=\(query)"
    }

    func headers(for endpoint: ProviderEndpoint, stream: Bool) throws(ModelError) -> [(name: String, value: String)] {
        let extra = endpoint.headers.sorted { $0.key.lowercased() < $1.key.lowercased() }
        for (name, value) in extra where name.isEmpty || (name + value).contains(where: \.isNewline) {
            throw ModelError(.invalidRequest, message: "The header \(name.debugDescription) cannot be sent.")
        }
        let extraNames = Set(extra.map { $0.key.lowercased() })
        let key = endpoint.apiKey?.trimmingWhitespace() ?? ""
        guard !key.contains(where: \.isNewline) else {
            throw ModelError(.badCredentials, message: "The \(name) API key is not a valid header value.")
        }

        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"),
            ("Accept", stream ? "text/event-stream" : "application/json"),
        ]
        switch flavor {
        case .azureOpenAI:
            if !key.isEmpty {
                headers.append(("api-key", key))
            } else if !extraNames.contains("api-key") && !extraNames.contains("authorization") {
                // A Microsoft Entra token arrives as an `Authorization` header instead of a key.
                throw ModelError(.badCredentials, message: "The azure-openai endpoint has no API key.")
            }
        case .openAI:
            if !key.isEmpty {
                headers.append(("Authorization", "Bearer \(key)"))
            } else if !extraNames.contains("authorization") {
                throw ModelError(.badCredentials, message: "The openai endpoint has no API key.")
            }
        case .openAICompatible, .mistral:
            if !key.isEmpty { headers.append(("Authorization", "Bearer \(key)")) }
        }
        headers.removeAll { extraNames.contains($0.name.lowercased()) }
        headers += extra.map { (name: $0.key, value: $0.value) }
        return headers
    }

    func body(for request: ModelRequest, endpoint: ProviderEndpoint, stream: Bool) throws(ModelError) -> Data {
        var body: [String: JSONValue] = [:]
        let model = endpoint.model.trimmingWhitespace()
        switch flavor {
        case .azureOpenAI:
            break  // the deployment in the URL chooses the model
        case .openAICompatible:
            // A server that hosts one model (llama.cpp, TGI) does not need its name.
            if !model.isEmpty { body["model"] = .string(model) }
        case .openAI, .mistral:
            guard !model.isEmpty else {
                throw ModelError(.invalidRequest, message: "The \(name) endpoint names no model.")
            }
            body["model"] = .string(model)
        }

        body["messages"] = .array(try messages(for: request))
        if let temperature = request.temperature {
            body["temperature"] = .number(temperature)
        }
        if let maxTokens = request.maxTokens {
            guard maxTokens > 0 else {
                throw ModelError(.invalidRequest, message: "The token limit must be at least 1, not \(maxTokens).")
            }
            body[tokenLimitField.rawValue] = .number(Double(maxTokens))
        }
        if !request.tools.isEmpty {
            body["tools"] = .array(
                request.tools.map { tool in
                    var function: [String: JSONValue] = ["name": .string(tool.name), "parameters": tool.parameters]
                    if let description = tool.description { function["description"] = .string(description) }
                    return .object(["type": .string("function"), "function": .object(function)])
                }
            )
        }
        if let schema = request.responseSchema {
            body["response_format"] = .object([
                "type": .string("json_schema"),
                "json_schema": .object([
                    "name": .string(responseSchemaName),
                    "schema": schema,
                    "strict": .bool(true),
                ]),
            ])
        }
        if !request.stop.isEmpty {
            body["stop"] = .array(request.stop.map(JSONValue.string))
        }
        if stream {
            body["stream"] = .bool(true)
            if requestsStreamUsage {
                body["stream_options"] = .object(["include_usage": .bool(true)])
            }
        }

        return try WireJSON.requestBody(.object(body))
    }

    private func messages(for request: ModelRequest) throws(ModelError) -> [JSONValue] {
        var messages: [JSONValue] = []
        if let system = request.system, !system.isEmpty {
            messages.append(.object(["role": .string("system"), "content": .string(system)]))
        }
        for (position, message) in request.messages.enumerated() {
            switch message.role {
            case .user:
                messages.append(.object(["role": .string("user"), "content": .string(message.content)]))
            case .assistant:
                var object: [String: JSONValue] = ["role": .string("assistant")]
                if message.toolCalls.isEmpty {
                    object["content"] = .string(message.content)
                } else {
                    // OpenAI documents `null` content beside tool calls; Mistral's examples send an empty string.
                    object["content"] =
                        message.content.isEmpty ? (flavor == .mistral ? .string("") : .null) : .string(message.content)
                    object["tool_calls"] = .array(message.toolCalls.map(\.openAIWire))
                }
                messages.append(.object(object))
            case .tool:
                guard let id = message.toolCallID, !id.isEmpty else {
                    throw ModelError(
                        .invalidRequest,
                        message: "Message \(position) is a tool result without the id of the call it answers."
                    )
                }
                messages.append(
                    .object([
                        "role": .string("tool"),
                        "tool_call_id": .string(id),
                        "content": .string(message.content),
                    ])
                )
            }
        }
        guard !messages.isEmpty else {
            throw ModelError(.invalidRequest, message: "The request has no messages.")
        }
        return messages
    }

    private static var pathSegmentCharacters: CharacterSet {
        var characters = CharacterSet.urlPathAllowed
        characters.remove(charactersIn: "/;")
        return characters
    }

    private static var queryValueCharacters: CharacterSet {
        var characters = CharacterSet.urlQueryAllowed
        characters.remove(charactersIn: "&=+#")
        return characters
    }

    // MARK: - Responses

    /// Reads a complete chat completion, or classifies the error it carries.
    ///
    /// A refusal (`message.refusal`) becomes the text with finish reason `refusal`; Azure's and OpenAI's
    /// `content_filter` finish reason arrives as `contentFilter` on a successful response, for the caller to judge.
    /// A 2xx whose body is not a chat completion is a `malformedResponse`; one that carries an `error` object is
    /// classified like an error status.
    public func response(
        status: Int,
        headers: [(name: String, value: String)],
        body: Data
    ) -> Result<ModelResponse, ModelError> {
        guard (200..<300).contains(status) else {
            return .failure(Self.classify(status: status, headers: headers, body: body))
        }
        guard let json = WireJSON.parse(body), case .object(let root) = json else {
            return .failure(Self.malformed(status: status, "The response body is not a JSON object.", body: body))
        }
        if let details = Wire.errorDetails(in: json), root["choices"] == nil {
            return .failure(Self.classify(status: status, headers: headers, details: details, body: body))
        }
        guard case .array(let choices)? = root["choices"],
            case .object(let choice)? = choices.first(where: { (Wire.integer(Wire.field($0, "index")) ?? 0) == 0 })
                ?? choices.first
        else {
            return .failure(Self.malformed(status: status, "The response has no choices.", body: body))
        }
        let rawFinish = Wire.string(choice["finish_reason"])
        let message: [String: JSONValue]
        switch choice["message"] {
        case .object(let object)?:
            message = object
        case nil, .null?:
            // Azure may leave out the message of a choice its content filter stopped; nothing else may.
            guard rawFinish != nil else {
                return .failure(Self.malformed(status: status, "The first choice has no message.", body: body))
            }
            message = [:]
        default:
            return .failure(Self.malformed(status: status, "The first choice's message is not an object.", body: body))
        }
        if rawFinish == "error" {
            return .failure(
                ModelError(.retryable, status: status, providerCode: "error", message: "Generation failed midway.")
            )
        }

        let content = Wire.text(message["content"])
        let refusal = Wire.string(message["refusal"]) ?? ""
        var toolCalls: [ModelToolCall] = []
        if case .array(let calls)? = message["tool_calls"] {
            for (position, call) in calls.enumerated() {
                guard let name = Wire.string(Wire.field(call, "function", "name")), !name.isEmpty else { continue }
                let id = Wire.string(Wire.field(call, "id")).flatMap { $0.isEmpty ? nil : $0 } ?? "call_\(position)"
                let arguments = Wire.arguments(Wire.field(call, "function", "arguments"))
                toolCalls.append(ModelToolCall(id: id, name: name, arguments: arguments))
            }
        }
        let finishReason = Self.finishReason(
            rawFinish.map(Wire.finishReason) ?? .stop,
            refused: !refusal.isEmpty,
            calledTools: !toolCalls.isEmpty
        )
        return .success(
            ModelResponse(
                text: content.isEmpty ? refusal : content,
                toolCalls: toolCalls,
                finishReason: finishReason,
                usage: Wire.usage(root["usage"]) ?? ModelUsage(),
                model: Wire.string(root["model"]).flatMap { $0.isEmpty ? nil : $0 }
            )
        )
    }

    /// The finish reason a consumer should see: servers that answer with tool calls or a refusal do not all say so
    /// in `finish_reason` (OpenAI itself reports a refusal as `stop`).
    static func finishReason(_ reported: FinishReason, refused: Bool, calledTools: Bool) -> FinishReason {
        guard reported == .stop else { return reported }
        if refused { return .refusal }
        if calledTools { return .toolCalls }
        return .stop
    }

    static func malformed(status: Int?, _ message: String, body: Data) -> ModelError {
        let excerpt = Wire.excerpt(body)
        return ModelError(
            .malformedResponse,
            status: status,
            message: excerpt.isEmpty ? message : "\(message) It begins: \(excerpt)"
        )
    }

    // MARK: - Errors

    /// Classifies an error response by its status, its headers and whatever its body says.
    static func classify(status: Int, headers: [(name: String, value: String)], body: Data) -> ModelError {
        let json = WireJSON.parse(body)
        return classify(status: status, headers: headers, details: json.flatMap(Wire.errorDetails), body: body)
    }

    /// Classifies an error from its details: the status when it is an error status (else the error's own numeric
    /// code, as vLLM and llama.cpp send one), then the codes and messages that mean more than the status does.
    static func classify(
        status: Int?,
        headers: [(name: String, value: String)],
        details: Wire.ErrorDetails?,
        body: Data
    ) -> ModelError {
        let code = details?.code?.lowercased()
        let type = details?.type?.lowercased()
        let inner = details?.innerCode?.lowercased()
        var message = details?.message ?? ""
        if message.isEmpty { message = Wire.excerpt(body) }
        let providerCode =
            [details?.code, details?.type, details?.innerCode]
            .compactMap { $0 }
            .first { !$0.isEmpty && !$0.allSatisfy(\.isNumber) } ?? details?.code
        // vLLM, the llama.cpp server and Azure put the status in `code`, which is all there is inside a stream.
        var errorStatus = details?.numericCode.flatMap { (400...599).contains($0) ? $0 : nil }
        if let status, !(200..<300).contains(status) { errorStatus = status }
        if message.isEmpty { message = errorStatus.map { "HTTP status \($0)" } ?? "The provider reported an error." }

        var error =
            if let errorStatus {
                ModelError.byStatus(
                    errorStatus,
                    retryAfter: ModelError.retryAfter(headers),
                    providerCode: providerCode,
                    message: message
                )
            } else {
                ModelError(
                    .retryable, retryAfter: ModelError.retryAfter(headers), providerCode: providerCode, message: message
                )
            }
        error.status = errorStatus ?? status
        if errorStatus == 401 || errorStatus == 403 { return error }

        let lowered = message.lowercased()
        let codes = [code, type, inner].compactMap { $0 }
        if codes.contains(where: Self.contentPolicyCodes.contains)
            || (code == "invalid_prompt" && (lowered.contains("policy") || lowered.contains("safety")))
        {
            error.kind = .contentPolicy
        } else if codes.contains(where: Self.quotaCodes.contains) {
            error.kind = .quotaExhausted
        } else if codes.contains(where: Self.unknownModelCodes.contains) {
            error.kind = .unknownModel
        } else if codes.contains(where: Self.contextCodes.contains)
            || (errorStatus != 404 && errorStatus != 429 && Self.contextPhrases.contains(where: lowered.contains))
        {
            error.kind = .contextWindowExceeded
        } else if errorStatus == nil {
            error.kind = Self.kindWithoutStatus(codes)
        }
        return error
    }

    /// For an error that came without an error status (inside a stream, or in a 200): its type says whether it was
    /// the request's fault; anything else is taken as the server's.
    private static func kindWithoutStatus(_ codes: [String]) -> ModelError.Kind {
        if codes.contains(where: { ["invalid_api_key", "authentication_error", "permission_error"].contains($0) }) {
            return .badCredentials
        }
        if codes.contains(where: { ["invalid_request_error", "badrequesterror", "validation"].contains($0) }) {
            return .invalidRequest
        }
        return .retryable
    }

    private static let contentPolicyCodes: Set<String> = [
        "content_filter", "responsibleaipolicyviolation", "content_policy_violation",
    ]
    private static let quotaCodes: Set<String> = ["insufficient_quota", "billing_hard_limit_reached"]
    private static let unknownModelCodes: Set<String> = ["model_not_found", "deploymentnotfound"]
    private static let contextCodes: Set<String> = ["context_length_exceeded", "exceed_context_size_error"]
    /// How OpenAI, vLLM, Mistral, the llama.cpp server and Text Generation Inference word a prompt that is too long
    /// when they send no code for it.
    private static let contextPhrases = [
        "maximum context length", "context_length_exceeded", "context length exceeded",
        "exceeds the available context size", "exceed context window", "exceeds the context window",
        "`inputs` tokens + `max_new_tokens` must be",
    ]
}

extension OpenAIChatCodec {
    /// Reading the wire format's JSON, which is untrusted: every accessor answers `nil` (or an empty value) for a
    /// missing field or a field of the wrong type, never traps.
    enum Wire {
        /// What an error body says, whichever of the known shapes it has.
        struct ErrorDetails: Equatable {
            var message: String
            var type: String?
            var code: String?
            /// The code when it is a number, as vLLM, the llama.cpp server and Azure (as a string) send the status.
            var numericCode: Int?
            /// Azure's `innererror.code`, such as `ResponsibleAIPolicyViolation`.
            var innerCode: String?
        }

        /// Reads `{"error": {"message", "type", "param", "code"}}` (OpenAI, Azure, vLLM, llama.cpp, LM Studio),
        /// `{"error": "…", "error_type": "…"}` (Text Generation Inference), and a bare
        /// `{"object": "error", "message", "type", "code"}` or `{"message": …}` or `{"detail": …}` (Mistral, older
        /// vLLM, FastAPI validation errors).
        static func errorDetails(in json: JSONValue) -> ErrorDetails? {
            guard case .object(let root) = json else { return nil }
            switch root["error"] {
            case .object(let error)?:
                return ErrorDetails(
                    message: describe(error["message"]),
                    type: string(error["type"]),
                    code: code(error["code"]),
                    numericCode: numericCode(error["code"]),
                    innerCode: string(field(error["innererror"], "code"))
                )
            case .string(let text)?:
                return ErrorDetails(message: text, type: string(root["error_type"]) ?? string(root["type"]))
            default:
                break
            }
            guard string(root["object"]) == "error" || root["message"] != nil || root["detail"] != nil else {
                return nil
            }
            return ErrorDetails(
                message: describe(root["message"] ?? root["detail"]),
                type: string(root["type"]),
                code: code(root["code"]),
                numericCode: numericCode(root["code"])
            )
        }

        /// The value at `path` inside nested objects.
        static func field(_ value: JSONValue?, _ path: String...) -> JSONValue? {
            var current = value
            for key in path {
                guard case .object(let object)? = current else { return nil }
                current = object[key]
            }
            return current
        }

        static func string(_ value: JSONValue?) -> String? {
            if case .string(let text)? = value { return text }
            return nil
        }

        /// A whole number that fits an `Int` comfortably; anything else (a fraction, a negative count, infinity) is
        /// not one.
        static func integer(_ value: JSONValue?) -> Int? {
            guard case .number(let number)? = value, number.isFinite, number >= 0, number < 9e15,
                number.rounded() == number
            else { return nil }
            return Int(number)
        }

        /// Message content: a string, or an array of `{"type": "text", "text"}` parts that some servers send.
        static func text(_ value: JSONValue?) -> String {
            switch value {
            case .string(let text)?:
                return text
            case .array(let parts)?:
                return parts.compactMap { string(field($0, "text")) }.joined()
            default:
                return ""
            }
        }

        /// Tool call arguments: JSON text as OpenAI sends it, or an object, which some compatible servers send, written
        /// back as text.
        static func arguments(_ value: JSONValue?) -> String {
            switch value {
            case .string(let text)?: text
            case .object?, .array?: value.map(compact) ?? ""
            default: ""
            }
        }

        /// OpenAI's reasons, and the other names compatible servers use for them (Mistral's `model_length`, Text
        /// Generation Inference's `eos_token` and `stop_sequence`). An unknown reason is taken as a normal stop.
        static func finishReason(_ raw: String) -> FinishReason {
            switch raw {
            case "length", "model_length", "max_tokens": .length
            case "content_filter": .contentFilter
            case "tool_calls", "function_call": .toolCalls
            case "refusal": .refusal
            default: .stop
            }
        }

        /// `usage` with `prompt_tokens`, `completion_tokens`, `prompt_tokens_details.cached_tokens` and
        /// `completion_tokens_details.reasoning_tokens`; `nil` when there is no usage object.
        static func usage(_ value: JSONValue?) -> ModelUsage? {
            guard case .object? = value else { return nil }
            return ModelUsage(
                inputTokens: integer(field(value, "prompt_tokens")) ?? 0,
                outputTokens: integer(field(value, "completion_tokens")) ?? 0,
                cachedInputTokens: integer(field(value, "prompt_tokens_details", "cached_tokens")) ?? 0,
                reasoningTokens: integer(field(value, "completion_tokens_details", "reasoning_tokens")) ?? 0
            )
        }

        /// The start of a body, for a message: enough to recognise it, not enough to flood a log.
        static func excerpt(_ body: Data, limit: Int = 300) -> String {
            let text = String(decoding: body.prefix(limit * 4), as: UTF8.self)
                .trimmingWhitespace()
            return text.count > limit ? String(text.prefix(limit)) + "…" : text
        }

        static func compact(_ value: JSONValue) -> String {
            value.jsonText
        }

        private static func describe(_ value: JSONValue?) -> String {
            switch value {
            case .string(let text)?: text
            case nil, .null?: ""
            case let other?: compact(other)
            }
        }

        private static func code(_ value: JSONValue?) -> String? {
            switch value {
            case .string(let text)?: text.isEmpty ? nil : text
            case .number?: integer(value).map(String.init)
            default: nil
            }
        }

        private static func numericCode(_ value: JSONValue?) -> Int? {
            if let number = integer(value) { return number }
            return string(value).flatMap { Int($0) }
        }
    }
}

extension ModelToolCall {
    /// The call as Chat Completions writes it, in requests and answers alike. Arguments are JSON text; a call without
    /// any is given `{}`, which readers can parse, where an empty string would make them fail.
    var openAIWire: JSONValue {
        .object([
            "id": .string(id),
            "type": .string("function"),
            "function": .object([
                "name": .string(name),
                "arguments": .string(arguments.isEmpty ? "{}" : arguments),
            ]),
        ])
    }
}
