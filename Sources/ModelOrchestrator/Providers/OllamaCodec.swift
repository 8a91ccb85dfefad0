import ChorusCore
public import Foundation

/// Ollama's chat API (`POST {baseURL}/api/chat`), streamed as newline-delimited JSON or answered in one object.
///
/// How it maps the normalized shapes:
/// - **Streaming.** Ollama streams unless told otherwise, so `stream` is always sent.
/// - **Options.** Temperature, token limit and stop sequences go in `options` (`temperature`, `num_predict`, `stop`);
///   the response schema is `format`, which takes a JSON Schema for structured output.
/// - **Tool calls.** Arguments travel as objects. Tool results are `tool` messages naming the tool (`tool_name`),
///   found from the call they answer. Calls without an id from Ollama get `call_{n}`; ids are not sent back.
/// - **Usage.** `prompt_eval_count` is the input and `eval_count` the output; Ollama reports neither cached nor
///   reasoning tokens apart.
/// - **Finish.** `length` is `length`, anything else (`stop`, `load`, `unload`) is `stop`, and any tool call makes it
///   `tool_calls`.
public struct OllamaCodec: ProviderCodec {
    /// Creates the codec.
    public init() {}

    /// `ollama`.
    public var name: String { "ollama" }

    /// The chat request for `request`; an endpoint API key (for ollama.com) is sent as a bearer token.
    /// - Throws: ``ModelError`` of kind `invalidRequest` when a tool call's arguments are not a JSON object or a
    ///   number in the request is not finite.
    public func httpRequest(
        for request: ModelRequest,
        endpoint: ProviderEndpoint,
        stream: Bool
    ) throws(ModelError) -> ProviderHTTPRequest {
        var body: [String: JSONValue] = [
            "model": .string(endpoint.model),
            "messages": .array(try Self.messages(request)),
            "stream": .bool(stream),
        ]
        var options: [String: JSONValue] = [:]
        if let temperature = request.temperature { options["temperature"] = .number(temperature) }
        if let maxTokens = request.maxTokens { options["num_predict"] = .number(Double(maxTokens)) }
        if !request.stop.isEmpty { options["stop"] = .array(request.stop.map { .string($0) }) }
        if !options.isEmpty { body["options"] = .object(options) }
        if let schema = request.responseSchema { body["format"] = schema }
        if !request.tools.isEmpty {
            body["tools"] = .array(
                request.tools.map { tool in
                    var function: [String: JSONValue] = ["name": .string(tool.name), "parameters": tool.parameters]
                    if let description = tool.description { function["description"] = .string(description) }
                    return .object(["type": .string("function"), "function": .object(function)])
                }
            )
        }

        var headers: [(name: String, value: String)] = [("content-type", "application/json")]
        if let key = endpoint.apiKey { headers.append(("authorization", "Bearer \(key)")) }
        for (name, value) in endpoint.headers.sorted(by: { $0.key < $1.key }) {
            headers.removeAll { $0.name.lowercased() == name.lowercased() }
            headers.append((name, value))
        }
        var base = endpoint.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return ProviderHTTPRequest(url: base + "/api/chat", headers: headers, body: try WireJSON.requestBody(.object(body)))
    }

    /// Reads a non-streamed chat response, or classifies its error.
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
                ModelError(.malformedResponse, status: status, message: "The Ollama response is not a JSON object.")
            )
        }
        if root["error"] != nil {
            return .failure(Self.error(status: status, retryAfter: nil, json: json, body: body))
        }
        guard case .object(let message)? = root["message"] else {
            return .failure(
                ModelError(.malformedResponse, status: status, message: "The Ollama response has no message.")
            )
        }
        let calls = Self.toolCalls(in: message, firstIndex: 0)
        return .success(
            ModelResponse(
                text: WireJSON.string(message["content"]) ?? "",
                toolCalls: calls,
                finishReason: Self.finishReason(WireJSON.string(root["done_reason"]), hasToolCalls: !calls.isEmpty),
                usage: Self.usage(root),
                model: WireJSON.string(root["model"])
            )
        )
    }

    /// A decoder for the `application/x-ndjson` body of a streamed chat.
    public func streamDecoder() -> any ModelStreamDecoder {
        StreamDecoder()
    }
}

// MARK: - Request

extension OllamaCodec {
    /// The system prompt as the first `system` message, then the conversation; tool results name their tool.
    static func messages(_ request: ModelRequest) throws(ModelError) -> [JSONValue] {
        var messages: [JSONValue] = []
        if let system = request.system, !system.isEmpty {
            messages.append(.object(["role": .string("system"), "content": .string(system)]))
        }
        var callNames: [String: String] = [:]
        for message in request.messages {
            switch message.role {
            case .user:
                messages.append(.object(["role": .string("user"), "content": .string(message.content)]))
            case .assistant:
                var fields: [String: JSONValue] = ["role": .string("assistant"), "content": .string(message.content)]
                if !message.toolCalls.isEmpty {
                    var calls: [JSONValue] = []
                    for call in message.toolCalls {
                        callNames[call.id] = call.name
                        calls.append(
                            .object([
                                "function": .object(["name": .string(call.name), "arguments": try arguments(of: call)])
                            ])
                        )
                    }
                    fields["tool_calls"] = .array(calls)
                }
                messages.append(.object(fields))
            case .tool:
                var fields: [String: JSONValue] = ["role": .string("tool"), "content": .string(message.content)]
                if let id = message.toolCallID, let name = callNames[id] { fields["tool_name"] = .string(name) }
                messages.append(.object(fields))
            }
        }
        return messages
    }

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
}

// MARK: - Response

extension OllamaCodec {
    /// The `message.tool_calls` of a response or stream line; calls without an id are numbered from `firstIndex`.
    static func toolCalls(in message: [String: JSONValue], firstIndex: Int) -> [ModelToolCall] {
        guard case .array(let raw)? = message["tool_calls"] else { return [] }
        var calls: [ModelToolCall] = []
        for case .object(let call) in raw {
            guard case .object(let function)? = call["function"] else { continue }
            let id = WireJSON.string(call["id"]).flatMap { $0.isEmpty ? nil : $0 } ?? "call_\(firstIndex + calls.count)"
            let arguments: String
            switch function["arguments"] {
            case .string(let text)?: arguments = text  // as some models' templates produce it
            case let value?: arguments = WireJSON.jsonText(value)
            case nil: arguments = "{}"
            }
            calls.append(ModelToolCall(id: id, name: WireJSON.string(function["name"]) ?? "", arguments: arguments))
        }
        return calls
    }

    static func finishReason(_ doneReason: String?, hasToolCalls: Bool) -> FinishReason {
        if hasToolCalls { return .toolCalls }
        return doneReason == "length" ? .length : .stop
    }

    static func usage(_ root: [String: JSONValue]) -> ModelUsage {
        ModelUsage(inputTokens: WireJSON.countOrZero(root["prompt_eval_count"]), outputTokens: WireJSON.countOrZero(root["eval_count"]))
    }

    /// Classifies `{"error": "…"}` by the HTTP status, refined by the message. Without a status (an error line in a
    /// stream) the model failed while running, which is worth retrying, unless the message says otherwise.
    static func error(status: Int?, retryAfter: Double?, json: JSONValue?, body: Data) -> ModelError {
        let message: String
        if case .object(let root)? = json, let text = WireJSON.string(root["error"]) {
            message = text
        } else {
            let text = String(decoding: body.prefix(500), as: UTF8.self)
            message = text.isEmpty ? "Ollama answered without an error body." : text
        }
        let lowered = message.lowercased()
        var kind =
            status.map { ModelError.byStatus($0, retryAfter: nil, providerCode: nil, message: "").kind } ?? .retryable
        if lowered.contains("model") && lowered.contains("not found") {
            kind = .unknownModel
        } else if lowered.contains("context length") && lowered.contains("exceed") {
            kind = .contextWindowExceeded
        }
        return ModelError(kind, status: status, retryAfter: retryAfter, message: message)
    }
}

// MARK: - Streaming

extension OllamaCodec {
    /// Decodes the chat stream: one JSON object a line, `message.content` pieces, tool calls whole, and a last line
    /// with `"done": true`, the `done_reason` and the counts. A line `{"error": "…"}` ends it in failure, as does an
    /// end without the `done` line.
    struct StreamDecoder: ModelStreamDecoder {
        private var lines = LineSplitter()
        private var toolCalls = 0
        private var isOver = false

        mutating func feed(_ bytes: some Collection<UInt8>) -> [ModelStreamEvent] {
            guard !isOver else { return [] }
            var output: [ModelStreamEvent] = []
            for line in lines.feed(bytes) {
                guard !isOver else { break }
                handle(line, into: &output)
            }
            return output
        }

        mutating func finish() -> [ModelStreamEvent] {
            var output: [ModelStreamEvent] = []
            for line in lines.finish() where !isOver {
                handle(line, into: &output)
            }
            guard !isOver else { return output }
            isOver = true
            output.append(
                .failure(
                    ModelError(.malformedResponse, message: "The Ollama stream was cut short before its done line.")
                )
            )
            return output
        }

        private mutating func handle(_ line: [UInt8], into output: inout [ModelStreamEvent]) {
            guard case .object(let root)? = WireJSON.parse(Data(line)) else {
                isOver = true
                output.append(
                    .failure(ModelError(.malformedResponse, message: "An Ollama stream line is not a JSON object."))
                )
                return
            }
            if root["error"] != nil {
                isOver = true
                output.append(
                    .failure(OllamaCodec.error(status: nil, retryAfter: nil, json: .object(root), body: Data()))
                )
                return
            }
            if case .object(let message)? = root["message"] {
                if let text = WireJSON.string(message["content"]), !text.isEmpty { output.append(.text(text)) }
                for call in OllamaCodec.toolCalls(in: message, firstIndex: toolCalls) {
                    output.append(.toolCall(index: toolCalls, id: call.id, name: call.name, arguments: call.arguments))
                    toolCalls += 1
                }
            }
            guard root["done"] == .bool(true) else { return }
            isOver = true
            output.append(.usage(OllamaCodec.usage(root)))
            output.append(
                .finish(OllamaCodec.finishReason(WireJSON.string(root["done_reason"]), hasToolCalls: toolCalls > 0))
            )
        }
    }
}
